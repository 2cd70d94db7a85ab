#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Load archives with the real loaders installed here and record what each did.

    python3 loadmatrix.py OUT.json NAME=PATH...

For every archive (a folder: the tar of its contents): `docker load` into a private dockerd (its own data root, exec root, socket and
pidfile in a temporary folder; vfs storage, no networking), `ctr images import` (with unpacking,
snapshotter native) into that dockerd's containerd, and `podman load` into a throwaway store. What a
loader loaded is removed before the next archive, so a layer left by one archive never makes another
load succeed (Docker skips a layer whose chain ID it already has).

OUT.json: {"versions": {...}, "results": {NAME: {LOADER: {"loads": bool, "output": str}}}}; outputs
have the temporary folders replaced by "<tmp>". A load that takes more than LOAD_TIMEOUT seconds is
recorded as refused with the output "timeout" (and a daemon that was still busy or died is restarted).

Exits 2 with a message when a loader cannot be started: the caller must fail, not skip.
"""
import json
import os
import re
import sys
import tarfile
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemons import LOAD_TIMEOUT, Containerd, Docker, count, podman_command, remove_tree, require, run  # noqa: E402,F401


def main():
    out_path = sys.argv[1]
    archives, skipped = [], {}
    for a in sys.argv[2:]:
        name, path = a.split("=", 1)
        # NAME=!reason: listed in the table, given to no loader.
        if path.startswith("!"):
            skipped[name] = path[1:]
        else:
            archives.append((name, path))
    require("loadmatrix", ("dockerd", "docker", "containerd", "ctr", "podman"), "docker.io and podman")
    root = tempfile.mkdtemp(prefix="lamina-loaders-")
    # A folder is given as the tar of its contents, names at the tar's root: docker load and
    # ctr import read archives only, and Lamina's verdicts of a folder are those of that tar.
    packed = []
    for name, path in archives:
        if os.path.isdir(path):
            tar_path = os.path.join(root, "packed-%d.tar" % len(packed))
            with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as t:
                for entry in sorted(os.listdir(path)):
                    t.add(os.path.join(path, entry), arcname=entry)
            path = tar_path
        packed.append((name, path))
    archives = packed
    docker = Docker(root)
    podman_root = os.path.join(root, "podman")
    podman = podman_command(podman_root)

    def normalise(text):
        text = text.replace(root, "<tmp>")
        text = re.sub(r"<tmp>/docker\d+/data/tmp/docker-import-\d+", "<docker-import>", text)
        text = re.sub(r"/var/tmp/[A-Za-z0-9_.-]+", "<tmp>", text)
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
        return text.strip()

    results = {name: {} for name, _ in archives}
    ctrd = Containerd(root)
    try:
        docker.start()
        ctrd.start()
        versions = {
            "docker": run(docker.docker("version", "--format", "{{.Server.Version}}"), 30)[1].strip(),
            "containerd": run(["containerd", "--version"], 30)[1].split()[2],
            "podman": run(podman + ["version", "--format", "{{.Client.Version}}"], 60)[1].strip(),
        }

        # The three stores are independent: one thread each, so the matrix takes as long as its
        # slowest loader rather than the sum.
        def docker_loads():
            for name, path in archives:
                rc, out = run(docker.docker("load", "-i", path))
                if rc is None or not docker.alive():
                    # Still loading or dead: a fresh daemon for the next archive.
                    out = out if docker.alive() else (out + "\n(the daemon died)").strip()
                    docker.stop()
                    docker.start()
                    n = 0
                else:
                    # Docker 20.10 exits 0 having loaded nothing for some archives, and a failed load
                    # keeps the images it finished before failing: count, and remove what is there.
                    n = count(docker.docker("images", "-aq"))
                    if n:
                        docker.clean()
                results[name]["docker"] = {"loads": rc == 0 and n > 0, "rc": rc, "images": n, "output": normalise(out.replace(path, "<archive>"))}

        def containerd_imports():
            for name, path in archives:
                rc, out = run(ctrd.ctr("images", "import", "--all-platforms", "--digests", "--snapshotter", "native", path))
                n = count(ctrd.ctr("images", "ls", "-q")) if rc == 0 else 0
                results[name]["containerd"] = {"loads": rc == 0 and n > 0, "rc": rc, "images": n, "output": normalise(out.replace(path, "<archive>"))}
                if rc is None:
                    ctrd.stop()
                    ctrd.start()
                else:
                    # Always: a failed import leaves blobs that would complete a later archive.
                    ctrd.clean()

        def podman_loads():
            for name, path in archives:
                rc, out = run(podman + ["load", "-q", "-i", path])
                n = count(podman + ["images", "-aq"]) if rc == 0 else 0
                results[name]["podman"] = {"loads": rc == 0 and n > 0, "rc": rc, "images": n, "output": normalise(out.replace(path, "<archive>"))}
                if n:
                    run(podman + ["rmi", "-af"], 120)

        threads = [threading.Thread(target=f) for f in (docker_loads, containerd_imports, podman_loads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name, _ in archives:
            r = results[name]
            print("%-50s %s" % (name, " ".join("%s=%s" % (k, r.get(k, {}).get("loads")) for k in ("docker", "containerd", "podman"))), flush=True)
    finally:
        docker.stop()
        ctrd.stop()
        run(podman + ["system", "reset", "-f"], 120)
        remove_tree(root)
    for name, why in skipped.items():
        results[name] = {"notLoaded": why}
    with open(out_path, "w") as f:
        json.dump({"versions": versions, "results": results}, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
