# SPDX-License-Identifier: MIT
"""Deterministic building blocks for container image archives.

Shared by ``make-samples.py`` (the sample archives shipped with Lamina) and
``tests/fixtures/make_fixtures.py`` (the test fixtures).  The code here is
deliberately independent of Lamina's C++ reader: it exists to test it.

Everything is reproducible: fixed mtimes, uid/gid 0, empty user/group names,
gzip with mtime 0 and no file name, zstd through the CLI with fixed options.

References to "§x" point at the project's format reference,
``docs/formats.md``.

Self-check of the Docker v1 ID derivation (docs/formats.md §3.3) against real
archives from the corpus:

    python3 imagegen.py --selftest [CORPUS_DIR]
"""

from __future__ import annotations

import bz2
import datetime
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from typing import BinaryIO, Iterable, Sequence

BLOCK = 512
RECORD = 10240            # GNU tar / Python tarfile record size
EPOCH_RFC3339 = "1970-01-01T00:00:00Z"

# --------------------------------------------------------------------------
# Hashes and IDs (docs/formats.md §3)
# --------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of *data*."""
    return "sha256:" + sha256_hex(data)


def hex_of(digest: str) -> str:
    """``sha256:<hex>`` -> ``<hex>``."""
    return digest.split(":", 1)[1]


def chain_ids(diff_ids: Sequence[str]) -> list[str]:
    """ChainIDs (docs/formats.md §3.2): ChainID(0) = DiffID(0); ChainID(n) =
    sha256(ChainID(n-1) + " " + DiffID(n)) over the ``sha256:`` strings."""
    out: list[str] = []
    for d in diff_ids:
        out.append(d if not out else sha256_digest(f"{out[-1]} {d}".encode()))
    return out


def pseudo_random(n: int, seed: bytes = b"lamina") -> bytes:
    """*n* deterministic pseudo-random bytes (sha256 in counter mode)."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:n])


# --------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------

def go_json(value) -> bytes:
    """Encode like Go's ``encoding/json.Marshal``: compact, objects in the
    given (insertion) order, ``<``, ``>``, ``&``, U+2028/2029 escaped,
    non-ASCII kept as UTF-8.  Callers order keys (Go sorts map keys, keeps
    struct field order)."""
    return _go_encode(value).encode("utf-8")


_GO_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
           "<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
           "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _go_string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _GO_ESC:
            out.append(_GO_ESC[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _go_encode(v) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _go_string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_go_encode(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(_go_string(k) + ":" + _go_encode(x)
                              for k, x in v.items()) + "}"
    raise TypeError(f"go_json: unsupported type {type(v).__name__}")


def sorted_map(d: dict | None) -> dict | None:
    """A Go map: keys sorted on encoding."""
    return None if d is None else {k: d[k] for k in sorted(d)}


def pretty_json(value, indent: int = 4, newline: bool = False) -> bytes:
    """Indented JSON as written by Python's json / jq (indent=2)."""
    return (json.dumps(value, indent=indent) + ("\n" if newline else "")).encode()


