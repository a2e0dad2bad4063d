# SPDX-License-Identifier: GPL-2.0
"""Least privilege after start (src/lib/privs.c): once attached (the ready
line), every tool keeps only CAP_DAC_READ_SEARCH (cgroup id to path), and
CAP_BPF only where the kernel needs it to read our maps (before 6.5), in
every capability set, with no_new_privs; --user USER also becomes USER.
Each test reads the running tracer's /proc/PID/status, then checks that
tracing still works after the drop, field by field, on children it made
(in a cgroup of its own: the cgroup path is what needs the kept capability)."""
import os
import pwd
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import BIN, Tracer, check, eq, only, run, wait_exit  # noqa: E402
from e2e.test_cgroup import Tree, into  # noqa: E402
from e2e.test_probe import Demo, demo_path, hits  # noqa: E402

CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN, CAP_BPF = 2, 21, 39
KEPT = {1 << CAP_DAC_READ_SEARCH, 1 << CAP_DAC_READ_SEARCH | 1 << CAP_BPF}


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            k, _, v = ln.partition(":")
            out[k] = v.strip()
    return out


def check_dropped(pid, what, uid=0):
    # before: the tracer started with the test's own sets (root: all of them)
    before = int(status(os.getpid())["CapEff"], 16)
    check(before >> CAP_SYS_ADMIN & 1, f"the test itself lacks CAP_SYS_ADMIN ({before:x})")
    # capabilities are per thread: every thread of the tracer (--metrics has one)
    for tid in os.listdir(f"/proc/{pid}/task"):
        if tid != str(pid):
            check_dropped_task(f"/proc/{pid}/task/{tid}/status", f"{what} thread {tid}", uid)
    return check_dropped_task(f"/proc/{pid}/status", what, uid)


def check_dropped_task(path, what, uid):
    st = {}
    with open(path) as f:
        for ln in f:
            k, _, v = ln.partition(":")
            st[k] = v.strip()
    eff = int(st["CapEff"], 16)
    check(eff in KEPT, f"{what}: CapEff {st['CapEff']}, want only CAP_DAC_READ_SEARCH"
          " (and CAP_BPF on kernels before 6.5)")
    for k in ("CapPrm", "CapBnd"):
        eq(int(st[k], 16), eff, f"{what}: {k} (as CapEff: nothing left to raise)")
    for k in ("CapInh", "CapAmb"):
        eq(int(st[k], 16), 0, f"{what}: {k}")
    eq(st["NoNewPrivs"], "1", f"{what}: NoNewPrivs")
    eq(st["Uid"].split(), [str(uid)] * 4, f"{what}: Uid (real, effective, saved, fs)")
    return st


def _exec_in(path, marker):
    p = subprocess.Popen(["/bin/sh", "-c", 'exit 7', "sh", marker], preexec_fn=into(path))
    eq(wait_exit(p), 7, "child exit status")
    return p.pid


def test_exec_and_exit_after_the_drop():
    """exec and exit, both transports, as root and --user nobody: reduced caps, and
    every field of the test's own child right (cgroup path included)."""
    nobody = pwd.getpwnam("nobody").pw_uid
    for transport in ("ringbuf", "perf"):
        for user in (None, "nobody"):
            what = f"{transport} --user {user}"
            extra = ["--user", user] if user else []
            tree = Tree()
            try:
                path, rel = tree.mk("work.scope")
                common = ["--json", "--transport", transport, "-c", tree.slice] + extra
                with Tracer(["exec"] + common) as te, Tracer(["exit"] + common) as tx:
                    for t, tool in ((te, "exec"), (tx, "exit")):
                        check_dropped(t.proc.pid, f"{what} {tool}", nobody if user else 0)
                    m = "psp" + secrets.token_hex(6)
                    pid = _exec_in(path, m)
                te.stop()
                tx.stop()
                for t in (te, tx):
                    eq(t.rc, 0, f"{what}: tracer exit status (stderr {t.stderr[-500:]!r})")
                r = only([e for e in te.events("exec") if e["args"][-1:] == [m]],
                         f"{what}: exec record")
                eq((r["pid"], r["ppid"], r["uid"], r["filename"], r["args"], r["ret"],
                    r["cgroup"], r["cgroup_id"]),
                   (pid, os.getpid(), 0, "/bin/sh", ["/bin/sh", "-c", "exit 7", "sh", m], 0,
                    rel, os.stat(path).st_ino), f"{what}: exec fields")
                x = only([e for e in tx.events("exit") if e["pid"] == pid and e["comm"] == "sh"],
                         f"{what}: exit record")
                eq((x["exit_code"], x["signal"], x["ppid"], x["cgroup"]),
                   (7, 0, os.getpid(), rel), f"{what}: exit fields")
                for t in (te, tx):
                    s = t.events("summary")[-1]
                    eq(s["stats"]["cgroup_failed"], 0, f"{what}: cgroup_failed")
            finally:
                tree.close()


def test_probe_after_the_drop():
    """probe: reduced caps as --user nobody in both threads (--metrics serves from
    its own), and the demo's USDT hits exact."""
    D = demo_path()
    nobody = pwd.getpwnam("nobody").pw_uid
    d = Demo(3, "priv")
    try:
        with Tracer(["probe", "--json", "--user", "nobody", "--metrics", "127.0.0.1:0",
                     f"usdt:{D}:demo:tick"]) as t:
            eq(len(os.listdir(f"/proc/{t.proc.pid}/task")), 3, "probe --metrics: its threads (run loop, writer, metrics)")
            check_dropped(t.proc.pid, "probe --user nobody --metrics", nobody)
            d.release().wait()
        t.stop()
    finally:
        d.kill()
    eq(t.rc, 0, f"probe exit status ({t.stderr[-300:]!r})")
    eq([h["args"] for h in hits(t, d.pid, f"usdt:{D}:demo:tick")],
       [[i, i * 1000] for i in range(3)], "USDT demo:tick hits")


def test_user_errors():
    """--user: an unknown user or a repeated option is a usage error (2), with its reason."""
    for argv, want in ((["--user", "no-such-user-xq"], "invalid --user 'no-such-user-xq'"),
                       (["--user", "nobody", "--user", "root"], "--user given twice"),
                       (["--user", ""], "invalid --user ''")):
        for tool in ("exec", "exit", "probe"):
            p = run([BIN, tool] + argv + (["u:libc:malloc"] if tool == "probe" else []))
            eq(p.returncode, 2, f"{tool} {argv}: exit status")
            check(want in p.stderr.decode(), f"{tool} {argv}: stderr {p.stderr!r}")
