#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The real loaders judge what Lamina exports (issue 15 item 4).

    python3 judgeexports.py NAME=PATH=LOADERS...

Every archive (tests/core/compose/tst_export's outputs; LOADERS: those of docker, containerd and podman that
Lamina predicts to load it, comma-separated) is loaded by those loaders, and what each loaded is
compared with what the archive itself says (the config its manifest names, that config's
rootfs.diff_ids):

- manifest.json: `docker load` into a private dockerd. When the archive also has a legacy chain
  (repositories, <id>/json), a second `docker load` of a copy without manifest.json makes Docker's
  legacy loader walk the parent chain: both loads must give the same RootFS.Layers and Config.
- oci-layout: `ctr images import` into a private containerd; the config of the manifest it
  imported must be the archive's.
- both: `podman load` into a throwaway store; its image ID must be the config digest.

An archive with "<name>.run.txt" beside it is also started, with `docker run` after each docker load,
`ctr run` and `podman run`, all without a network: what it prints must be that file.

Prints one line per check and exits 1 when one fails, 2 when a loader cannot start.
"""
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemons import Containerd, Docker, podman_command, remove_tree, require, run  # noqa: E402

problems = []
checks = {"docker": 0, "docker-legacy": 0, "containerd": 0, "podman": 0, "run": 0}


def fail(name, what):
    problems.append("%s: %s" % (name, what))
    print("FAIL %s: %s" % (name, what), flush=True)


def ok(name, kind, what=""):
    checks[kind] += 1
    print("ok   %s: %s %s" % (name, kind, what), flush=True)


def read_members(path):
    """name → bytes of every regular member (the exports are small)."""
    out = {}
    with open(path, "rb") as f:
        head = f.read(4)
    source = {"name": path}
    if head == b"\x28\xb5\x2f\xfd":  # zstd, which Python's tarfile does not read
        data = subprocess.run(["zstd", "-dc", path], stdout=subprocess.PIPE, check=True).stdout
        source = {"fileobj": io.BytesIO(data)}
    with tarfile.open(mode="r:*", **source) as t:
        for m in t:
            if m.isfile():
                out[m.name.lstrip("./")] = t.extractfile(m).read()
    return out


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def described(members):
    """(config digest, diff IDs, config JSON) of the image the archive describes: manifest.json's
    first entry, else the OCI index's first manifest."""
    if "manifest.json" in members:
        entry = json.loads(members["manifest.json"])[0]
        raw = members[entry["Config"]]
    else:
        index = json.loads(members["index.json"])
        desc = index["manifests"][0]
        manifest = json.loads(members["blobs/" + desc["digest"].replace(":", "/")])
        if "manifests" in manifest:  # an index in the index
            manifest = json.loads(members["blobs/" + manifest["manifests"][0]["digest"].replace(":", "/")])
        raw = members["blobs/" + manifest["config"]["digest"].replace(":", "/")]
    cfg = json.loads(raw)
    return sha(raw), cfg["rootfs"]["diff_ids"], cfg.get("config", {})


def without_manifest(path, out):
    """A copy of the archive without manifest.json, so Docker's legacy loader reads it."""
    with tarfile.open(path, "r:*") as src, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as dst:
        for m in src:
            if m.name.lstrip("./") == "manifest.json":
                continue
            dst.addfile(m, src.extractfile(m) if m.isfile() else None)


def loaded_ref(output):
    m = re.search(r"Loaded image(?: ID)?: (\S+)", output)
    return m.group(1) if m else None


def legacy_tag(members):
    repos = json.loads(members.get("repositories", b"{}"))
    for repo, tags in sorted(repos.items()):
        for tag in sorted(tags):
            return "%s:%s" % (repo, tag)
    return None


def top_of_new_images(docker, before):
    new = set(run(docker.docker("images", "-aq", "--no-trunc"), 60)[1].split()) - before
    best, most = None, -1
    for image in sorted(new):
        rc, inspect = run(docker.docker("image", "inspect", image), 60)
        layers = len(json.loads(inspect)[0]["RootFS"]["Layers"]) if rc == 0 else -1
        if layers > most:
            best, most = image, layers
    return best


def judge_docker(docker, name, path, members, expected, cfg_digest, diff_ids, legacy):
    loads = [("docker", path)]
    if legacy:
        stripped = os.path.join(docker.dir, "legacy-" + name)
        without_manifest(path, stripped)
        loads.append(("docker-legacy", stripped))
    seen = []
    for kind, archive in loads:
        before = set(run(docker.docker("images", "-aq", "--no-trunc"), 60)[1].split())
        rc, out = run(docker.docker("load", "-i", archive), 300)
        # The legacy loader prints nothing; it tags what `repositories` names, and an untagged
        # chain is found as the new image with the most layers (every layer folder is an image).
        ref = loaded_ref(out or "") or legacy_tag(members) or top_of_new_images(docker, before)
        if rc != 0 or not ref:
            fail(name, "%s load refused: %s" % (kind, (out or "").strip()[-400:]))
            docker.clean()
            continue
        rc, inspect = run(docker.docker("image", "inspect", ref), 60)
        image = json.loads(inspect)[0]
        layers = image["RootFS"]["Layers"]
        if layers != diff_ids:
            fail(name, "%s loaded the layers %s, the archive's config lists %s" % (kind, layers, diff_ids))
        elif kind == "docker" and image["Id"] != cfg_digest:
            fail(name, "docker loaded the image %s, the manifest names %s" % (image["Id"], cfg_digest))
        else:
            ok(name, kind, image["Id"][:19])
        seen.append((kind, layers, image["Config"]))
        if expected is not None:
            rc, out = run(docker.docker("run", "--rm", "--network", "none", ref), 120)
            if rc == 0 and out == expected:
                ok(name, "run", "docker run after %s" % kind)
            else:
                fail(name, "docker run after %s printed %r (exit %s), expected %r" % (kind, out, rc, expected))
        docker.clean()
    if len(seen) == 2 and (seen[0][1] != seen[1][1] or seen[0][2] != seen[1][2]):
        fail(name, "the legacy chain loads another image than manifest.json: layers %s vs %s, Config %s vs %s"
             % (seen[1][1], seen[0][1], json.dumps(seen[1][2]), json.dumps(seen[0][2])))