# --------------------------------------------------------------------------
# Tar writing
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One tar member.  *kind* is file, dir, symlink, hardlink or zeros
    (*size* bytes: *data* as a prefix, then zeros; the zeros are written as
    a hole when the target is a real file and sparse output is asked for)."""
    name: str
    kind: str = "file"
    data: bytes = b""
    target: str = ""
    size: int = 0
    mode: int | None = None
    mtime: int | None = None


def file(name: str, data: bytes, mode: int = 0o644, mtime: int | None = None) -> Entry:
    return Entry(name, "file", data=data, mode=mode, mtime=mtime)


def directory(name: str, mode: int = 0o755, mtime: int | None = None) -> Entry:
    return Entry(name.rstrip("/"), "dir", mode=mode, mtime=mtime)


def symlink(name: str, target: str, mode: int = 0o777, mtime: int | None = None) -> Entry:
    return Entry(name, "symlink", target=target, mode=mode, mtime=mtime)


def hardlink(name: str, target: str, mode: int = 0o644, mtime: int | None = None) -> Entry:
    return Entry(name, "hardlink", target=target, mode=mode, mtime=mtime)


def zeros(name: str, size: int, prefix: bytes = b"", mode: int = 0o644,
          mtime: int | None = None) -> Entry:
    return Entry(name, "zeros", data=prefix, size=size, mode=mode, mtime=mtime)


_TAR_TYPES = {"file": tarfile.REGTYPE, "zeros": tarfile.REGTYPE, "dir": tarfile.DIRTYPE,
              "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}


def entry_size(e: Entry) -> int:
    return len(e.data) if e.kind == "file" else e.size if e.kind == "zeros" else 0


def tar_header(e: Entry, mtime: int) -> bytes:
    """The header block(s) of *e* in PAX format (a PAX extended header is
    only emitted when a field does not fit ustar: long names, sizes
    >= 8 GiB, ...)."""
    ti = tarfile.TarInfo(e.name)
    ti.type = _TAR_TYPES[e.kind]
    ti.size = entry_size(e)
    ti.mode = e.mode if e.mode is not None else (0o755 if e.kind == "dir" else 0o644)
    ti.mtime = e.mtime if e.mtime is not None else mtime
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    if e.kind in ("symlink", "hardlink"):
        ti.linkname = e.target
    return ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def write_tar(f: BinaryIO, entries: Iterable[Entry], mtime: int = 0,
              record_pad: bool = False, sparse: bool = False) -> None:
    """Write *entries* in the given order to *f*.  The archive ends with two
    zero blocks (Go archive/tar style); *record_pad* pads to a multiple of
    10240 bytes (GNU tar / Python tarfile style).  With *sparse*, ``zeros``
    members are skipped over with ``seek`` so the file gets holes."""
    start = f.tell()
    for e in entries:
        f.write(tar_header(e, mtime))
        size = entry_size(e)
        if e.kind == "file":
            f.write(e.data)
        elif e.kind == "zeros":
            f.write(e.data)
            if sparse:
                f.seek(size - len(e.data), os.SEEK_CUR)
            else:
                remaining = size - len(e.data)
                chunk = bytes(min(remaining, 1 << 20))
                while remaining:
                    n = min(remaining, len(chunk))
                    f.write(chunk[:n])
                    remaining -= n
        if size % BLOCK:
            f.write(bytes(BLOCK - size % BLOCK))
    f.write(bytes(2 * BLOCK))
    if record_pad:
        length = f.tell() - start
        if length % RECORD:
            f.write(bytes(RECORD - length % RECORD))


def tar_bytes(entries: Iterable[Entry], mtime: int = 0, record_pad: bool = False) -> bytes:
    buf = io.BytesIO()
    write_tar(buf, entries, mtime=mtime, record_pad=record_pad)
    return buf.getvalue()


def layer_tar(entries: Iterable[Entry], mtime: int = 1, go_style: bool = False) -> bytes:
    """An uncompressed layer changeset tar.  Default: padded to a 10240-byte
    record like GNU tar; *go_style*: just two end blocks like Docker's Go
    writer (an empty Go layer is the well-known 1024 zero bytes, docs/formats.md §3.4)."""
    return tar_bytes(entries, mtime=mtime, record_pad=not go_style)


def gnu_sorted(entries: Iterable[Entry]) -> list[Entry]:
    """Order of ``tar --sort=name`` / a lexical directory walk: names
    compared component by component, so ``a/x`` sorts before ``a.json``."""
    return sorted(entries, key=lambda e: e.name.rstrip("/").split("/"))


def with_parent_dirs(entries: Iterable[Entry], mode: int = 0o755,
                     mtime: int | None = None) -> list[Entry]:
    """Add a ``dir`` entry for every parent directory not already present."""
    entries = list(entries)
    have = {e.name.rstrip("/") for e in entries if e.kind == "dir"}
    extra = []
    for e in entries:
        parts = e.name.rstrip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in have:
                have.add(d)
                extra.append(directory(d, mode=mode, mtime=mtime))
    return extra + entries


# --------------------------------------------------------------------------
# Compression
# --------------------------------------------------------------------------

def gzip_bytes(data: bytes) -> bytes:
    """gzip like ``gzip -n`` / ``pigz -n``: mtime 0, no file name."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def zstd_bytes(data: bytes) -> bytes:
    """zstd via the CLI with fixed options (single thread, level 19)."""
    return subprocess.run(["zstd", "-q", "-19", "-T1", "--no-progress", "-c"],
                          input=data, stdout=subprocess.PIPE, check=True).stdout


def xz_bytes(data: bytes) -> bytes:
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64)


def bzip2_bytes(data: bytes) -> bytes:
    return bz2.compress(data, compresslevel=9)


# --------------------------------------------------------------------------
# Media types (docs/formats.md §2.5)
# --------------------------------------------------------------------------

MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MT_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
MT_OCI_EMPTY = "application/vnd.oci.empty.v1+json"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"

OCI_LAYOUT = b'{"imageLayoutVersion": "1.0.0"}'
ANN_REF_NAME = "org.opencontainers.image.ref.name"
ANN_CONTAINERD_NAME = "io.containerd.image.name"


