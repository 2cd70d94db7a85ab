#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small registry for tst_registry, on 127.0.0.1 only: it serves one two-platform image over
the distribution API, honestly or with one lie or obstacle chosen by --mode. Prints "PORT n" once
it listens; GET /_stats answers how many requests each path had.

Modes: ok, bearer (token service at /token, user lamina password s3cret, or by POST the identity
token good-refresh), basic, wrong-digest,
wrong-size, truncated, redirect (blobs sent from /storage/), redirect-loop, redirect-away (to
http://localhost:PORT, another address in clear text), huge-length, slow-loris (headers a byte at
a time), retry (429 then 503 before each blob), always-503, bad-digest-name (a manifest naming a
blob "../../escape"), chunked (every body in chunks), chunked-oversize (a layer's chunks carry a
byte more than its size), slow-layer (manifests and configs at once, a layer's bytes a few at a
time), short-chunk (an upload's first PATCH keeps half its bytes, as its Range says), chunk-503
(an upload's first PATCH keeps half its bytes, then answers 503). Uploads take a monolithic PUT or
PATCHes (Content-Range checked against what came before) then a PUT; GET of an upload answers 204
with the Range it has, "0-0" when it has none (as distribution does). With --tls CERT KEY it speaks HTTPS only, with that certificate (the
token service's realm is then https too), and with --client-ca CA as well it asks for a client
certificate that CA signed.
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import ssl
import sys
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
    plain = raw.getvalue()
    return gzip.compress(plain, mtime=0), plain


def image(arch, text):
    blobs = {}
    gz, plain = layer([("hello.txt", text), ("etc/arch", arch.encode())])
    blobs[sha(gz)] = gz
    config = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["/hello"]},
                         "rootfs": {"type": "layers", "diff_ids": [sha(plain)]}}).encode()
    blobs[sha(config)] = config
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": sha(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       "digest": sha(gz), "size": len(gz)}]}).encode()
    return manifest, blobs


