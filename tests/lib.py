# SPDX-License-Identifier: GPL-2.0
"""Test harness helpers: run the real procsnoop binary against real processes.

Synchronization is on the tool's own readiness signal (the JSON "ready" line,
or the table header), never on sleeps. Stopping is SIGINT, after which the
tool drains its buffer; so everything a test started before stop() is in
the returned output.
"""
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("PS_BUILD", os.path.join(ROOT, "build"))
BIN = os.path.join(BUILD, "procsnoop")
HELPERS = os.path.join(BUILD, "tests")


def _is_san(path):
    """A `make SAN=1` build (ASan+UBSan, dynamic)?"""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


# make SAN=1: every report of a tool or unit test, whoever started it, goes to a
# file in SAN_LOGS, which tests/run.py checks after each test.
SAN = _is_san(BIN)
# The shipped (static) binary, for the tests about it (test_build, test_qemu):
# BIN itself, or with make check SAN=1 the static build made beside it.
STATIC_BUILD = os.environ.get("PS_STATIC_BUILD", BUILD)
STATIC_BIN = os.path.join(STATIC_BUILD, "procsnoop")
SAN_LOGS = None
if SAN:
    SAN_LOGS = tempfile.mkdtemp(prefix="ps-san-")
    os.environ["ASAN_OPTIONS"] = (f"log_path={SAN_LOGS}/asan:detect_leaks=1:"
                                  "abort_on_error=0:strict_string_checks=1")
    os.environ["UBSAN_OPTIONS"] = f"log_path={SAN_LOGS}/ubsan:print_stacktrace=1:halt_on_error=1"
    os.environ["LSAN_OPTIONS"] = f"log_path={SAN_LOGS}/lsan"


def san_reports():
    """Sanitizer reports written since the last call (removed once read)."""
    out = []
    if not SAN_LOGS:
        return out
    for n in sorted(os.listdir(SAN_LOGS)):
        p = os.path.join(SAN_LOGS, n)
        with open(p, errors="replace") as f:
            out.append(f"{n}:\n{f.read()[-4000:]}")
        os.unlink(p)
    return out


class Skip(Exception):
    """Raise to skip a test, with the reason."""


class Failure(AssertionError):
    pass


class PublicBin:
    """The binary and its link names, copied into a fresh 0755 directory, for runs as an
    unprivileged user, who may not reach the build dir (a clone in /root is 0700).

    with PublicBin() as d: run([os.path.join(d, "procsnoop"), ...], ...)
    """

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="ps-bin-")
        os.chmod(self.dir, 0o755)
        shutil.copy2(BIN, os.path.join(self.dir, "procsnoop"))
        for n in os.listdir(BUILD):
            p = os.path.join(BUILD, n)
            if os.path.islink(p) and os.readlink(p) == "procsnoop":
                os.symlink("procsnoop", os.path.join(self.dir, n))
        return self.dir

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)


def helper(name):
    """Path of a compiled test helper (tests/helpers/NAME.c)."""
    p = os.path.join(HELPERS, name)
    if not os.path.exists(p):
        raise Failure(f"test helper {p} is not built (make helpers)")
    return p