def descriptor(media_type: str, blob: bytes, **extra) -> dict:
    """An OCI descriptor of *blob* (docs/formats.md §2.4); *extra* keys appended."""
    d = {"mediaType": media_type, "digest": sha256_digest(blob), "size": len(blob)}
    d.update(extra)
    return d


# --------------------------------------------------------------------------
# Docker v1 compatibility IDs (docs/formats.md §3.3; moby image/v1/imagev1.go)
# --------------------------------------------------------------------------

# container.Config as Docker 20.10-25 encodes it: (field, zero value,
# omitempty).  Go decodes JSON keys case-insensitively into these fields and
# re-encodes them in this order.
_CONTAINER_CONFIG_FIELDS = [
    ("Hostname", "", False), ("Domainname", "", False), ("User", "", False),
    ("AttachStdin", False, False), ("AttachStdout", False, False),
    ("AttachStderr", False, False), ("ExposedPorts", None, True),
    ("Tty", False, False), ("OpenStdin", False, False), ("StdinOnce", False, False),
    ("Env", None, False), ("Cmd", None, False), ("Healthcheck", None, True),
    ("ArgsEscaped", False, True), ("Image", "", False), ("Volumes", None, False),
    ("WorkingDir", "", False), ("Entrypoint", None, False),
    ("NetworkDisabled", False, True), ("MacAddress", "", True),
    ("OnBuild", None, False), ("Labels", None, False), ("StopSignal", "", True),
    ("StopTimeout", None, True), ("Shell", None, True),
]
_MAP_FIELDS = {"ExposedPorts", "Volumes", "Labels"}


def go_container_config(cfg: dict | None) -> dict:
    """The Go re-encoding of a ``container.Config`` decoded from *cfg*
    (a zero struct when *cfg* is None: every non-omitempty field present)."""
    src = {k.lower(): v for k, v in (cfg or {}).items()}
    out = {}
    for name, zero, omitempty in _CONTAINER_CONFIG_FIELDS:
        v = src.get(name.lower(), zero)
        if v is None:
            v = zero
        if omitempty and (v == zero or v == {} or v == []):
            continue
        out[name] = sorted_map(v) if name in _MAP_FIELDS and isinstance(v, dict) else v
    return out


def v1_image_fields(config: dict) -> dict:
    """``image.V1Image`` as decoded from an image config and re-encoded by
    Go (struct order; ``container_config`` is a struct, so it is always
    present; ``config`` is a pointer, present when the key is non-null).
    ``id`` and ``parent`` are left out (the config's ``parent`` belongs to
    the outer ``image.Image``)."""
    v = {}
    if config.get("comment"):
        v["comment"] = config["comment"]
    v["created"] = config.get("created", "0001-01-01T00:00:00Z")
    if config.get("container"):
        v["container"] = config["container"]
    v["container_config"] = go_container_config(config.get("container_config"))
    for key in ("docker_version", "author"):
        if config.get(key):
            v[key] = config[key]
    if config.get("config") is not None:
        v["config"] = go_container_config(config["config"])
    for key in ("architecture", "variant", "os"):
        if config.get(key):
            v[key] = config[key]
    if config.get("Size"):
        v["Size"] = config["Size"]
    return v


def create_v1_id(v1_fields: dict, layer_chain_id: str, parent_hex: str | None) -> str:
    """moby ``CreateID``: encode the V1Image with ``id`` cleared, decode into
    a map, set ``layer_id`` (ChainID) and ``parent`` (``sha256:<hex>``),
    re-encode with sorted keys, sha256 -> hex."""
    m = dict(v1_fields)
    m.pop("id", None)
    m["layer_id"] = layer_chain_id
    if parent_hex:
        m["parent"] = "sha256:" + parent_hex
    return sha256_hex(go_json(sorted_map(m)))


def _with_id_parent(fields: dict, v1id: str, parent: str | None) -> dict:
    out = {"id": v1id}
    if parent:
        out["parent"] = parent
    out.update(fields)
    return out


@dataclass
class LegacyLayer:
    v1id: str
    json: bytes          # content of <v1id>/json


def docker_legacy_layers(config_bytes: bytes) -> list[LegacyLayer]:
    """The per-layer v1 IDs and ``json`` files ``docker save`` (1.10-25)
    writes for an image, bottom to top (moby tarexport saveImage,
    docs/formats.md §1.2, §2.2, §3.3)."""
    config = json.loads(config_bytes)
    diff_ids = config["rootfs"]["diff_ids"]
    chains = chain_ids(diff_ids)
    out: list[LegacyLayer] = []
    parent = None
    for i in range(len(diff_ids)):
        top = i == len(diff_ids) - 1
        if top:
            fields = v1_image_fields(config)
        else:
            # Only created = epoch (time.Unix(0,0) in a UTC locale) plus the
            # zero container_config struct that omitempty cannot drop.
            fields = {"created": EPOCH_RFC3339,
                      "container_config": go_container_config(None)}
        v1id = create_v1_id(fields, chains[i], parent)
        saved = _with_id_parent(fields, v1id, parent)
        if not top and config.get("os"):
            saved["os"] = config["os"]    # set after hashing
        out.append(LegacyLayer(v1id, go_json(saved)))
        parent = v1id
    return out


