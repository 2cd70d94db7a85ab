#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Load legacy-only archives into a private dockerd and record the image ID Docker gives each.

    python3 legacyids.py OUT.json NAME=PATH|REFERENCE...

OUT.json: {NAME: {"loads": bool, "id": "sha256:…" or null, "output": str}}. Docker's legacy loader
makes an image config from the chain's json (image/tarexport/load.go legacyLoadImage); the ID is
the digest of that config, which tests/core/check/tst_loaders compares with the one Lamina makes.
Exits 2 with a message when dockerd cannot be started: the caller must fail, not skip.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemons import Docker, remove_tree, require, run  # noqa: E402


def main():
    out_path = sys.argv[1]
    require("legacyids", ("dockerd", "docker"), "docker.io")
    root = tempfile.mkdtemp(prefix="lamina-legacyids-")
    docker = Docker(root)
    results = {}
    try:
        docker.start()
        for arg in sys.argv[2:]:
            name, rest = arg.split("=", 1)
            path, _, reference = rest.partition("|")
            rc, out = run(docker.docker("load", "-i", path))
            image_id = None
            if rc == 0 and reference:
                irc, iout = run(docker.docker("image", "inspect", "--format", "{{.Id}}", reference), 30)
                image_id = iout.strip() if irc == 0 else None
            results[name] = {"loads": rc == 0, "id": image_id, "output": out.strip()}
            docker.clean()
    finally:
        docker.stop()
        remove_tree(root)
    with open(out_path, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