class Tracer:
    """A running procsnoop tool.

    t = Tracer(["exec", "--json"]); t.start(); ...; out = t.stop()
    or: with Tracer([...]) as t: ...   (stop() in __exit__ if not stopped)
    """

    def __init__(self, args, json_mode=None, argv0=None, ready_timeout=30, env=None,
                 preexec_fn=None):
        self.args = list(args)
        self.json_mode = ("--json" in self.args) if json_mode is None else json_mode
        self.argv0 = argv0
        self.ready_timeout = ready_timeout
        self.env = env
        self.preexec_fn = preexec_fn     # runs in the child before exec (close an fd)
        self.proc = None
        self.ready = None
        self._buf = b""
        self.lines = []      # stdout lines (bytes, without newline) after ready
        self.stderr = b""
        self.rc = None

    def start(self):
        exe = BIN
        argv = [exe] + self.args
        if self.argv0:
            exe = os.path.join(BUILD, self.argv0)
            argv = [exe] + self.args
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=self.env, preexec_fn=self.preexec_fn)
        self._err = []
        self._err_reader = threading.Thread(target=self._drain_err, daemon=True)
        self._err_reader.start()
        deadline = time.monotonic() + self.ready_timeout
        while True:
            line = self._readline(deadline)
            if line is None:
                self._fail_start("no ready signal within %ss" % self.ready_timeout)
            if self.json_mode:
                try:
                    obj = json.loads(line)
                except ValueError:
                    self._fail_start("first stdout line is not JSON: %r" % line)
                if obj.get("type") != "ready":
                    self._fail_start("first JSON line is not the ready line: %r" % line)
                self.ready = obj
            else:
                self.ready = line.decode("utf-8", "replace")
            # Keep reading while the test runs: a tracer blocked on a full
            # pipe would stall (and drop events) only because of the test.
            self._chunks = [self._buf]
            self._buf = b""
            self._cond = threading.Condition()
            self._eof = False
            self._reader = threading.Thread(target=self._drain, daemon=True)
            self._reader.start()
            return self

    def _drain(self):
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 1 << 20)
            with self._cond:
                if chunk:
                    self._chunks.append(chunk)
                else:
                    self._eof = True
                self._cond.notify_all()
            if not chunk:
                return

    def _drain_err(self):
        fd = self.proc.stderr.fileno()
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            self._err.append(chunk)

    def _fail_start(self, why):
        self.proc.kill()
        self.proc.wait()
        self._err_reader.join(10)
        err = b"".join(self._err)
        raise Failure(f"{' '.join(self.args)}: {why}; stderr: {err.decode(errors='replace')[-2000:]}")

    def _readline(self, deadline):
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line

    def wait_output(self, needle, timeout=30):
        """Block until the tool has printed a line holding @needle (bytes): sync on
        its output, never on time. Returns that line; a Failure after @timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                data = b"".join(self._chunks)  # a line may span chunks
                at = data.find(needle)
                if at >= 0 and data.find(b"\n", at) >= 0:
                    start = data.rfind(b"\n", 0, at) + 1
                    return data[start:data.find(b"\n", at)]
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    raise Failure(f"{' '.join(self.args)}: no output line with {needle[:60]!r}"
                                  f" within {timeout}s ({'exited' if self._eof else 'running'})")
                self._cond.wait(left)

    def stop(self, sig=signal.SIGINT, timeout=30):
        """Signal the tool, collect everything it printed; returns self."""
        if self.rc is not None:
            return self
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure(f"{' '.join(self.args)}: did not exit within {timeout}s of signal {sig}")
        self._reader.join(timeout)
        self._err_reader.join(timeout)
        err = b"".join(self._err)
        data = b"".join(self._chunks)
        self._chunks = []
        self.lines = data.split(b"\n")
        if self.lines and self.lines[-1] == b"":
            self.lines.pop()
        self.stderr = err
        self.rc = self.proc.returncode
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.rc is None and self.proc:
            self.stop()
        return False

    # ---- results ----
    def records(self):
        """All JSON objects printed (after the ready line); every line must be JSON."""
        out = []
        for ln in self.lines:
            try:
                ln.decode("utf-8")
            except UnicodeDecodeError:
                raise Failure(f"output line is not valid UTF-8: {ln[:200]!r}")
            try:
                out.append(json.loads(ln))
            except ValueError:
                raise Failure(f"output line is not JSON: {ln[:200]!r}")
        return out

    def events(self, typ):
        return [r for r in self.records() if r.get("type") == typ]

    def text(self):
        return [ln.decode("utf-8", "replace") for ln in self.lines]


def wait_exit(proc, timeout=60):
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise Failure(f"{proc.args} did not exit within {timeout}s")


def run(argv, timeout=60, **kw):
    """Run a program to completion; returns CompletedProcess (never raises on rc)."""
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, **kw)


def cgroup2_root():
    """Where cgroup v2 is mounted, as /proc/self/mounts says (/sys/fs/cgroup on most
    machines, /sys/fs/cgroup/unified in the hybrid layout), or a Skip."""
    with open("/proc/self/mounts") as f:
        for ln in f:
            p = ln.split()
            if len(p) > 2 and p[2] == "cgroup2":
                return p[1]
    raise Skip("no cgroup v2 hierarchy mounted")


def free_port():
    """A TCP port free on loopback now (for a server the test starts)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def only(items, what):
    """Exactly one item, or a Failure that shows what came."""
    if len(items) != 1:
        raise Failure(f"expected exactly one {what}, got {len(items)}: {items[:5]}")
    return items[0]


def eq(got, want, what):
    if got != want:
        raise Failure(f"{what}: expected {want!r}, got {got!r}")


def check(cond, what):
    if not cond:
        raise Failure(what)