def containers_image_legacy_layers(config_bytes: bytes) -> list[LegacyLayer]:
    """Legacy layer IDs/json of the containers/image docker-archive writer
    (podman save, skopeo; docs/formats.md §1.5): per layer a map with ``parent``,
    ``layer_id`` = ChainID and, on the top layer, seven fields copied from
    the config; id = sha256 of that map (sorted keys); the saved json is the
    map without ``layer_id`` plus ``id``.  Verified against the corpus'
    gen__skopeo-docker-archive.tar."""
    config = json.loads(config_bytes)
    diff_ids = config["rootfs"]["diff_ids"]
    chains = chain_ids(diff_ids)
    out: list[LegacyLayer] = []
    parent = None
    for i in range(len(diff_ids)):
        m: dict = {}
        if parent:
            m["parent"] = parent
        if i == len(diff_ids) - 1:
            for key in ("architecture", "config", "container", "container_config",
                        "created", "docker_version", "os"):
                m[key] = config.get(key)
        m["layer_id"] = chains[i]
        lid = sha256_hex(go_json(sorted_map(m)))
        del m["layer_id"]
        m["id"] = lid
        out.append(LegacyLayer(lid, go_json(sorted_map(m))))
        parent = lid
    return out


# --------------------------------------------------------------------------
# Image configs and names
# --------------------------------------------------------------------------

