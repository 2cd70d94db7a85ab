#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write Lamina's sample image archives.

    python3 make-samples.py [OUTDIR]      (default: this script's folder)

All samples hold the same small logical image (a base layer with a stand-in
``bin/bash``, ``etc/os-release`` and ``usr/share/doc/README``, and a second
layer adding a few files), written the way different tools write it:

- ``nix-layered-base.tar``          nixpkgs streamLayeredImage output (docs/formats.md §1.7)
- ``nix-buildimage-on-layered.tar.gz``  nixpkgs buildImage with fromImage = the above,
                                    after commit c88337c9: the top layer's ``parent``
                                    is the base *image* ID and names no layer dir
- ``docker24-save.tar``             ``docker save`` of Docker 1.10-24 (docs/formats.md §1.2)
- ``docker25-save.tar``             ``docker save`` of Docker 25 (docs/formats.md §1.3)

The output is byte-for-byte reproducible.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imagegen as g  # noqa: E402

LAYER_MTIME = 1700000000        # file times inside the layers
DOCKER_CREATED = "2024-05-01T12:00:00Z"
NIX_CREATED = "1970-01-01T00:00:01Z"

BASH_STANDIN = (b"#!/bin/sh\n"
                b"# Stand-in for bash in Lamina's sample image: not a real shell.\n"
                b'exec /bin/sh "$@"\n')


def base_layer() -> bytes:
    return g.layer_tar([
        g.directory("bin"),
        g.file("bin/bash", BASH_STANDIN, mode=0o755),
        g.directory("etc"),
        g.file("etc/os-release", b'NAME="Lamina Sample"\nID=lamina-sample\nVERSION_ID=1\n'),
        g.directory("usr"),
        g.directory("usr/share"),
        g.directory("usr/share/doc"),
        g.file("usr/share/doc/README",
               b"This is the base layer of Lamina's sample container image.\n"),
    ], mtime=LAYER_MTIME)


def app_layer() -> bytes:
    return g.layer_tar([
        g.directory("bin"),
        g.symlink("bin/sh", "bash"),
        g.directory("etc"),
        g.file("etc/motd", b"Welcome to the Lamina sample image.\n"),
        g.directory("usr"),
        g.directory("usr/local"),
        g.directory("usr/local/bin"),
        g.file("usr/local/bin/hello", b'#!/bin/sh\necho "hello from the sample image"\n',
               mode=0o755),
    ], mtime=LAYER_MTIME)


def empty_layer() -> bytes:
    """What Docker records for a RUN that changes nothing: 1024 zero bytes."""
    return g.layer_tar([], go_style=True)


def nix_samples(out: str) -> None:
    # The base: a streamLayeredImage result with two layers.
    base_entries, _ = g.nix_stream_layered(
        {"created": NIX_CREATED,
         "config": {"Cmd": ["/bin/bash"], "Env": ["PATH=/bin:/usr/bin"]},
         "history": [{"created": NIX_CREATED, "comment": "store paths: ['/nix/store/base']"},
                     {"created": NIX_CREATED, "comment": "store paths: ['/nix/store/app']"}]},
        [base_layer(), app_layer()], "example-base:latest")
    base = g.tar_bytes(base_entries, record_pad=True)
    g.write_file(os.path.join(out, "nix-layered-base.tar"), base)

    # buildImage { fromImage = base; ... } adding one small layer.  nix
    # does not create WorkingDir, so there is no example-output/ entry.
    new_layer = g.layer_tar([g.directory("etc"),
                             g.file("etc/hello.txt", b"hello from buildImage\n")], mtime=1)
    entries, _ = g.nix_build_image(
        base, new_layer, name="example", tag="latest", created=NIX_CREATED,
        config={"Env": ["PATH=/bin:/usr/bin"], "WorkingDir": "/example-output",
                "Cmd": ["bash", "-c", "echo hello > foo; cat foo"]})
    g.write_file(os.path.join(out, "nix-buildimage-on-layered.tar.gz"),
                 g.gzip_bytes(g.tar_bytes(entries, record_pad=True)))


def docker_image(tag: str) -> g.SavedImage:
    """The sample image as Docker would have built it: base, an empty RUN
    layer, the app layer and a second empty RUN layer (a duplicate diffID)."""
    layers = [base_layer(), empty_layer(), app_layer(), empty_layer()]
    history = [
        {"created": DOCKER_CREATED, "created_by": "/bin/sh -c #(nop) ADD file:base.tar in / "},
        {"created": DOCKER_CREATED, "created_by": "/bin/sh -c true"},
        {"created": DOCKER_CREATED, "created_by": "/bin/sh -c #(nop) ADD file:app.tar in / "},
        {"created": DOCKER_CREATED, "created_by": "/bin/sh -c true"},
        {"created": DOCKER_CREATED, "created_by": '/bin/sh -c #(nop)  CMD ["/bin/bash"]',
         "empty_layer": True},
    ]
    config = g.docker_config(
        [g.sha256_digest(t) for t in layers], created=DOCKER_CREATED, history=history,
        config={"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["/bin/bash"],
                "WorkingDir": "/"})
    return g.SavedImage(config=config, layers=layers, tags=[tag])


def docker_samples(out: str) -> None:
    entries, _ = g.docker_save_v24([docker_image("lamina/sample:docker24")])
    g.write_file(os.path.join(out, "docker24-save.tar"), g.tar_bytes(entries))
    entries, _ = g.docker_save_v25([docker_image("lamina/sample:docker25")])
    g.write_file(os.path.join(out, "docker25-save.tar"), g.tar_bytes(entries))


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    nix_samples(out)
    docker_samples(out)


if __name__ == "__main__":
    main()
