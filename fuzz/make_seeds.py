#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed inputs for the fuzz targets, cut from the shared corpus of real archives and from the
archives the test fixture generators write (each member classified by name and content,
independently of Lamina's readers), plus composition files.

    make_seeds.py CORPUS_DIR OUT_DIR   -> OUT_DIR/{archive,verify,extract,json,layer,merge,treecache,composition,indexcache}/
"""
import hashlib, io, json, os, struct, subprocess, sys, tarfile, tempfile, zlib

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")

SEP = b"\n==layer==\n"  # fuzz_merge.cpp's kSeparator
EDITS = b"\n==edits==\n"  # fuzz_treecache.cpp's kEdits


def put(out, target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def json_kind(name, data):
    try:
        doc = json.loads(data)
    except Exception:
        return None
    base = name.rsplit("/", 1)[-1]
    if base == "manifest.json":
        return 0
    if base == "index.json" or (isinstance(doc, dict) and "manifests" in doc):
        return 3
    if base == "json":
        return 2
    if isinstance(doc, dict) and "rootfs" in doc:
        return 1
    if isinstance(doc, dict) and "layers" in doc and "config" in doc:
        return 4
    return None


def is_layer(data):
    return (data[:2] == b"\x1f\x8b" or data[:4] == b"\x28\xb5\x2f\xfd"
            or (len(data) >= 512 and data[257:262] == b"ustar"))


def members(path):
    if os.path.isdir(path):
        for root, _, files in os.walk(path):
            for f in sorted(files):
                full = os.path.join(root, f)
                if not os.path.islink(full):
                    with open(full, "rb") as fh:
                        yield os.path.relpath(full, path), fh.read()
        return
    try:
        with tarfile.open(path) as t:
            for m in t.getmembers():
                if m.isfile() and m.size < (4 << 20):
                    yield m.name, t.extractfile(m).read()
    except (tarfile.TarError, EOFError, OSError, zlib.error):
        return  # broken on purpose: still an archive seed, just no members to cut


def main(corpus, out):
    with tempfile.TemporaryDirectory() as generated:
        for script in ("make_fixtures.py", "make_findings.py"):
            target = os.path.join(generated, script[5:-3])
            os.makedirs(target)
            subprocess.run([sys.executable, os.path.join(FIXTURES, script), target], check=True,
                           stdout=subprocess.DEVNULL)
        for source in [corpus] + sorted(os.path.join(generated, d) for d in os.listdir(generated)):
            seed_from(source, out)
    write_compositions(out)
    write_index_payloads(out)


def seed_from(corpus, out):
    for entry in sorted(os.listdir(corpus)):
        path = os.path.join(corpus, entry)
        if os.path.isfile(path) and entry.endswith((".tar", ".gz")) and os.path.getsize(path) < (256 << 10):
            with open(path, "rb") as f:
                whole = f.read()
            # fuzz_verify and fuzz_extract take whole archives too.
            for target in ("archive", "verify", "extract"):
                put(out, target, whole)
        layers = []
        for name, data in members(path):
            kind = json_kind(name, data)
            if kind is not None:
                put(out, "json", bytes([kind]) + data)
            elif is_layer(data) and len(data) < (256 << 10):
                put(out, "layer", data)
                layers.append(data)
        for i in range(0, len(layers), 4):
            group = layers[i:i + 4]
            if sum(map(len, group)) < (512 << 10):
                put(out, "merge", SEP.join(group))
                # The tree of those layers as the cache keeps it, as it is and with a few words
                # overwritten (offset, value): the node table's first words, the counts, the end.
                put(out, "treecache", SEP.join(group))
                put(out, "treecache", SEP.join(group) + EDITS + struct.pack("<IIIIII", 40, 7, 44, 0xffffffff, 8, 3))


def write_index_payloads(out):
    """Payloads of index cache files (core/layers/indexcache.cpp, payloadOf) for a small layer:
    etc/, etc/passwd and a symlink, with and without an xattr."""
    import struct

    def blob(b):
        return struct.pack("<Q", len(b)) + b

    pool = b"etcpasswdlinketc/passwd"
    # parent, nameOffset, linkOffset, nameLength, linkLength, mode, type, flags, uid, gid,
    # header, size, mtime, dataOffset: LayerEntry's 56 bytes.
    entries = [
        struct.pack("<iIIHHHBBIIiqqq", -1, 0, 0, 3, 0, 0o755, 1, 0, 0, 0, 0, 0, 1, -1),
        struct.pack("<iIIHHHBBIIiqqq", 0, 3, 0, 6, 0, 0o644, 0, 0, 0, 0, 1, 5, 1, 1536),
        struct.pack("<iIIHHHBBIIiqqq", -1, 9, 13, 4, 10, 0o777, 2, 0, 0, 0, 2, 0, 1, -1),
    ]
    start = [0, 2, 3, 3, 3]
    children = [0, 2, 1]
    def pad(b):
        # Each array starts at a multiple of 8 of the payload (Writer::align), after its count.
        return b + b"\0" * (-len(b) % 8)

    for xattrs in (struct.pack("<I", 0),
                   struct.pack("<IiI", 1, 1, 1) + blob(b"user.note") + blob(b"hello")):
        payload = (struct.pack("<qqB", 3072, 3072, 0) + blob(b"") + blob(b"")
                   + struct.pack("<iqiB", 1, 5, 0, 1) + struct.pack("<II", 0, 0)
                   + struct.pack("<Q", len(entries)))
        payload = pad(payload) + b"".join(entries) + blob(pool) + struct.pack("<Q", len(start))
        payload = pad(payload) + struct.pack("<%di" % len(start), *start) + struct.pack("<Q", len(children))
        payload = pad(payload) + struct.pack("<%di" % len(children), *children) + xattrs
        put(out, "indexcache", payload)


def write_compositions(out):
    ops = [{"op": "add", "host": "site/", "path": "/srv/www", "mode": "0755", "owner": "0:0"},
           {"op": "mkdir", "path": "/out", "mode": "0777"},
           {"op": "symlink", "path": "/usr/local/bin/app", "target": "/srv/www/run.sh"},
           {"op": "write", "path": "/etc/motd", "text": "hello\n", "mode": "0644"},
           {"op": "delete", "path": "/etc/old.conf"},
           {"op": "opaque", "path": "/var/cache"}]
    full = {"base": "base.tar", "image": 0, "layers": [{"ops": ops}, {"ops": ops[1:3]}],
            "config": {"WorkingDir": "/out", "Cmd": ["/bin/sh", "-c", "echo"], "Entrypoint": ["tini", "--"],
                       "Env": {"set": ["PATH=/bin"], "unset": ["DEBUG"]}, "User": "1000:1000",
                       "Labels": ["a=b"], "ExposedPorts": ["8080/tcp", "53/udp"], "Volumes": ["/data"],
                       "StopSignal": "SIGTERM"},
            "tags": ["example:latest"], "created": "1970-01-01T00:00:01Z", "createWorkdir": False}
    for doc in (full, {}, {"layers": []}, {"config": {"Cmd": []}}, {"layers": [{"ops": [ops[3]]}]}):
        put(out, "composition", json.dumps(doc).encode())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
