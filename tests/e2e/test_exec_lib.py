# SPDX-License-Identifier: GPL-2.0
"""Shared pieces of the execsnoop end-to-end tests (no tests in here).

Every test tags its own execs with a unique marker argument and/or checks
pids, so concurrent tracers and process storms from other people on the
machine cannot confuse it.
"""
import calendar
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lib  # noqa: E402
from lib import Failure, check, only  # noqa: E402,F401

TRANSPORTS = ("ringbuf", "perf")


# lib.Tracer drains the tool's stdout/stderr while the test runs (a tool
# blocked on a full pipe would lose events only because of the test).
Tracer = lib.Tracer

RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{9})Z$")
EXEC_KEYS = ("type", "time", "pid", "tid", "ppid", "uid", "gid", "comm", "pcomm", "filename",
             "args", "args_truncated", "args_cut_bytes", "ret")


def marker():
    """A unique argument that identifies this test's execs."""
    return "psx" + uuid.uuid4().hex[:12]


def b(s):
    """The exact bytes of a JSON-decoded string (\\udcNN -> the raw byte, PEP 383)."""
    return s.encode("utf-8", "surrogateescape")


def my_comm():
    with open("/proc/self/comm", "rb") as f:
        return f.read().rstrip(b"\n")


def time_ns(s):
    """RFC 3339 UTC with nanoseconds -> ns since the epoch (fails on any other shape)."""
    m = RFC3339.match(s)
    check(m, f"time {s!r} is not RFC 3339 UTC with nanoseconds")
    y, mo, d, h, mi, se, ns = (int(x) for x in m.groups())
    return calendar.timegm((y, mo, d, h, mi, se)) * 10**9 + ns


def short(v, n=300):
    r = repr(v)
    return r if len(r) <= n else r[:n] + f"... ({len(r)} chars)"


def eq(got, want, what):
    """lib.eq, with readable messages for 1 MiB argv lists."""
    if got == want:
        return
    msg = f"{what}: expected {short(want)}, got {short(got)}"
    if isinstance(got, list) and isinstance(want, list):
        msg += f"; lengths {len(want)} vs {len(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                msg += f"; first difference at [{i}]: {short(w, 120)} vs {short(g, 120)}"
                break
    raise Failure(msg)


def execs(t, mark=None, pid=None):
    """The tracer's exec events carrying @mark as an argument (and/or from
    @pid); the exec of the exec_do helper itself (which got the marker to
    pass on) is not one of them."""
    out = []
    for e in t.events("exec"):
        if e["filename"].endswith("/tests/exec_do"):
            continue
        if mark is not None and not any(mark in a for a in e["args"]):
            continue
        if pid is not None and e["pid"] != pid:
            continue
        out.append(e)
    return out


def check_exec(e, what="exec event", before=None, after=None, **want):
    """Field-by-field check; @want values: bytes for strings (compared exactly),
    a list of bytes for args, ints/bools otherwise."""
    for k in EXEC_KEYS:
        check(k in e, f"{what}: no {k!r} field in {e}")
    eq(e["type"], "exec", f"{what}: type")
    if before is not None:
        t = time_ns(e["time"])
        check(before <= t <= after,
              f"{what}: time {e['time']} not within the test's wall-clock window "
              f"[{before}, {after}] (got {t})")
    for k, v in want.items():
        got = e[k]
        if k == "args":
            got = [b(a) for a in got]
        elif isinstance(v, bytes):
            got = b(got)
        eq(got, v, f"{what}: {k}")


def check_whole_or_counted(e, summary, what, want=None):
    """The no-silent-loss invariant for one exec event: either whole (not flagged
    incomplete; args exactly @want when given), or flagged incomplete and
    truncated, with the run's summary counting lost records."""
    if e.get("incomplete"):
        check(e["args_truncated"], f"{what}: incomplete but not args_truncated")
        check(summary["lost"] > 0,
              f"{what}: incomplete, yet the summary counts no loss: {summary}")
    elif want is not None:
        eq([b(a) for a in e["args"]], want, f"{what}: args of an event not flagged incomplete")


def run_exec(argv, executable=None, **kw):
    """Start and reap one process; returns (pid, returncode). Failed execs
    raise OSError in Python: returns (None, -errno) then."""
    try:
        p = subprocess.Popen(argv, executable=executable, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, **kw)
    except OSError as e:
        return None, -e.errno
    return p.pid, lib.wait_exit(p)


def helper_out(argv, ok_rc=(0,), **kw):
    """Run a C helper (tests/helpers/exec_do.c) to completion; returns the
    words it printed on stdout."""
    p = lib.run([lib.helper("exec_do")] + list(argv), **kw)
    check(p.returncode in ok_rc,
          f"exec_do {argv[:3]} failed: rc {p.returncode} {p.stderr[-500:]!r}")
    return p.stdout.decode().split()


def expect_capture(argv, limit):
    """What a capture limit of @limit bytes keeps of @argv (list of bytes):
    (args, truncated, cut_bytes), computed on the NUL-joined block."""
    blob = b"".join(a + b"\0" for a in argv)
    if len(blob) <= limit:
        return list(argv), False, 0
    cap = blob[:limit]
    parts = cap.split(b"\0")
    if cap.endswith(b"\0"):
        parts.pop()
    return parts, True, len(blob) - limit


class TmpDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="psx")
        return self.path

    def __exit__(self, *a):
        shutil.rmtree(self.path, ignore_errors=True)


def make_file(path, content, mode):
    with open(path, "wb") as f:
        f.write(content)
    os.chmod(path, mode)
    return path


def now():
    return time.time_ns()
