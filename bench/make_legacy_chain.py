#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a legacy-only (v1.0) archive of one long parent chain, for benchmarks of many members.

    python3 bench/make_legacy_chain.py OUT.tar [--layers 33334] [--outer-gzip]

Each layer is a folder `<id>/` holding VERSION, json (with `parent`) and a small layer.tar of one
file; `repositories` tags the top. 33,334 layers make 100,003 members: the case of issue 19 where
every member is metadata-sized and the work is per member, not per byte. Deterministic, standard
library only, independent of Lamina.
"""

import argparse
import gzip
import hashlib
import io
import json
import tarfile

MTIME = 1700000000


def member(name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = MTIME
    ti.mode = 0o644
    return ti, io.BytesIO(data)


def layer_tar(k):
    """A layer of one file, cut after its end-of-archive blocks (tarfile pads to 10 KiB)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        t.addfile(*member(f"layer/f{k}.txt", b"layer %d\n" % k))
    return buf.getvalue()[:3 * 512 + 1024]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=33334)
    ap.add_argument("--outer-gzip", action="store_true")
    a = ap.parse_args()
    raw = open(a.out, "wb")
    out = gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=raw, mtime=0) if a.outer_gzip else raw
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.USTAR_FORMAT) as t:
        parent = None
        for k in range(a.layers):
            lid = hashlib.sha256(b"legacy chain layer %d" % k).hexdigest()
            doc = {"id": lid, "created": "2023-11-14T22:13:20Z", "docker_version": "1.9.1",
                   "container_config": {"Cmd": ["/bin/sh", "-c", "echo %d" % k]},
                   "architecture": "amd64", "os": "linux"}
            if parent:
                doc["parent"] = parent
            for name, data in (("VERSION", b"1.0"), ("json", json.dumps(doc).encode()), ("layer.tar", layer_tar(k))):
                t.addfile(*member(f"{lid}/{name}", data))
            parent = lid
        t.addfile(*member("repositories", json.dumps({"bench/chain": {"latest": parent}}).encode()))
    if out is not raw:
        out.close()
    raw.close()


if __name__ == "__main__":
    main()
