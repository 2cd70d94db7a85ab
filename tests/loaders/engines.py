# SPDX-License-Identifier: MIT
"""docker:// and podman:// against real engines (docs/engines.md): a private dockerd, podman on a
store of its own (by its command, and by its API service on a socket of its own). Each corpus
image is loaded into the engine, saved back with the engine's own command, and Lamina's view of
the reference must equal its view of that saved archive. Errors (no such image, no socket) must
be clear, and nothing may be left in Lamina's cache.

    python3 engines.py LAMINA CORPUS_DIR

Prints "ok ..." per check and exits 1 when any failed."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemons  # noqa: E402

# Archives each engine loads, and the name they load as.
IMAGES = ["dive__test-docker-image.tar", "gen__skopeo-docker-archive.tar", "jib__jib-image.tar"]

failures = []


def check(ok, what, detail=""):
    if ok:
        print("ok " + what)
    else:
        failures.append(what)
        print("FAIL " + what + ("\n" + detail if detail else ""))


def lamina(binary, args, env):
    p = subprocess.run([binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=600)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def without_path(doc):
    """An inspection or check as JSON, less what names where it was read from."""
    doc = json.loads(doc)
    doc.pop("path", None)
    doc.pop("origin", None)
    return doc


def loaded_name(output):
    for line in output.splitlines():
        for prefix in ("Loaded image: ", "Loaded image(s): "):
            if line.startswith(prefix):
                return line[len(prefix):].split(",")[0].strip()
    return None


def compare(binary, env, reference, saved, label):
    """Lamina on `reference` and on the archive `saved` the engine wrote: the same images."""
    for command in (["inspect", "--json"], ["check", "--json"]):
        rc_ref, out_ref, err_ref = lamina(binary, command + [reference], env)
        rc_file, out_file, _ = lamina(binary, command + [saved], env)
        same = rc_ref == rc_file and out_ref and without_path(out_ref) == without_path(out_file)
        check(same, "%s: %s %s equals the saved archive's" % (label, command[0], reference),
              "exit %s vs %s\n%s\n%s" % (rc_ref, rc_file, err_ref[-2000:], out_ref[-2000:]))
    rc, out, _ = lamina(binary, ["ls", reference], env)
    rc2, out2, _ = lamina(binary, ["ls", saved], env)
    check(rc == 0 and out == out2 and out, "%s: ls %s lists the saved archive's files" % (label, reference))


def compose_and_load(binary, env, base, engine, work, image_id_of, label):
    """compose on `base`, written and loaded into `engine`: the engine has the image, by its ID."""
    out = os.path.join(work, "composed-%s.tar" % engine)
    rc, _, err = lamina(binary, ["compose", base, "--write", "/lamina.txt:composed", "--tag", "lamina/composed:1",
                                 "-o", out, "--load", engine], env)
    image_id = next((line.split()[-1] for line in err.splitlines() if line.startswith("image ID ")), "")
    check(rc in (0, 1) and "loaded into " in err and "lamina/composed:1" in err and image_id,
          "%s: compose %s --load %s" % (label, base, engine), err)
    check(image_id and image_id_of("lamina/composed:1").replace("sha256:", "") == image_id.replace("sha256:", ""),
          "%s: the engine has the composed image by its ID" % label, image_id)
    os.remove(out)


def cache_is_empty(cache, label):
    left = []
    for folder, _, files in os.walk(os.path.join(cache, "lamina", "engines")):
        left += [os.path.join(folder, f) for f in files]
    check(not left, "%s: nothing left in the engines' cache" % label, "\n".join(left))


def docker_part(binary, corpus, work, base_env):
    d = daemons.Docker(os.path.join(work, "dockerd"))
    d.start()
    try:
        env = dict(base_env, DOCKER_HOST="unix://" + d.sock)
        for archive in IMAGES:
            rc, out = daemons.run(d.docker("load", "-i", os.path.join(corpus, archive)), 120)
            name = loaded_name(out)
            check(rc == 0 and name, "docker loads %s" % archive, out)
            if not name:
                continue
            saved = os.path.join(work, "docker-saved.tar")
            rc, out = daemons.run(d.docker("save", "-o", saved, name), 120)
            check(rc == 0, "docker saves %s" % name, out)
            compare(binary, env, "docker://" + name, saved, "docker")
            os.remove(saved)
        compose_and_load(binary, env, "docker://dive-test:latest", "docker", work,
                         lambda ref: daemons.run(d.docker("image", "inspect", "--format", "{{.Id}}", ref), 60)[1].strip(),
                         "docker")
        rc, out, err = lamina(binary, ["inspect", "docker://no-such-image:7"], env)
        check(rc == 2 and "answered 404" in out and "no-such-image" in out,
              "docker: a missing image is a 404 that names it", out + err)
        cache_is_empty(env["XDG_CACHE_HOME"], "docker")
    finally:
        d.stop()
    env = dict(base_env, DOCKER_HOST="unix://" + os.path.join(work, "dockerd", "gone.sock"))
    rc, out, err = lamina(binary, ["inspect", "docker://alpine"], env)
    check(rc == 2 and "the socket does not exist" in out and "gone.sock" in out,
          "docker: no engine at the socket is said so", out + err)
    composed = os.path.join(work, "kept.tar")
    rc, out, err = lamina(binary, ["compose", os.path.join(corpus, IMAGES[0]), "--write", "/x:y", "-o", composed,
                                   "--load", "docker"], env)
    check(rc == 2 and "--load" in err and "gone.sock" in err and os.path.exists(composed),
          "docker: --load with no engine is said so, and the archive stays written", out + err)


def podman_part(binary, corpus, work, base_env):
    root = os.path.join(work, "podman")
    os.makedirs(root)
    podman = daemons.podman_command(root)
    # The same store for podman's own command when Lamina runs it (no service running).
    storage = os.path.join(root, "storage.conf")
    with open(storage, "w") as f:
        f.write('[storage]\ndriver = "vfs"\ngraphroot = "%s/root"\nrunroot = "%s/run"\n' % (root, root))
    conf = os.path.join(root, "containers.conf")
    with open(conf, "w") as f:
        f.write('[engine]\nevents_logger = "none"\ncgroup_manager = "cgroupfs"\n')
    env = dict(base_env, CONTAINERS_STORAGE_CONF=storage, CONTAINERS_CONF=conf,
               CONTAINER_HOST="unix://" + os.path.join(root, "no-service.sock"))
    names = []
    for archive in IMAGES:
        rc, out = daemons.run(podman + ["load", "-i", os.path.join(corpus, archive)], 120)
        name = loaded_name(out)
        check(rc == 0 and name, "podman loads %s" % archive, out)
        if name:
            names.append(name)
    try:
        for name in names:
            saved = os.path.join(work, "podman-saved.tar")
            rc, out = daemons.run(podman + ["save", "--format", "docker-archive", "-o", saved, name], 120)
            check(rc == 0, "podman saves %s" % name, out)
            compare(binary, env, "podman://" + name, saved, "podman (its command)")
            os.remove(saved)
        compose_and_load(binary, env, "podman://" + names[0], "podman", work,
                         lambda ref: daemons.run(podman + ["image", "inspect", "--format", "{{.Id}}", ref], 60)[1].strip(),
                         "podman (its command)")
        rc, out, err = lamina(binary, ["inspect", "podman://no-such-image:7"], env)
        check(rc == 2 and "podman image save" in out and "no-such-image" in out,
              "podman (its command): a missing image is said so", out + err)

        # Its API service on a socket of its own.
        sock = os.path.join(root, "api.sock")
        service = subprocess.Popen(podman + ["system", "service", "--time", "0", "unix://" + sock],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            for _ in range(300):
                if os.path.exists(sock):
                    break
                time.sleep(0.1)
            api_env = dict(env, CONTAINER_HOST="unix://" + sock)
            for name in names:
                saved = os.path.join(work, "podman-saved.tar")
                daemons.run(podman + ["save", "--format", "docker-archive", "-o", saved, name], 120)
                compare(binary, api_env, "podman://" + name, saved, "podman (its API)")
                os.remove(saved)
            daemons.run(podman + ["rmi", "lamina/composed:1"], 60)
            compose_and_load(binary, api_env, "podman://" + names[0], "podman", work,
                             lambda ref: daemons.run(podman + ["image", "inspect", "--format", "{{.Id}}", ref],
                                                     60)[1].strip(),
                             "podman (its API)")
        finally:
            service.terminate()
            try:
                service.wait(30)
            except subprocess.TimeoutExpired:
                service.kill()
        cache_is_empty(env["XDG_CACHE_HOME"], "podman")
    finally:
        daemons.run(podman + ["rmi", "-af"], 120)
        daemons.remove_tree(root)


def main():
    binary, corpus = sys.argv[1], sys.argv[2]
    daemons.require("engines.py", ["dockerd", "podman"], "docker.io and podman")
    with tempfile.TemporaryDirectory(prefix="lamina-engines-") as work:
        cache = os.path.join(work, "cache")
        os.makedirs(cache)
        env = dict(os.environ, XDG_CACHE_HOME=cache, LAMINA_INDEX_CACHE_MB="0")
        env.pop("DOCKER_HOST", None)
        env.pop("CONTAINER_HOST", None)
        docker_part(binary, corpus, work, env)
        podman_part(binary, corpus, work, env)
    if failures:
        print("%d check(s) failed:\n  %s" % (len(failures), "\n  ".join(failures)))
        sys.exit(1)


if __name__ == "__main__":
    main()