def build(mode):
    manifests, blobs = {}, {}
    entries = []
    for arch, text in (("amd64", b"hello from amd64\n"), ("arm64", b"hello from arm64\n")):
        m, b = image(arch, text)
        blobs.update(b)
        manifests[sha(m)] = m
        entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(m),
                        "size": len(m), "platform": {"os": "linux", "architecture": arch}})
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": entries}).encode()
    manifests[sha(index)] = index
    tags = {"multi": index, "amd64": manifests[entries[0]["digest"]]}
    if mode == "bad-digest-name":
        tags["amd64"] = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                    "config": {"digest": "sha256:../../escape", "size": 10}, "layers": []}).encode()
    return tags, manifests, blobs


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", headers=(), length=None):
        if self.server.mode.startswith("chunked") and status == 200:
            return self.send_chunked(body, headers)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def send_chunked(self, body, headers):
        self.send_response(200)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.server.mode == "chunked-oversize" and body.startswith(b"\x1f\x8b"):
            body += b"!"
        for i in range(0, len(body), 7):
            piece = body[i:i + 7]
            self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True

    def error(self, status, code, message, headers=()):
        self.send(status, json.dumps({"errors": [{"code": code, "message": message}]}).encode(),
                  [("Content-Type", "application/json")] + list(headers))

    def authorized(self):
        s = self.server
        auth = self.headers.get("Authorization", "")
        if s.mode == "basic":
            if auth == "Basic " + base64.b64encode(b"lamina:s3cret").decode():
                return True
            self.error(401, "UNAUTHORIZED", "authentication required",
                       [("WWW-Authenticate", 'Basic realm="fake"')])
            return False
        if s.mode == "bearer":
            if auth == "Bearer good-token":
                return True
            realm = "%s://127.0.0.1:%d/token" % ("https" if s.tls else "http", s.server_address[1])
            self.error(401, "UNAUTHORIZED", "authentication required",
                       [("WWW-Authenticate", 'Bearer realm="%s",service="fake",scope="repository:lamina/test:pull"'
                         % realm)])
            return False
        return True

    def count(self, key):
        s = self.server
        with s.lock:
            s.stats[key] = s.stats.get(key, 0) + 1
            return s.stats[key]

    def repository(self, path):
        """("lamina/test", "blobs/…") from "/v2/lamina/test/blobs/…"."""
        for kind in ("/blobs/", "/manifests/"):
            if kind in path:
                at = path.index(kind)
                return path[len("/v2/"):at], path[at + 1:]
        return None, None

    def do_HEAD(self):
        path = self.path.split("?")[0]
        self.count("HEAD " + path)
        if not self.authorized():
            return
        repo, rest = self.repository(path)
        digest = rest[len("blobs/"):] if rest and rest.startswith("blobs/") else None
        if digest and (repo, digest) in self.server.pushed:
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.server.blobs[digest])))
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def do_POST(self):
        s = self.server
        path, _, query = self.path.partition("?")
        self.count("POST " + path)
        form = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if path == "/token":
            # OAuth 2's refresh (an identity token): the form's refresh_token "good-refresh" gets
            # the access token a password would.
            fields = dict(p.split("=", 1) for p in form.decode().split("&") if "=" in p)
            if (fields.get("grant_type") == "refresh_token" and fields.get("refresh_token") == "good-refresh"
                    and fields.get("service") == "fake" and fields.get("client_id")
                    and self.headers.get("Content-Type") == "application/x-www-form-urlencoded"):
                return self.send(200, json.dumps({"access_token": "good-token", "expires_in": 300}).encode())
            return self.send(401, b'{"error":"invalid_grant"}')
        if not self.authorized():
            return
        repo, rest = self.repository(path)
        if rest != "blobs/uploads/":
            return self.error(404, "NAME_UNKNOWN", "no such path")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        mount, source = params.get("mount"), params.get("from")
        if mount and source and ((source, mount) in s.pushed or (source == "lamina/test" and mount in s.blobs)):
            s.pushed.add((repo, mount))
            return self.send(201, b"", [("Location", "/v2/%s/blobs/%s" % (repo, mount))])
        return self.send(202, b"", [("Location", "/v2/%s/blobs/uploads/u%d?_state=x" % (repo, self.count("upload")))])

    def do_PATCH(self):
        s = self.server
        path, _, query = self.path.partition("?")
        self.count("PATCH " + path)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if not self.authorized():
            return
        repo, rest = self.repository(path)
        if not rest or not rest.startswith("blobs/uploads/"):
            return self.error(404, "NAME_UNKNOWN", "no such path")
        have = s.uploads.get(path, b"")
        first, _, last = self.headers.get("Content-Range", "").partition("-")
        if not first.isdigit() or not last.isdigit() or int(first) != len(have) or int(last) - int(first) + 1 != length:
            return self.error(416, "BLOB_UPLOAD_INVALID", "range does not follow what was uploaded")
        if s.mode == "short-chunk" and not have and length > 1:
            body = body[: length // 2]  # keeps half of the first chunk, and says so
        if s.mode == "chunk-503" and not have and length > 1:
            s.uploads[path] = body[: length // 2]  # keeps half of the first chunk, then fails
            return self.error(503, "UNAVAILABLE", "try later", [("Retry-After", "0")])
        s.uploads[path] = have + body
        return self.send(202, b"", [("Location", path + "?_state=y"), ("Range", "0-%d" % (len(s.uploads[path]) - 1))])

    def do_PUT(self):
        s = self.server
        path, _, query = self.path.partition("?")
        self.count("PUT " + path)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if not self.authorized():
            return
        repo, rest = self.repository(path)
        if rest and rest.startswith("blobs/uploads/"):
            body = s.uploads.pop(path, b"") + body
            params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            digest = params.get("digest", "").replace("%3A", ":")
            if sha(body) != digest:
                return self.error(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
            s.blobs[digest] = body
            s.pushed.add((repo, digest))
            return self.send(201, b"", [("Docker-Content-Digest", digest)])
        if rest and rest.startswith("manifests/"):
            for d in (x["digest"] for x in json.loads(body).get("layers", []) + [json.loads(body)["config"]]):
                if (repo, d) not in s.pushed:
                    return self.error(400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry")
            s.manifests[sha(body)] = body
            s.tags[rest[len("manifests/"):]] = body
            return self.send(201, b"", [("Docker-Content-Digest", sha(body))])
        return self.error(404, "NAME_UNKNOWN", "no such path")

    def do_GET(self):
        s = self.server
        path = self.path.split("?")[0]
        count = self.count(path)
        if path == "/_stats":
            return self.send(200, json.dumps(s.stats).encode())
        if path == "/token":
            if self.headers.get("Authorization", "") != "Basic " + base64.b64encode(b"lamina:s3cret").decode():
                return self.send(401, b'{"details":"bad credentials"}')
            return self.send(200, json.dumps({"token": "good-token"}).encode())
        if s.mode == "slow-loris":
            for c in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                try:
                    self.wfile.write(bytes([c]))
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.2)
            return
        if path == "/v2/":
            return self.send(200, b"{}") if self.authorized() else None
        if path.startswith("/storage/"):
            digest = path[len("/storage/"):]
            return self.send(200, s.blobs[digest])
        if not self.authorized():
            return
        repo, rest = self.repository(path)
        if rest and rest.startswith("blobs/uploads/"):
            have = len(s.uploads.get(path, b""))
            return self.send(204, b"", [("Location", path + "?_state=z"), ("Range", "0-%d" % max(have - 1, 0))])
        if repo != "lamina/test" and not any(r == repo for r, _ in s.pushed):
            return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
        if rest.startswith("manifests/"):
            ref = rest[len("manifests/"):]
            body = s.tags.get(ref) or s.manifests.get(ref)
            if body is None:
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            media = json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
            if s.mode == "huge-length":
                return self.send(200, body[:10], [("Content-Type", media)], length=10 * 1024 ** 3)
            return self.send(200, body, [("Content-Type", media), ("Docker-Content-Digest", sha(body))])
        if rest.startswith("blobs/"):
            digest = rest[len("blobs/"):]
            body = s.blobs.get(digest)
            if body is None:
                return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            if s.mode == "retry" and count <= 2:
                return self.error(429 if count == 1 else 503, "TOOMANYREQUESTS", "slow down",
                                  [("Retry-After", "0")])
            if s.mode == "always-503":
                return self.error(503, "UNAVAILABLE", "try later")
            if s.mode == "redirect":
                return self.send(307, b"", [("Location", "/storage/" + digest)])
            if s.mode == "redirect-away":
                return self.send(307, b"", [("Location", "http://localhost:%d/storage/%s"
                                             % (s.server_address[1], digest))])
            if s.mode == "redirect-loop":
                return self.send(307, b"", [("Location", path + "?again=%d" % count)])
            layer = body.startswith(b"\x1f\x8b")  # the lies are told of layers; configs are true
            if s.mode == "wrong-digest" and layer:
                body = body[:-1] + bytes([body[-1] ^ 1])
            if s.mode == "wrong-size" and layer:
                body = body + b"x"
            if s.mode == "truncated" and layer:
                return self.send(200, body[: len(body) // 2], length=len(body))
            if s.mode == "slow-layer" and layer:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                for i in range(0, len(body), 16):
                    try:
                        self.wfile.write(body[i:i + 16])
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(0.2)
                return
            return self.send(200, body)
        return self.error(404, "NAME_UNKNOWN", "no such path")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="ok")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--client-ca", metavar="CA", help="with --tls: a client certificate this CA signed is required")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.tls = bool(args.tls)
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*args.tls)
        if args.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(args.client_ca)
        # The handshake in the handler's thread: a client that gives up on the certificate must
        # not stop the accepting loop.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.daemon_threads = True
    server.mode = args.mode
    server.tags, server.manifests, server.blobs = build(args.mode)
    server.stats = {}
    server.pushed = set()  # (repository, digest) of the blobs pushed or mounted
    server.uploads = {}  # upload path -> the bytes its PATCHes brought
    server.lock = threading.Lock()
    print("PORT %d" % server.server_address[1], flush=True)
    # Ends with the test: its stdin closes when the test stops it or dies.
    threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