def rfc3339_to_epoch(ts: str) -> int:
    """Whole seconds since the epoch of an RFC 3339 timestamp."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)", ts)
    if not m:
        raise ValueError(f"not an RFC 3339 timestamp: {ts}")
    zone = "+00:00" if m.group(2) == "Z" else m.group(2)
    return int(datetime.datetime.fromisoformat(m.group(1) + zone).timestamp())


def docker_config(diff_ids: Sequence[str], *, created: str, config: dict,
                  history: list[dict], architecture: str = "amd64", os_name: str = "linux",
                  variant: str | None = None, extra: dict | None = None) -> bytes:
    """An image config as Docker stores it: a Go map, so keys sorted,
    compact (docs/formats.md §2.3)."""
    c = {"architecture": architecture, "config": config, "created": created,
         "history": history, "os": os_name,
         "rootfs": {"type": "layers", "diff_ids": list(diff_ids)}}
    if variant:
        c["variant"] = variant
    c.update(extra or {})
    return go_json(sorted_map(c))


def docker_full_name(tag: str) -> str:
    """Familiar ``name:tag`` -> fully qualified (``docker.io/library/...``)."""
    name, _, t = tag.rpartition(":")
    first = name.split("/")[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif "." not in first and ":" not in first and first != "localhost":
        name = "docker.io/" + name
    return f"{name}:{t}"


def split_tag(tag: str) -> tuple[str, str]:
    name, _, t = tag.rpartition(":")
    return name, t


def repositories_json(tags_to_ids: Sequence[tuple[str, str]]) -> bytes:
    """``repositories``: name -> tag -> id (Go maps: sorted)."""
    repos: dict[str, dict[str, str]] = {}
    for tag, ident in tags_to_ids:
        name, t = split_tag(tag)
        repos.setdefault(name, {})[t] = ident
    return go_json(sorted_map({k: sorted_map(v) for k, v in repos.items()}))


# --------------------------------------------------------------------------
# Archive writers.  Each returns the list of tar members (in archive order)
# and a dict of facts about what was written (paths, IDs) for expectations.
# --------------------------------------------------------------------------

@dataclass
class SavedImage:
    config: bytes                   # exact config bytes
    layers: list[bytes]             # uncompressed layer tars, bottom -> top
    tags: list[str]                 # familiar "name:tag" strings
    parent: str | None = None       # manifest.json Parent (sha256:<image id>)



def v10_legacy_entries(seed: bytes, layers: Sequence[bytes], tag: str = "legacy/demo:1.0") -> tuple[list, list[str]]:
    """A Docker <= 1.9 save (docs/formats.md §1.1): repositories plus <id>/{VERSION,json,layer.tar}
    linked by `parent`, no manifest.json.  v1.0 IDs were random; here they are derived from
    `seed` so the archive is reproducible.  Returns the entries (unsorted) and the IDs bottom first."""
    ids = [sha256_hex(seed + b" layer %d" % i) for i in range(len(layers))]
    entries = []
    for i, (ident, tar) in enumerate(zip(ids, layers)):
        meta = {"id": ident}
        if i:
            meta["parent"] = ids[i - 1]
        meta.update({"created": "2015-10-01T00:00:00Z",
                     "container_config": go_container_config(None),
                     "docker_version": "1.8.3",
                     "config": go_container_config({"Cmd": ["/bin/sh"]}),
                     "architecture": "amd64", "os": "linux", "Size": len(tar)})
        entries += [directory(ident, mtime=1443657600),
                    file(f"{ident}/VERSION", b"1.0", mtime=1443657600),
                    file(f"{ident}/json", go_json(meta), mtime=1443657600),
                    file(f"{ident}/layer.tar", tar, mtime=1443657600)]
    entries.append(file("repositories", repositories_json([(tag, ids[-1])])))
    return entries, ids

def docker_save_v24(images: Sequence[SavedImage]) -> tuple[list[Entry], dict]:
    """``docker save`` of Docker 1.10-24 (docs/formats.md §1.2): ``<config>.json``,
    ``manifest.json``, ``repositories`` (tag -> top v1 ID), and one
    ``<v1id>/{VERSION,json,layer.tar}`` per layer; a diffID already written
    in this session becomes a relative symlink ``../<firstid>/layer.tar``.
    Times: layer dirs/files and the config get the image's ``created``;
    manifest.json and repositories get epoch 0."""
    entries: list[Entry] = []
    diffid_paths: dict[str, str] = {}
    saved_ids: set[str] = set()
    manifest, repo_pairs, facts = [], [], []
    for img in images:
        cfg = json.loads(img.config)
        created = rfc3339_to_epoch(cfg["created"])
        legacy = docker_legacy_layers(img.config)
        paths = []
        for lay, tar in zip(legacy, img.layers):
            path = f"{lay.v1id}/layer.tar"
            paths.append(path)
            if lay.v1id in saved_ids:
                continue
            saved_ids.add(lay.v1id)
            entries += [directory(lay.v1id, mtime=created),
                        file(f"{lay.v1id}/VERSION", b"1.0", mtime=created),
                        file(f"{lay.v1id}/json", lay.json, mtime=created)]
            diff_id = sha256_digest(tar)
            if diff_id in diffid_paths:
                entries.append(symlink(path, "../" + diffid_paths[diff_id], mtime=created))
            else:
                diffid_paths[diff_id] = path
                entries.append(file(path, tar, mtime=created))
        config_name = sha256_hex(img.config) + ".json"
        entries.append(file(config_name, img.config, mtime=created))
        item = {"Config": config_name, "RepoTags": list(img.tags) or None, "Layers": paths}
        if img.parent:
            item["Parent"] = img.parent
        manifest.append(item)
        repo_pairs += [(t, legacy[-1].v1id) for t in img.tags]
        facts.append({"config_name": config_name, "layer_paths": paths,
                      "v1ids": [lay.v1id for lay in legacy]})
    entries.append(file("manifest.json", go_json(manifest), mtime=0))
    if repo_pairs:
        entries.append(file("repositories", repositories_json(repo_pairs), mtime=0))
    return gnu_sorted(entries), {"images": facts}


def docker_save_v25(images: Sequence[SavedImage], with_parent: bool = False
                    ) -> tuple[list[Entry], dict]:
    """``docker save`` of Docker 25-28 with the graphdriver store
    (docs/formats.md §1.3): an OCI layout plus manifest.json (pointing into blobs, with
    ``LayerSources`` for every layer) and, if tagged, ``repositories`` whose
    values are the top layer's diffID hex.  Layers are uncompressed blobs
    named by diffID; each layer's legacy v1 JSON is written as an orphan
    blob (moby saveLayer, 25.0)."""
    blobs: dict[str, tuple[bytes, int]] = {}
    manifest, index_manifests, repo_pairs, facts = [], [], [], []
    for img in images:
        cfg = json.loads(img.config)
        created = rfc3339_to_epoch(cfg["created"])
        legacy = docker_legacy_layers(img.config)
        paths, sources, oci_layers = [], {}, []
        for lay, tar in zip(legacy, img.layers):
            diff_id = sha256_digest(tar)
            blobs.setdefault(hex_of(diff_id), (tar, created))
            blobs.setdefault(sha256_hex(lay.json), (lay.json, created))
            paths.append("blobs/sha256/" + hex_of(diff_id))
            # distribution.Descriptor field order: mediaType, size, digest
            sources[diff_id] = {"mediaType": MT_OCI_LAYER, "size": len(tar), "digest": diff_id}
            oci_layers.append(descriptor(MT_OCI_LAYER, tar))
        blobs.setdefault(sha256_hex(img.config), (img.config, created))
        oci_manifest = go_json({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                                "config": descriptor(MT_OCI_CONFIG, img.config),
                                "layers": oci_layers})
        blobs.setdefault(sha256_hex(oci_manifest), (oci_manifest, created))
        item = {"Config": "blobs/sha256/" + sha256_hex(img.config),
                "RepoTags": list(img.tags) or None, "Layers": paths}
        if with_parent and img.parent:
            item["Parent"] = img.parent
        item["LayerSources"] = sorted_map(sources)
        manifest.append(item)
        if img.tags:
            for t in img.tags:
                index_manifests.append(descriptor(
                    MT_OCI_MANIFEST, oci_manifest,
                    annotations=sorted_map({ANN_CONTAINERD_NAME: docker_full_name(t),
                                            ANN_REF_NAME: split_tag(t)[1]})))
        else:
            index_manifests.append(descriptor(MT_OCI_MANIFEST, oci_manifest))
        repo_pairs += [(t, hex_of(sha256_digest(img.layers[-1]))) for t in img.tags]
        facts.append({"config_name": item["Config"], "layer_paths": paths,
                      "v1ids": [lay.v1id for lay in legacy],
                      "legacy_blobs": ["blobs/sha256/" + sha256_hex(lay.json) for lay in legacy],
                      "oci_manifest": sha256_digest(oci_manifest)})
    t0 = max(mt for _, mt in blobs.values())
    entries = [directory("blobs", mtime=t0), directory("blobs/sha256", mtime=t0)]
    entries += [file("blobs/sha256/" + h, data, mtime=mt) for h, (data, mt) in blobs.items()]
    index = {"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": index_manifests}
    entries += [file("index.json", go_json(index), mtime=t0),
                file("manifest.json", go_json(manifest), mtime=0),
                file("oci-layout", OCI_LAYOUT, mtime=0)]
    if repo_pairs:
        entries.append(file("repositories", repositories_json(repo_pairs), mtime=0))
    return gnu_sorted(entries), {"images": facts}


def nix_stream_layered(config: dict, layers: Sequence[bytes], tag: str,
                       mtime: int = 1) -> tuple[list[Entry], dict]:
    """nixpkgs ``streamLayeredImage`` / ``buildLayeredImage`` (docs/formats.md §1.7):
    ``<diffid-hex>/layer.tar`` members (no directory entries, no json, no
    VERSION), then ``<sha256>.json`` and a manifest.json with Config,
    RepoTags and Layers only; JSON indented like the Python script."""
    diff_ids = [sha256_digest(t) for t in layers]
    cfg = {"created": config["created"], "architecture": config.get("architecture", "amd64"),
           "os": config.get("os", "linux"), "config": config.get("config", {}),
           "rootfs": {"diff_ids": diff_ids, "type": "layers"},
           "history": config.get("history", [{"created": config["created"]}] * len(layers))}
    config_bytes = pretty_json(cfg, indent=4)
    config_name = sha256_hex(config_bytes) + ".json"
    paths = [hex_of(d) + "/layer.tar" for d in diff_ids]
    entries = [file(p, t, mtime=mtime) for p, t in zip(paths, layers)]
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": paths}]
    entries += [file(config_name, config_bytes, mtime=mtime),
                file("manifest.json", pretty_json(manifest, indent=4), mtime=mtime)]
    return entries, {"config_name": config_name, "config": config_bytes, "layer_paths": paths}


def nix_build_image(base_archive: bytes, layer: bytes, *, name: str, tag: str,
                    created: str, config: dict, source_date_epoch: int = 1
                    ) -> tuple[list[Entry], dict]:
    """nixpkgs ``buildImage`` with ``fromImage`` after commit c88337c9
    (docs/formats.md §1.7).  Mirrors the shell steps: extract the base, read
    ``manifest.json[0].Layers``, delete the top-level ``*.json``, add
    ``<layerID>/{VERSION,json,layer.tar}`` whose ``json`` has ``parent`` =
    the base *image* ID (config file name minus ``.json``, which names no
    layer directory), layerID = sha256(json) before ``id``/``Size`` are
    added; recompute diff_ids with sha256sum; write config, manifest.json,
    repositories; ``tar --sort=name --mtime=@SDE --owner=0 --group=0`` after
    ``chmod -R a-w``."""
    config = sorted_map(config)     # builtins.toJSON sorts keys
    base: dict[str, Entry] = {}
    with tarfile.open(fileobj=io.BytesIO(base_archive)) as tf:
        for m in tf.getmembers():
            if m.isdir():
                base[m.name] = directory(m.name)
            elif m.isfile():
                base[m.name] = file(m.name, tf.extractfile(m).read())
    base_manifest = json.loads(base[("manifest.json")].data)[0]
    parent_id = base_manifest["Config"][:-len(".json")]
    base_layers = list(base_manifest["Layers"])
    kept = [e for n, e in base.items() if not ("/" not in n and n.endswith(".json"))]

    # The new layer's json: base JSON (builtins.toJSON, sorted keys) plus
    # checksum and parent appended by jshon.
    layer_json = {"architecture": "amd64", "config": config, "created": created,
                  "os": "linux", "preferLocalBuild": True,
                  # A TarSum in nix; any string will do for a reader.
                  "checksum": "tarsum+sha256:" + sha256_hex(layer) + " (placeholder)",
                  "parent": parent_id}
    layer_id = sha256_hex(json.dumps(layer_json).encode())
    layer_json.update({"id": layer_id, "Size": len(layer)})

    files = {e.name: e for e in kept}
    files[f"{layer_id}/VERSION"] = file(f"{layer_id}/VERSION", b"1.0")
    files[f"{layer_id}/json"] = file(f"{layer_id}/json", json.dumps(layer_json).encode())
    files[f"{layer_id}/layer.tar"] = file(f"{layer_id}/layer.tar", layer)

    layer_paths = base_layers + [f"{layer_id}/layer.tar"]
    diff_ids = [sha256_digest(files[p].data) for p in layer_paths]
    image_json = {"architecture": "amd64", "config": config, "created": created, "os": "linux",
                  "rootfs": {"diff_ids": diff_ids, "type": "layers"},
                  "history": [{"created": created} for _ in layer_paths]}
    config_bytes = pretty_json(image_json, indent=2, newline=True)   # jq + echo
    config_name = sha256_hex(config_bytes) + ".json"
    manifest = [{"RepoTags": [f"{name}:{tag}"], "Layers": layer_paths, "Config": config_name}]
    files[config_name] = file(config_name, config_bytes)
    files["manifest.json"] = file("manifest.json", pretty_json(manifest, indent=2, newline=True))
    files["repositories"] = file("repositories", json.dumps({name: {tag: layer_id}}).encode())

    # chmod -R a-w, then tar with fixed owner and mtime; GNU tar also
    # records the directories that extraction created.
    out = []
    for e in with_parent_dirs(files.values()):
        mode = 0o555 if e.kind == "dir" else 0o444
        out.append(Entry(e.name, e.kind, data=e.data, mode=mode, mtime=source_date_epoch))
    return gnu_sorted(out), {"config_name": config_name, "config": config_bytes,
                             "layer_paths": layer_paths, "layer_id": layer_id,
                             "parent_id": parent_id}


def containers_image_archive(config: bytes, layers: Sequence[bytes], tags: Sequence[str]
                             ) -> tuple[list[Entry], dict]:
    """containers/image docker-archive writer (podman save, skopeo;
    docs/formats.md §1.5): ``<diffid>.tar`` at the root (each once), ``<hex>.json`` config,
    a legacy dir per layer whose ``layer.tar`` is a symlink to
    ``../<diffid>.tar``, manifest.json with fully qualified RepoTags,
    ``repositories`` always.  Members r--r--r--, symlinks mode 0, mtime 0,
    no directory entries."""
    entries, seen = [], set()
    for tar in layers:
        name = sha256_hex(tar) + ".tar"
        if name not in seen:
            seen.add(name)
            entries.append(file(name, tar, mode=0o444))
    config_name = sha256_hex(config) + ".json"
    entries.append(file(config_name, config, mode=0o444))
    legacy = containers_image_legacy_layers(config)
    for lay, tar in zip(legacy, layers):
        entries += [symlink(f"{lay.v1id}/layer.tar", f"../{sha256_hex(tar)}.tar", mode=0),
                    file(f"{lay.v1id}/VERSION", b"1.0", mode=0o444),
                    file(f"{lay.v1id}/json", lay.json, mode=0o444)]
    paths = [sha256_hex(t) + ".tar" for t in layers]
    manifest = [{"Config": config_name, "RepoTags": list(tags), "Layers": paths}]
    entries.append(file("manifest.json", go_json(manifest), mode=0o444))
    entries.append(file("repositories",
                        repositories_json([(t, legacy[-1].v1id) for t in tags]), mode=0o444))
    return entries, {"config_name": config_name, "layer_paths": paths,
                     "v1ids": [lay.v1id for lay in legacy]}


def oci_layout_entries(blobs: Iterable[bytes], index: dict, mtime: int = 0,
                       extra: Sequence[Entry] = ()) -> list[Entry]:
    """An OCI image layout (docs/formats.md §2.4): ``oci-layout``, ``index.json``,
    ``blobs/sha256/<hex>``; sorted by name."""
    entries = [directory("blobs", mtime=mtime), directory("blobs/sha256", mtime=mtime)]
    seen = set()
    for b in blobs:
        h = sha256_hex(b)
        if h not in seen:
            seen.add(h)
            entries.append(file("blobs/sha256/" + h, b, mtime=mtime))
    entries += [file("index.json", go_json(index), mtime=mtime),
                file("oci-layout", OCI_LAYOUT, mtime=mtime)]
    entries += list(extra)
    return gnu_sorted(entries)


def write_directory(root: str, entries: Iterable[Entry]) -> None:
    """Materialise *entries* under *root* (files and directories only)."""
    for e in entries:
        path = os.path.join(root, e.name)
        if e.kind == "dir":
            os.makedirs(path, exist_ok=True)
        elif e.kind == "file":
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(e.data)
            os.utime(path, (e.mtime or 0, e.mtime or 0))
        else:
            raise ValueError(f"write_directory: unsupported kind {e.kind}")


def write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


# --------------------------------------------------------------------------
# Self-test against real archives
# --------------------------------------------------------------------------

def _read_members(path: str) -> dict[str, bytes]:
    with tarfile.open(path) as tf:
        return {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}


def selftest(corpus: str) -> None:
    # ggcr test_link.tar (Docker 20.10.2): two images, three v1 dirs.
    members = _read_members(os.path.join(corpus, "ggcr__test_link.tar"))
    manifest = json.loads(members["manifest.json"])
    got = []
    for entry in manifest:
        layers = docker_legacy_layers(members[entry["Config"]])
        ids = [lay.v1id for lay in layers]
        want = [p.split("/")[0] for p in entry["Layers"]]
        assert ids == want, (entry["Config"], ids, want)
        for lay in layers:
            # Only real files carry json bytes worth comparing.
            assert members[lay.v1id + "/json"] == lay.json, lay.v1id
        got += ids
    assert sorted(set(got)) == sorted(
        ["6e77476643c3155b1e9ae07dd5a4c8288bdb6590c131c222b7a3f277dec1e266",
         "b159278ac0c8813245b6c3b22cbbe7abefe3b2ec3fac6c7e87138811e1ef2a88",
         "3fe17a762ab6ad87de78c88326e1667b3e6a8924a0eb92a34a2bfeb40f49824d"]), got
    print("test_link.tar: 3 v1 IDs and json files reproduced")

    # ggcr hello-world-v25.tar (Docker 25): the orphan legacy json blob.
    members = _read_members(os.path.join(corpus, "ggcr__hello-world-v25.tar"))
    manifest = json.loads(members["manifest.json"])
    layers = docker_legacy_layers(members[manifest[0]["Config"]])
    assert layers[0].v1id == "78d0dd34c5b3cf2b40239eb3836a9bccfdbc80d313591426617ee4a221e205bd"
    assert "blobs/sha256/" + sha256_hex(layers[0].json) in members
    print("hello-world-v25.tar: v1 ID and orphan legacy blob reproduced")

    # skopeo docker-archive: containers/image legacy IDs.
    path = os.path.join(corpus, "gen__skopeo-docker-archive.tar")
    if os.path.exists(path):
        members = _read_members(path)
        manifest = json.loads(members["manifest.json"])
        layers = containers_image_legacy_layers(members[manifest[0]["Config"]])
        for lay in layers:
            assert members[lay.v1id + "/json"] == lay.json, lay.v1id
        print(f"gen__skopeo-docker-archive.tar: {len(layers)} c/image legacy IDs reproduced")

    # Basic tar/gzip determinism.
    t = layer_tar([directory("d"), file("d/f", b"x")])
    assert t == layer_tar([directory("d"), file("d/f", b"x")]) and len(t) % RECORD == 0
    assert gzip_bytes(t) == gzip_bytes(t) and gzip_bytes(t)[4:8] == b"\0\0\0\0"
    assert layer_tar([], go_style=True) == bytes(1024)
    print("selftest OK")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--selftest":
        default = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "..", "..", "..", "shared", "corpus")
        selftest(sys.argv[2] if len(sys.argv) > 2 else
                 os.environ.get("LAMINA_CORPUS", default))
    else:
        print(__doc__)
