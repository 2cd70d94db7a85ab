#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the ordinary images on which extraction and `cat` were quadratic (issue 16 item 20),
with Python's tarfile and gzip only (independent of Lamina's writer):

    python3 make_extract_cases.py OUTDIR [CASE...]

- gzip-layer-8000.tar: a docker save whose one layer is gzip'd and holds 8,000 files;
- outer-gzip-8000.tar.gz: a docker save gzip'd whole, one plain layer of 8,000 files;
- hardlinks-20000.tar: 20,000 hard links in layer 1 to a file of layer 0, which holds 8,000 more;
- entries-2.1M.tar: one gzip layer of 2,100,000 entries (2,100 folders of 999 empty files);
  extract one folder (`d0000`, 999 files) or `cat` one file of it.

Measure with, for example, `time lamina extract OUTDIR/gzip-layer-8000.tar / /tmp/x`.
"""
import gzip, hashlib, io, json, os, sys, tarfile

OUT = sys.argv[1]
ONLY = set(sys.argv[2:])


def wanted(name):
    return not ONLY or name in ONLY


def sha(b):
    return hashlib.sha256(b).hexdigest()


def info(name, kind="file", size=0, link=""):
    ti = tarfile.TarInfo(name)
    ti.mtime = 0
    ti.mode = 0o755 if kind == "dir" else 0o644
    ti.size = size
    if kind == "dir":
        ti.type = tarfile.DIRTYPE
    elif kind == "hard":
        ti.type = tarfile.LNKTYPE
        ti.linkname = link
    return ti


def many_files(t, count, per_folder=100):
    for i in range(count):
        if i % per_folder == 0:
            t.addfile(info("d%04d" % (i // per_folder), "dir"))
        data = (b"file %d\n" % i) * (1 + i % 50)
        t.addfile(info("d%04d/f%05d" % (i // per_folder, i), size=len(data)), io.BytesIO(data))


def layer(fill):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        fill(t)
    return buf.getvalue()


def docker_save(out, layers, diff_ids):
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]}}).encode()
    names = ["%s/layer.tar" % sha(l) for l in layers]
    manifest = json.dumps([{"Config": sha(cfg) + ".json", "RepoTags": ["bench:1"], "Layers": names}]).encode()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in [("manifest.json", manifest), (sha(cfg) + ".json", cfg)] + list(zip(names, layers)):
            t.addfile(info(name, size=len(data)), io.BytesIO(data))


os.makedirs(OUT, exist_ok=True)

plain = layer(lambda t: many_files(t, 8000))
if wanted("gzip-layer-8000.tar"):
    gz = gzip.compress(plain, compresslevel=6, mtime=0)
    with open(os.path.join(OUT, "gzip-layer-8000.tar"), "wb") as f:
        docker_save(f, [gz], [sha(plain)])

if wanted("outer-gzip-8000.tar.gz"):
    with open(os.path.join(OUT, "outer-gzip-8000.tar.gz"), "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as f:
        docker_save(f, [plain], [sha(plain)])


def links(t):
    for i in range(20000):
        t.addfile(info("l%05d" % i, "hard", link="base/file"))


lower = layer(lambda t: (many_files(t, 8000), t.addfile(info("base", "dir")),
                         t.addfile(info("base/file", size=6), io.BytesIO(b"linked"))))
upper = layer(links)
if wanted("hardlinks-20000.tar"):
    with open(os.path.join(OUT, "hardlinks-20000.tar"), "wb") as f:
        docker_save(f, [lower, upper], [sha(lower), sha(upper)])

if not wanted("entries-2.1M.tar"):
    sys.exit(0)
# 2.1M headers: streamed straight into gzip, never held whole (the plain stream is ~1.1 GB).
big_path = os.path.join(OUT, "entries-2.1M.layer.gz")
h = hashlib.sha256()


class Hashing:
    def __init__(self, inner):
        self.inner = inner
        self.at = 0

    def tell(self):
        return self.at

    def write(self, b):
        h.update(b)
        self.at += len(b)
        return self.inner.write(b)


with open(big_path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gzf:
    with tarfile.open(fileobj=Hashing(gzf), mode="w", format=tarfile.GNU_FORMAT) as t:
        for d in range(2100):
            t.addfile(info("d%04d" % d, "dir"))
            for i in range(999):
                t.addfile(info("d%04d/f%03d" % (d, i)), io.BytesIO(b""))
with open(big_path, "rb") as f:
    big = f.read()
os.unlink(big_path)
with open(os.path.join(OUT, "entries-2.1M.tar"), "wb") as f:
    docker_save(f, [big], [h.hexdigest()])
