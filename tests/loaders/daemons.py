# SPDX-License-Identifier: MIT
"""Private loaders for the tests: a dockerd and a containerd of their own in a temporary folder
(own data root, exec root, socket and pidfile; vfs storage, no networking) and the podman command
for a throwaway store. Used by loadmatrix.py and judgeexports.py; never touches a system daemon."""
import os
import shutil
import signal
import subprocess
import sys
import time

LOAD_TIMEOUT = 45
NS = "lamina-matrix"
# The client of the docker.io package, beside its dockerd: another docker earlier on PATH (a newer
# static client) would print other messages.
DOCKER = "/usr/bin/docker" if os.access("/usr/bin/docker", os.X_OK) else "docker"


def require(program, tools, packages):
    """Exits with a message unless every tool is installed and this runs as root (a private dockerd
    needs it): the caller's test must fail, not skip."""
    for tool in tools:
        if not shutil.which(tool):
            sys.exit("%s: %s is not installed (./test installs %s)" % (program, tool, packages))
    if os.geteuid() != 0:
        sys.exit("%s: a private dockerd needs root" % program)


def remove_tree(path):
    """Removes a daemon's folder: what it left mounted below it first (a daemon stopped while
    unpacking leaves its mounts), deepest first, then the files with rm, which neither recurses in
    Python (a layer of 1,500 nested folders) nor crosses into another file system."""
    if not os.path.exists(path):
        return
    prefix = os.path.realpath(path) + "/"
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
        points = [line.split()[4] for line in f]
    for point in sorted((p for p in points if (p + "/").startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL)
    subprocess.run(["rm", "-rf", "--one-file-system", path], stderr=subprocess.DEVNULL)


def run(args, timeout=LOAD_TIMEOUT, env=None):
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, env=env)
        return p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return None, "timeout"


def count(args):
    rc, out = run(args, 60)
    return len(set(out.split())) if rc == 0 else 0


class Docker:
    def __init__(self, root):
        self.root = root
        self.proc = None
        self.n = 0

    def start(self):
        self.n += 1
        d = os.path.join(self.root, "docker%d" % self.n)
        os.makedirs(d)
        self.dir = d
        self.sock = os.path.join(d, "sock")
        self.log = open(os.path.join(d, "log"), "wb")
        self.proc = subprocess.Popen(
            ["dockerd", "--data-root", os.path.join(d, "data"), "--exec-root", os.path.join(d, "exec"),
             "--pidfile", os.path.join(d, "pid"), "-H", "unix://" + self.sock, "--storage-driver", "vfs",
             "--iptables=false", "--ip-masq=false", "--bridge=none"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(600):
            if self.proc.poll() is not None:
                break
            if os.path.exists(self.sock) and run(self.docker("version"), 10)[0] == 0:
                return
            time.sleep(0.1)
        self.stop()
        with open(os.path.join(d, "log"), "rb") as f:
            tail = f.read()[-2000:].decode("utf-8", "replace")
        sys.exit("dockerd did not start (it needs root and the docker.io package; ./test "
                 "installs it):\n" + tail)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        # The daemon's own containerd is its child; give it time to go before the folder goes.
        time.sleep(0.5)
        remove_tree(self.dir)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def docker(self, *args):
        return [DOCKER, "-H", "unix://" + self.sock] + list(args)

    def clean(self):
        rc, out = run(self.docker("images", "-aq", "--no-trunc"), 30)
        ids = sorted(set(out.split())) if rc == 0 else []
        if ids:
            run(self.docker("rmi", "-f", *ids), 120)


class Containerd:
    """A containerd of its own (root, state, socket in the temporary folder), so a dockerd restart
    never interrupts an import."""

    def __init__(self, root):
        self.root = root
        self.proc = None
        self.n = 0

    def start(self):
        self.n += 1
        d = os.path.join(self.root, "containerd%d" % self.n)
        os.makedirs(d)
        self.dir = d
        self.sock = os.path.join(d, "sock")
        config = os.path.join(d, "config.toml")
        with open(config, "w") as f:
            # No CRI plugin (it wants networking); gRPC on our socket only.
            f.write('version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    '[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s.ttrpc"\n' % (self.sock, self.sock))
        self.log = open(os.path.join(d, "log"), "wb")
        self.proc = subprocess.Popen(["containerd", "--config", config, "--root", os.path.join(d, "root"),
                                      "--state", os.path.join(d, "state")],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(600):
            if self.proc.poll() is not None:
                break
            if os.path.exists(self.sock) and run(self.ctr("version"), 10)[0] == 0:
                return
            time.sleep(0.1)
        self.stop()
        with open(os.path.join(d, "log"), "rb") as f:
            tail = f.read()[-2000:].decode("utf-8", "replace")
        sys.exit("containerd did not start:\n" + tail)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        remove_tree(self.dir)

    def ctr(self, *args):
        return ["ctr", "--address", self.sock, "-n", NS] + list(args)

    def clean(self):
        rc, out = run(self.ctr("images", "ls", "-q"), 30)
        names = out.split() if rc == 0 else []
        if names:
            run(self.ctr("images", "rm", "--sync", *names), 120)
        rc, out = run(self.ctr("content", "ls", "-q"), 30)
        blobs = out.split() if rc == 0 else []
        if blobs:
            run(self.ctr("content", "rm", *blobs), 60)


def podman_command(root):
    """podman on a store of its own below `root`."""
    return ["podman", "--root", root + "/root", "--runroot", root + "/run", "--storage-driver", "vfs",
            "--events-backend", "none", "--cgroup-manager", "cgroupfs"]