def judge_containerd(ctrd, name, path, expected, cfg_digest):
    rc, out = run(ctrd.ctr("images", "import", "--all-platforms", "--digests", "--snapshotter", "native", path), 300)
    if rc != 0:
        fail(name, "ctr images import refused: " + out.strip()[-400:])
        ctrd.clean()
        return
    rc, listing = run(ctrd.ctr("images", "ls"), 60)
    rows = [l.split() for l in listing.splitlines()[1:] if l.strip()]
    # A tagged name when the archive has one, else the digest name --digests gives.
    rows.sort(key=lambda r: r[0].startswith("import-"))
    if not rows:
        fail(name, "ctr images import loaded nothing: " + out.strip()[-400:])
        return
    ref, target = rows[0][0], rows[0][2]
    rc, blob = run(ctrd.ctr("content", "get", target), 60)
    manifest = json.loads(blob)
    if "manifests" in manifest:
        rc, blob = run(ctrd.ctr("content", "get", manifest["manifests"][0]["digest"]), 60)
        manifest = json.loads(blob)
    got = manifest["config"]["digest"]
    if got != cfg_digest:
        fail(name, "containerd imported the config %s, the archive describes %s" % (got, cfg_digest))
    else:
        ok(name, "containerd", got[:19])
    if expected is not None:
        rc, out = run(ctrd.ctr("run", "--rm", "--snapshotter", "native", ref, "lamina-judge"), 120)
        if rc == 0 and out == expected:
            ok(name, "run", "ctr run")
        else:
            fail(name, "ctr run printed %r (exit %s), expected %r" % (out, rc, expected))
    ctrd.clean()


def judge_podman(podman, name, path, expected, cfg_digest, diff_ids):
    rc, out = run(podman + ["load", "-q", "-i", path], 300)
    if rc != 0:
        fail(name, "podman load refused: " + out.strip()[-400:])
        return
    rc, inspect = run(podman + ["image", "inspect", cfg_digest.split(":")[1]], 60)
    if rc != 0:
        fail(name, "podman loaded something else than the config %s: %s" % (cfg_digest, out.strip()))
    else:
        image = json.loads(inspect)[0]
        if image["RootFS"]["Layers"] != diff_ids:
            fail(name, "podman loaded the layers %s, the config lists %s" % (image["RootFS"]["Layers"], diff_ids))
        else:
            ok(name, "podman", cfg_digest[:19])
        if expected is not None:
            # podman raises the open-file and process limits by default, which a container without
            # CAP_SYS_RESOURCE (such as a CI runner) may not: ask for low ones.
            rc, out = run(podman + ["run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit",
                                    "nproc=1024:1024", cfg_digest.split(":")[1]], 120)
            if rc == 0 and out == expected:
                ok(name, "run", "podman run")
            else:
                fail(name, "podman run printed %r (exit %s), expected %r" % (out, rc, expected))
    run(podman + ["rmi", "-af"], 120)


def main():
    archives = [a.split("=", 2) for a in sys.argv[1:]]
    require("judgeexports", ("dockerd", "containerd", "ctr", "podman", "runc"),
            "docker.io, containerd, runc and podman")
    root = tempfile.mkdtemp(prefix="lamina-judge-")
    docker, ctrd = Docker(root), Containerd(root)
    podman = podman_command(os.path.join(root, "podman"))
    try:
        docker.start()
        ctrd.start()
        for name, path, loaders in archives:
            loaders = loaders.split(",")
            members = read_members(path)
            expected = None
            if os.path.exists(path + ".run.txt"):
                with open(path + ".run.txt") as f:
                    expected = f.read()
            cfg_digest, diff_ids, _ = described(members)
            legacy = "repositories" in members or any(n.endswith("/json") for n in members)
            if "docker" in loaders and "manifest.json" in members:
                judge_docker(docker, name, path, members, expected, cfg_digest, diff_ids, legacy)
            if "containerd" in loaders and "oci-layout" in members:
                judge_containerd(ctrd, name, path, expected, cfg_digest)
            if "podman" in loaders:
                judge_podman(podman, name, path, expected, cfg_digest, diff_ids)
    finally:
        docker.stop()
        ctrd.stop()
        run(podman + ["system", "reset", "-f"], 120)
        remove_tree(root)
    print("judged: " + ", ".join("%s %d" % kv for kv in sorted(checks.items())), flush=True)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
