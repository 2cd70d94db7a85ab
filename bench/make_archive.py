#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a large synthetic docker archive for benchmarks, deterministically from a seed.

    python3 bench/make_archive.py OUT.tar [--layers 40] [--bytes 2.2e9] [--files 284000] [--seed 1]

Independent of Lamina: Python's tarfile, hashlib and json only. Layout: Docker 1.10-24 save
(manifest.json, <hex>.json config, repositories, <v1id>/{VERSION,json,layer.tar}); layer tars are
uncompressed. Size mix: mostly small files (0.5-64 KiB), a few large ones (1-32 MiB), half of
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


def layer_file(rng, pool, index, budget, count, tmpdir):
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
            dirs = [f"layer{index}/d{j}" for j in range(max(1, count // 200))]
            for d in dirs:
                ti = tarfile.TarInfo(d)
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=40)
    ap.add_argument("--bytes", type=float, default=2.2e9)
    ap.add_argument("--files", type=int, default=284000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gzip-layers", action="store_true", help="store each layer gzip-compressed (level 6)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    pool = random.Random(a.seed + 1).randbytes(96 << 20)
    per_layer = int(a.bytes / a.layers)
    per_files = max(1, a.files // a.layers)
    diff_ids = []
    ids = []
    image_config = {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/bin:/bin"]}
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(a.out))) as tmp, \
            tarfile.open(a.out + ".part", "w", format=tarfile.PAX_FORMAT) as out:
        parent = ""
        for i in range(a.layers):
            path, diff = layer_file(rng, pool, i, per_layer, per_files, tmp)
            if a.gzip_layers:
                import gzip
                with open(path, "rb") as src, open(path + ".gz", "wb") as raw:
                    with gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=raw, mtime=0) as gz:
                        while chunk := src.read(1 << 20):
                            gz.write(chunk)
                os.replace(path + ".gz", path)
            diff_ids.append("sha256:" + diff)
            v1 = hashlib.sha256(f"{parent} {diff}".encode()).hexdigest()
            meta = {"id": v1, "created": "1970-01-01T00:00:00Z", "os": "linux"}
            if parent:
                meta["parent"] = parent
            if i == a.layers - 1:  # Docker puts the image's own settings on the top layer
                meta.update({"config": image_config, "architecture": "amd64", "created": "2024-01-01T00:00:00Z"})
            ti = tarfile.TarInfo(v1)
            ti.type = tarfile.DIRTYPE
            ti.mtime = MTIME
            out.addfile(ti)
            add_bytes(out, f"{v1}/VERSION", b"1.0")
            add_bytes(out, f"{v1}/json", json.dumps(meta).encode())
            out.add(path, arcname=f"{v1}/layer.tar")
            os.unlink(path)
            ids.append(v1)
            parent = v1
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
            "config": image_config,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": "2024-01-01T00:00:00Z", "created_by": f"layer {i}"} for i in range(a.layers)],
        }, sort_keys=True).encode()
        config_hex = hashlib.sha256(config).hexdigest()
        add_bytes(out, f"{config_hex}.json", config)
        manifest = [{"Config": f"{config_hex}.json", "RepoTags": ["bench/big:latest"],
                     "Layers": [f"{v}/layer.tar" for v in ids]}]
        add_bytes(out, "manifest.json", json.dumps(manifest).encode())
        add_bytes(out, "repositories", json.dumps({"bench/big": {"latest": ids[-1]}}).encode())
    os.replace(a.out + ".part", a.out)


if __name__ == "__main__":
    main()
