# SPDX-License-Identifier: MIT
"""registry:// against the real registry (docs/engines.md, "Registries"): docker-registry (the
CNCF distribution registry) on 127.0.0.1, twice: plain HTTP, and TLS with a certificate made here
plus htpasswd authentication. skopeo pushes corpus images into both; Lamina's view of each
reference must equal its view of the archive pushed (config, diff IDs, files, findings), errors
must say what is wrong (untrusted certificate, no or wrong credentials, unknown tag), and nothing
partial may be left in Lamina's cache. Then Lamina pushes a composition onto one of them, which
skopeo pulls back byte for byte as `--format oci-dir` writes it, and podman pulls and runs.

    python3 registry.py LAMINA CORPUS_DIR

Prints "ok ..." per check and exits 1 when any failed."""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemons  # noqa: E402

# (archive, skopeo transport)
IMAGES = [("dive__test-docker-image.tar", "docker-archive"), ("gen__skopeo-oci-archive.tar", "oci-archive"),
          ("jib__jib-image.tar", "docker-archive"), ("dive__test-oci-zstd-image.tar", "oci-archive")]

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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bcrypt(password):
    # docker-registry's htpasswd takes bcrypt only; libxcrypt's crypt() makes it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import crypt
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))


def make_certificates(folder):
    def openssl(*args):
        p = subprocess.run(["openssl"] + list(args), cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            raise RuntimeError("openssl %s: %s" % (args[0], p.stdout.decode()))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=lamina test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
            "/CN=127.0.0.1")
    with open(os.path.join(folder, "san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            "server.crt", "-days", "2", "-extfile", "san.cnf")
    # skopeo's --cert-dir takes the authority as a *.crt file of a folder.
    os.makedirs(os.path.join(folder, "certs.d"))
    with open(os.path.join(folder, "ca.crt")) as src, open(os.path.join(folder, "certs.d", "ca.crt"), "w") as dst:
        dst.write(src.read())


class Registry:
    def __init__(self, root, tls=False):
        self.root = root
        self.port = free_port()
        self.tls = tls
        self.process = None

    def start(self):
        os.makedirs(self.root, exist_ok=True)
        config = ["version: 0.1", "log:", "  level: error", "storage:", "  filesystem:",
                  "    rootdirectory: %s/data" % self.root, "http:", "  addr: 127.0.0.1:%d" % self.port]
        if self.tls:
            make_certificates(self.root)
            with open(os.path.join(self.root, "htpasswd"), "w") as f:
                f.write("lamina:%s\n" % bcrypt("s3cret"))
            config += ["  tls:", "    certificate: %s/server.crt" % self.root, "    key: %s/server.key" % self.root,
                       "auth:", "  htpasswd:", "    realm: lamina-test", "    path: %s/htpasswd" % self.root]
        with open(os.path.join(self.root, "config.yml"), "w") as f:
            f.write("\n".join(config) + "\n")
        self.log = open(os.path.join(self.root, "log"), "w")
        self.process = subprocess.Popen(["docker-registry", "serve", os.path.join(self.root, "config.yml")],
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("docker-registry did not listen on %d" % self.port)

    def stop(self):
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def host(self):
        return "127.0.0.1:%d" % self.port

    def push(self, archive, transport, name):
        args = ["skopeo", "copy", "--quiet", "%s:%s" % (transport, archive), "docker://%s/%s" % (self.host(), name)]
        if self.tls:
            args[2:2] = ["--dest-cert-dir", os.path.join(self.root, "certs.d"), "--dest-creds", "lamina:s3cret"]
        else:
            args[2:2] = ["--dest-tls-verify=false"]
        return daemons.run(args, 300)


def essentials(inspection):
    """What must be the same wherever the image was read from: per image its config, platform and
    layers by diff ID with their file counts; not where its files were, nor how they were stored."""
    doc = json.loads(inspection)
    return [{"config": i["configDigest"], "platform": i["platform"],
             "layers": [(l["diffId"], l["fileCount"]) for l in i["layers"]]} for i in doc["images"]]


def compare(binary, env, reference, archive, label):
    rc, out, err = lamina(binary, ["inspect", "--json", reference], env)
    rc2, out2, _ = lamina(binary, ["inspect", "--json", archive], env)
    same = rc == 0 and rc2 == 0 and essentials(out) == essentials(out2)
    check(same, "%s: inspect %s has the archive's config, platform and layers" % (label, reference),
          err[-2000:] + out[-2000:])
    if rc == 0:
        origin = json.loads(out).get("origin", "")
        check(origin.startswith("pulled from the registry at "), "%s: the inspection says where from" % label, origin)
        # Layers are fetched when first read: checking an image reads its manifest and config.
        config = json.loads(out)["images"][0]["configDigest"]
        with tempfile.TemporaryDirectory(prefix="lamina-lazy-") as fresh:
            rc3, out3, err3 = lamina(binary, ["check", reference], dict(env, XDG_CACHE_HOME=fresh))
            folder = os.path.join(fresh, "lamina", "blobs", "sha256")
            kept = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
            check(rc3 == 0 and kept == [config.split(":")[-1]],
                  "%s: check %s fetches the config and no layer" % (label, reference),
                  "kept %s\n%s" % (kept, (out3 + err3)[-2000:]))
    rc, out, err = lamina(binary, ["ls", reference], env)
    rc2, out2, _ = lamina(binary, ["ls", archive], env)
    check(rc == 0 and out and out == out2, "%s: ls %s lists the archive's files" % (label, reference), err)
    rc, out, err = lamina(binary, ["check", "--verify", reference], env)
    check(rc == 0 and "0 error(s)" in out, "%s: check --verify %s finds no error" % (label, reference), out + err)


def blob_files(layout):
    folder = os.path.join(layout, "blobs", "sha256")
    files = {}
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "rb") as f:
            files[name] = f.read()
    return files


def push_part(binary, base_env, registry, work):
    """compose on a registry's image, pushed to the same registry: the base's blobs are mounted,
    only the new ones sent; pulled back by skopeo it is byte for byte what --format oci-dir writes,
    and podman pulls it."""
    env = dict(base_env, SOURCE_DATE_EPOCH="1700000000")
    base = "registry://%s/corpus/dive-test-docker-image:1" % registry.host()
    target = "registry://%s/corpus/composed:1" % registry.host()
    rc, out, err = lamina(binary, ["compose", base, "--write", "/lamina.txt:pushed", "-o", target], env)
    check(rc in (0, 1) and ("pushed " + target + "@sha256:") in err and "mounted from corpus/dive-test-docker-image" in err
          and "2 blob(s) sent" in err, "push: compose -o %s sends the new layer and config, mounts the rest" % target,
          err)
    written = os.path.join(work, "composed-oci")
    rc, out, err2 = lamina(binary, ["compose", base, "--write", "/lamina.txt:pushed", "--format", "oci-dir", "-o", written],
                           env)
    check(rc in (0, 1), "push: the same composition written as oci-dir", err2)
    back = os.path.join(work, "pulled-back")
    rc, out = daemons.run(["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                           "docker://%s/corpus/composed:1" % registry.host(), "oci:%s:back" % back], 300)
    check(rc == 0, "push: skopeo pulls the pushed image back", out)
    if rc == 0 and os.path.isdir(written):
        with open(os.path.join(written, "index.json")) as f:
            ours = json.load(f)["manifests"][0]["digest"]
        with open(os.path.join(back, "index.json")) as f:
            theirs = json.load(f)["manifests"][0]["digest"]
        mine, pulled = blob_files(written), blob_files(back)
        check(ours == theirs and all(pulled.get(k) == v for k, v in mine.items()),
              "push: pulled back, the manifest and every blob are byte for byte what --format oci-dir writes",
              "%s vs %s" % (ours, theirs))
        check(("@" + ours) in err, "push: the digest printed is the manifest's", err)
    rc, out, err = lamina(binary, ["compose", base, "--write", "/lamina.txt:pushed", "-o",
                                   "registry://%s/corpus/composed:2" % registry.host()], env)
    check(rc in (0, 1) and "0 blob(s) sent" in err and "there already" in err,
          "push: pushed again under another tag, only the manifest goes", err)
    # In chunks (1 MiB PATCHes, then the PUT with the digest): a 3 MiB layer the registry does not
    # have, taken by docker-registry and pulled back by skopeo, which checks every digest.
    noise = os.path.join(work, "noise.bin")
    with open(noise, "wb") as f:
        f.write(os.urandom(3 << 20))
    chunked_ref = "registry://%s/corpus/chunked:1" % registry.host()
    rc, out, err = lamina(binary, ["compose", base, "--add", noise + ":/noise.bin", "-o", chunked_ref],
                          dict(env, LAMINA_PUSH_CHUNK_MB="1"))
    check(rc in (0, 1) and "1 in chunks" in err and ("pushed " + chunked_ref + "@sha256:") in err,
          "push: a layer larger than the chunk size goes in chunks", err)
    rc, out = daemons.run(["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                           "docker://%s/corpus/chunked:1" % registry.host(),
                           "oci:%s:back" % os.path.join(work, "chunked-back")], 300)
    check(rc == 0, "push: skopeo pulls the image pushed in chunks back", out)
    root = os.path.join(work, "podman")
    os.makedirs(root, exist_ok=True)
    podman = daemons.podman_command(root)
    try:
        rc, out = daemons.run(podman + ["pull", "--tls-verify=false", "%s/corpus/composed:1" % registry.host()], 300)
        check(rc == 0, "push: podman pulls the pushed image", out)
        # Low limits: podman raises them by default, which a runner without CAP_SYS_RESOURCE may not.
        rc, out = daemons.run(podman + ["run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit",
                                        "nproc=1024:1024", "%s/corpus/composed:1" % registry.host(), "cat",
                                        "/lamina.txt"], 300)
        check(rc == 0 and out.strip().endswith("pushed"), "push: podman runs it and finds the new file", out)
    finally:
        daemons.run(podman + ["rmi", "-af"], 120)
        daemons.remove_tree(root)


def cache_is_sound(cache, label):
    layouts = os.path.join(cache, "lamina", "registry")
    left = os.listdir(layouts) if os.path.isdir(layouts) else []
    check(not left, "%s: no layout is left after the commands" % label, "\n".join(left))
    partial = []
    for folder, _, files in os.walk(os.path.join(cache, "lamina", "blobs")):
        partial += [f for f in files if f.startswith(".part-")]
    check(not partial, "%s: no partial blob is left" % label, "\n".join(partial))


def main():
    binary, corpus = sys.argv[1], sys.argv[2]
    daemons.require("registry.py", ["docker-registry", "skopeo", "openssl"], "docker-registry, skopeo and openssl")
    with tempfile.TemporaryDirectory(prefix="lamina-registry-") as work:
        cache = os.path.join(work, "cache")
        os.makedirs(cache)
        base = dict(os.environ, XDG_CACHE_HOME=cache, LAMINA_INDEX_CACHE_MB="0",
                    REGISTRY_AUTH_FILE=os.path.join(work, "no-auth.json"), DOCKER_CONFIG=os.path.join(work, "docker"),
                    XDG_CONFIG_HOME=os.path.join(work, "config"), XDG_RUNTIME_DIR=os.path.join(work, "run"))
        base.pop("SSL_CERT_FILE", None)
        plain = Registry(os.path.join(work, "plain"))
        secure = Registry(os.path.join(work, "tls"), tls=True)
        plain.start()
        try:
            secure.start()
            try:
                for archive, transport in IMAGES:
                    name = "corpus/" + archive.split(".")[0].replace("__", "-").replace("_", "-").lower() + ":1"
                    path = os.path.join(corpus, archive)
                    rc, out = plain.push(path, transport, name)
                    check(rc == 0, "skopeo pushes %s over HTTP" % archive, out)
                    if rc == 0:
                        compare(binary, base, "registry://%s/%s" % (plain.host(), name), path, "plain")
                    rc, out = secure.push(path, transport, name)
                    check(rc == 0, "skopeo pushes %s over TLS with credentials" % archive, out)
                    if rc != 0:
                        continue
                    reference = "registry://%s/%s" % (secure.host(), name)
                    auth = os.path.join(work, "auth.json")
                    with open(auth, "w") as f:
                        json.dump({"auths": {secure.host(): {"auth": base64.b64encode(b"lamina:s3cret").decode()}}}, f)
                    env = dict(base, SSL_CERT_FILE=os.path.join(secure.root, "ca.crt"), REGISTRY_AUTH_FILE=auth)
                    compare(binary, env, reference, path, "TLS")
                name = "corpus/dive-test-docker-image:1"
                reference = "registry://%s/%s" % (secure.host(), name)
                rc, out, err = lamina(binary, ["inspect", reference], base)
                check(rc == 2 and "is not trusted" in out, "TLS: a certificate of no known authority is refused", out)
                # The registry's authority in the folder containers/image reads (certs.d).
                home = os.path.join(work, "home")
                certs = os.path.join(home, ".config", "containers", "certs.d", secure.host())
                os.makedirs(certs)
                shutil.copy(os.path.join(secure.root, "ca.crt"), os.path.join(certs, "ca.crt"))
                auth = os.path.join(work, "auth-certs.json")
                with open(auth, "w") as f:
                    json.dump({"auths": {secure.host(): {"auth": base64.b64encode(b"lamina:s3cret").decode()}}}, f)
                rc, out, err = lamina(binary, ["inspect", reference], dict(base, HOME=home, REGISTRY_AUTH_FILE=auth))
                check(rc == 0 and "over HTTPS" in out and "without verifying" not in out,
                      "TLS: the registry's authority in ~/.config/containers/certs.d is trusted", out + err)
                env = dict(base, SSL_CERT_FILE=os.path.join(secure.root, "ca.crt"))
                rc, out, err = lamina(binary, ["inspect", reference], env)
                check(rc == 2 and "none is stored for " + secure.host() in out, "TLS: no credentials is said so", out)
                wrong = os.path.join(work, "wrong.json")
                with open(wrong, "w") as f:
                    json.dump({"auths": {secure.host(): {"auth": base64.b64encode(b"lamina:nope").decode()}}}, f)
                rc, out, err = lamina(binary, ["inspect", reference], dict(env, REGISTRY_AUTH_FILE=wrong))
                check(rc == 2 and "were refused" in out and "nope" not in out,
                      "TLS: wrong credentials are said to be refused, and not shown", out)
                rc, out, err = lamina(binary, ["inspect", "registry://%s/corpus/none:1" % plain.host()], base)
                check(rc == 2 and "404" in out and ("MANIFEST_UNKNOWN" in out or "NAME_UNKNOWN" in out),
                      "plain: an unknown name is the registry's 404", out)
                push_part(binary, base, plain, work)
                cache_is_sound(cache, "both")
            finally:
                secure.stop()
        finally:
            plain.stop()
    if failures:
        print("%d check(s) failed:\n  %s" % (len(failures), "\n  ".join(failures)))
        sys.exit(1)


if __name__ == "__main__":
    main()
