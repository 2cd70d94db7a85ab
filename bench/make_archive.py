#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a large synthetic image archive for benchmarks, deterministically from a seed.

    python3 bench/make_archive.py OUT.tar [--layers 40] [--bytes 2.2e9] [--files 284000] [--seed 1]
        [--layout docker|docker25|oci] [--compression none|gzip|zstd] [--whiteouts N] [--outer-gzip] [--per-folder 200]
        [--base-image]

Independent of Lamina: Python's tarfile, hashlib, gzip and json (and the zstd program for zstd
layers). Layouts: Docker 1.10-24 save (manifest.json, <hex>.json config, repositories,
<v1id>/{VERSION,json,layer.tar}); Docker 25 (an OCI layout plus manifest.json and repositories);
an OCI image layout (oci-layout, index.json, blobs). Layers uncompressed, gzip (level 6, no time
stamp) or zstd (level 3); docker layouts store them under their usual names whatever the
compression. `--whiteouts N`: from the second layer on, each layer deletes N files of the layer
below (`.wh.` entries), so that merging has work to do. `--outer-gzip`: the whole archive gzip'd
(as nix writes it). `--base-image` (docker layout): a second image, tagged bench/big:base, of the
lower half of the layers, as `docker save` of an image and its base writes them. Size mix: mostly small files (0.5-64 KiB), a few large ones (1-32 MiB), half of
each file compressible text and half incompressible bytes, so that gzip of the whole has
realistic work to do.
"""

import argparse
import hashlib
import io
import json
import os
import random
import tarfile
import tempfile

MTIME = 1700000000


def layer_file(rng, pool, index, budget, count, tmpdir, whiteouts=0, per_folder=200):
    """Writes one layer tar to a temporary file; returns (path, diff_id hex)."""
    path = os.path.join(tmpdir, f"layer{index}.tar")
    h = hashlib.sha256()
    written = 0

    class Hashing(io.RawIOBase):
        def __init__(self, f):
            self.f = f

        def writable(self):
            return True

        def write(self, b):
            h.update(b)
            return self.f.write(b)

    with open(path, "wb") as raw:
        with tarfile.open(fileobj=Hashing(raw), mode="w|", format=tarfile.PAX_FORMAT) as t:
            dirs = [f"layer{index}/d{j}" for j in range(max(1, count // per_folder))]
            for d in dirs:
                ti = tarfile.TarInfo(d)
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                ti.mtime = MTIME
                t.addfile(ti)
            if index > 0 and whiteouts:
                # Files of the layer below (same naming rule), deleted here.
                below = [f"layer{index - 1}/d{j % max(1, count // per_folder)}" for j in range(count)]
                for k in range(0, min(whiteouts, count)):
                    ti = tarfile.TarInfo(f"{below[k]}/.wh.f{k}.bin")
                    ti.mode = 0o644
                    ti.mtime = MTIME
                    t.addfile(ti)
            large = max(1, count // 2000)
            for k in range(count):
                if k < large:
                    size = rng.randint(1 << 20, 32 << 20)
                else:
                    size = int(rng.paretovariate(1.2) * 512) % (64 << 10) + 1
                size = min(size, max(1, budget - written))
                half = size // 2
                start = rng.randrange(0, len(pool) - size)
                data = (b"line of fairly compressible text %d\n" % k) * (half // 36 + 1)
                data = data[:half] + pool[start:start + size - half]
                ti = tarfile.TarInfo(f"{dirs[k % len(dirs)]}/f{k}.bin")
                ti.size = len(data)
                ti.mode = 0o644
                ti.mtime = MTIME
                t.addfile(ti, io.BytesIO(data))
                written += len(data) + 512
    return path, h.hexdigest()


def add_bytes(out, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = MTIME
    out.addfile(ti, io.BytesIO(data))


def compress(path, how):
    """Compresses the layer file in place, reproducibly."""
    if how == "gzip":
        import gzip
        with open(path, "rb") as src, open(path + ".c", "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=raw, mtime=0) as gz:
                while chunk := src.read(1 << 20):
                    gz.write(chunk)
    elif how == "zstd":
        import subprocess
        subprocess.run(["zstd", "-q", "-3", "-f", "-o", path + ".c", path], check=True)
    else:
        return
    os.replace(path + ".c", path)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


MEDIA = {"none": "application/vnd.oci.image.layer.v1.tar",
         "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
         "zstd": "application/vnd.oci.image.layer.v1.tar+zstd"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=40)
    ap.add_argument("--bytes", type=float, default=2.2e9)
    ap.add_argument("--files", type=int, default=284000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--layout", choices=["docker", "docker25", "oci"], default="docker")
    ap.add_argument("--compression", choices=["none", "gzip", "zstd"], default="none")
    ap.add_argument("--gzip-layers", action="store_true", help="the same as --compression gzip")
    ap.add_argument("--whiteouts", type=int, default=0)
    ap.add_argument("--per-folder", type=int, default=200, help="files in each folder of a layer")
    ap.add_argument("--outer-gzip", action="store_true")
    ap.add_argument("--base-image", action="store_true")
    a = ap.parse_args()
    if a.base_image and a.layout != "docker":
        ap.error("--base-image is for the docker layout")
    if a.gzip_layers:
        a.compression = "gzip"
    rng = random.Random(a.seed)
    pool = random.Random(a.seed + 1).randbytes(96 << 20)
    per_layer = int(a.bytes / a.layers)
    per_files = max(1, a.files // a.layers)
    diff_ids = []
    ids = []
    blobs = []  # (digest hex, size) of each layer as stored
    image_config = {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/bin:/bin"]}
    tag = "bench/big:latest"
    part = a.out + ".part"
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(a.out))) as tmp, \
            tarfile.open(part, "w", format=tarfile.PAX_FORMAT) as out:
        parent = ""
        if a.layout != "docker":
            add_bytes(out, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        for i in range(a.layers):
            path, diff = layer_file(rng, pool, i, per_layer, per_files, tmp, a.whiteouts, a.per_folder)
            compress(path, a.compression)
            diff_ids.append("sha256:" + diff)
            if a.layout == "docker":
                v1 = hashlib.sha256(f"{parent} {diff}".encode()).hexdigest()
                meta = {"id": v1, "created": "1970-01-01T00:00:00Z", "os": "linux"}
                if parent:
                    meta["parent"] = parent
                # Docker puts an image's own settings on its top layer.
                if i == a.layers - 1 or (a.base_image and i == a.layers // 2 - 1):
                    meta.update({"config": image_config, "architecture": "amd64", "created": "2024-01-01T00:00:00Z"})
                ti = tarfile.TarInfo(v1)
                ti.type = tarfile.DIRTYPE
                ti.mtime = MTIME
                out.addfile(ti)
                add_bytes(out, f"{v1}/VERSION", b"1.0")
                add_bytes(out, f"{v1}/json", json.dumps(meta).encode())
                out.add(path, arcname=f"{v1}/layer.tar")
                ids.append(v1)
                parent = v1
            else:
                digest = sha256_file(path)
                blobs.append((digest, os.path.getsize(path)))
                out.add(path, arcname=f"blobs/sha256/{digest}")
            os.unlink(path)
        def config_of(n):
            return json.dumps({
                "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                "config": image_config,
                "rootfs": {"type": "layers", "diff_ids": diff_ids[:n]},
                "history": [{"created": "2024-01-01T00:00:00Z", "created_by": f"layer {i}"} for i in range(n)],
            }, sort_keys=True).encode()
        config = config_of(a.layers)
        config_hex = hashlib.sha256(config).hexdigest()
        if a.layout == "docker":
            add_bytes(out, f"{config_hex}.json", config)
            manifest = [{"Config": f"{config_hex}.json", "RepoTags": [tag],
                         "Layers": [f"{v}/layer.tar" for v in ids]}]
            tags = {"latest": ids[-1]}
            if a.base_image:
                n = a.layers // 2
                base = config_of(n)
                base_hex = hashlib.sha256(base).hexdigest()
                add_bytes(out, f"{base_hex}.json", base)
                manifest.append({"Config": f"{base_hex}.json", "RepoTags": ["bench/big:base"],
                                 "Layers": [f"{v}/layer.tar" for v in ids[:n]]})
                tags["base"] = ids[n - 1]
            add_bytes(out, "manifest.json", json.dumps(manifest).encode())
            add_bytes(out, "repositories", json.dumps({"bench/big": tags}).encode())
        else:
            add_bytes(out, f"blobs/sha256/{config_hex}", config)
            oci_manifest = json.dumps({
                "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": "sha256:" + config_hex, "size": len(config)},
                "layers": [{"mediaType": MEDIA[a.compression], "digest": "sha256:" + d, "size": n} for d, n in blobs],
            }).encode()
            manifest_hex = hashlib.sha256(oci_manifest).hexdigest()
            add_bytes(out, f"blobs/sha256/{manifest_hex}", oci_manifest)
            index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                     "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                    "digest": "sha256:" + manifest_hex, "size": len(oci_manifest),
                                    "annotations": {"io.containerd.image.name": tag,
                                                    "org.opencontainers.image.ref.name": "latest"}}]}
            add_bytes(out, "index.json", json.dumps(index).encode())
            if a.layout == "docker25":
                manifest = [{"Config": f"blobs/sha256/{config_hex}", "RepoTags": [tag],
                             "Layers": [f"blobs/sha256/{d}" for d, _ in blobs]}]
                add_bytes(out, "manifest.json", json.dumps(manifest).encode())
                add_bytes(out, "repositories", json.dumps({"bench/big": {"latest": diff_ids[-1][7:]}}).encode())
    if a.outer_gzip:
        compress(part, "gzip")
    os.replace(part, a.out)


if __name__ == "__main__":
    main()
