# SPDX-License-Identifier: GPL-2.0
"""cgroup, container_id, pod_uid and --container, against cgroups the test creates.

Each test builds a tree under the cgroup2 root with the names container
runtimes and Kubernetes use, moves its own children into those cgroups
(writing to cgroup.procs before exec), and asserts what every tool reports
about them against the tree it made. The tracers filter on the test's own
slice (-c), so no other process on the machine is involved. Every cgroup is
removed at the end, also when the test fails.
"""
import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import (BIN, Failure, Skip, Tracer, cgroup2_root, check, eq, helper, only, run,  # noqa: E402
                 wait_exit)

TRANSPORTS = ("ringbuf", "perf")


def hexid():
    return secrets.token_hex(32)


def uuid():
    h = secrets.token_hex(16)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Tree:
    """cgroups under <root>/procsnoop-test-<rand>.slice, removed deepest first on close."""

    def __init__(self):
        self.root = cgroup2_root()
        self.slice = os.path.join(self.root, f"procsnoop-test-{secrets.token_hex(4)}.slice")
        os.mkdir(self.slice)
        self.made = [self.slice]

    def mk(self, rel):
        """Create @rel (below the slice) and its parents; returns (absolute, path as reported)."""
        path = self.slice
        for part in rel.split("/"):
            path = os.path.join(path, part)
            if not os.path.isdir(path):
                os.mkdir(path)
                self.made.append(path)
        return path, path[len(self.root):]

    def rm(self, path, wait=True):
        """rmdir, retried while the kernel still counts the exited children (not a sync on the tool)."""
        for _ in range(200 if wait else 1):
            try:
                os.rmdir(path)
                self.made.remove(path)
                return
            except FileNotFoundError:
                self.made.remove(path)
                return
            except OSError:
                time.sleep(0.02)
        raise Failure(f"cannot remove cgroup {path}")

    def close(self):
        for p in sorted(self.made, key=len, reverse=True):
            try:
                self.rm(p)
            except Failure:
                pass


def into(path):
    def f():
        with open(os.path.join(path, "cgroup.procs"), "w") as fp:
            fp.write("0")
    return f


def run_in(path, marker):
    """/bin/true MARKER, in cgroup @path; its pid."""
    p = subprocess.Popen(["/bin/true", marker], preexec_fn=into(path))
    eq(wait_exit(p), 0, "child exit status")
    return p.pid


def execs(t, marker):
    return [r for r in t.events("exec") if r["args"][1:] == [marker]]


def exits(t, pid):
    return [r for r in t.events("exit") if r["pid"] == pid and r["comm"] == "true"]


def check_cg(r, want, what):
    """The cgroup members of record @r against @want = (abs path, reported path, id, pod)."""
    path, rel, cid, pod = want
    eq(r["cgroup_id"], os.stat(path).st_ino, f"{what}: cgroup_id (the directory's inode)")
    eq(r["cgroup"], rel, f"{what}: cgroup")
    check("cgroup_gone" not in r, f"{what}: cgroup_gone on a live cgroup: {r}")
    eq(r.get("container_id"), cid, f"{what}: container_id")
    eq(r.get("pod_uid"), pod, f"{what}: pod_uid")


def layouts():
    """(name below the slice, container id or None, pod uid or None), one per runtime layout."""
    ids = [hexid() for _ in range(9)]
    u1, u2, u3, u4 = uuid(), uuid(), uuid(), uuid()
    return [
        (f"system.slice/docker-{ids[0]}.scope", ids[0], None),
        (f"docker/{ids[1]}", ids[1], None),
        ("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
         f"{u1.replace('-', '_')}.slice/cri-containerd-{ids[2]}.scope", ids[2], u1),
        (f"kubepods.slice/kubepods-pod{u2.replace('-', '_')}.slice/crio-{ids[3]}.scope",
         ids[3], u2),
        (f"kubepods/besteffort/pod{u3}/{ids[4]}", ids[4], u3),
        (f"kubepods/burstable/pod{u4}", None, u4),
        (f"machine.slice/libpod-{ids[5]}.scope", ids[5], None),
        (f"user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ids[6]}.scope",
         ids[6], None),
        ("lxc.payload.web-01", "web-01", None),
        (f"system.slice/docker-{ids[7]}.scope/docker/{ids[8]}", ids[8], None),  # innermost
        ("system.slice/cron.service", None, None),
        (f"system.slice/docker-{ids[7][:63]}.scope", None, None),  # an id one digit short
    ]


def test_cgroup_runtime_layouts():
    """exec and exit records: cgroup, container_id, pod_uid for each runtime's naming."""
    for transport in TRANSPORTS:
        tree = Tree()
        try:
            want = {}
            for name, cid, pod in layouts():
                path, rel = tree.mk(name)
                want[name] = (path, rel, cid, pod)
            with Tracer(["exec", "--json", "--transport", transport, "-c", tree.slice]) as te, \
                    Tracer(["exit", "--json", "--transport", transport, "-c", tree.slice]) as tx:
                ran = {}
                for name in want:
                    m = "psc" + secrets.token_hex(6)
                    ran[name] = (m, run_in(want[name][0], m))
            te.stop()
            tx.stop()
            for name, (m, pid) in ran.items():
                what = f"{transport} {name}"
                r = only(execs(te, m), f"{what}: exec record")
                eq(r["pid"], pid, f"{what}: exec pid")
                check_cg(r, want[name], f"{what}: exec")
                check_cg(only(exits(tx, pid), f"{what}: exit record"), want[name], f"{what}: exit")
            for t in (te, tx):
                eq(t.events("summary")[0]["stats"]["cgroup_failed"], 0, f"{transport}: cgroup_failed")
        finally:
            tree.close()


def drop_dac_read_search():
    """In the tracer's child: no CAP_DAC_READ_SEARCH after exec, so open_by_handle_at is refused."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(24, 2, 0, 0, 0):  # PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH
        os._exit(125)


def test_cgroup_resolve_without_handles():
    """Without CAP_DAC_READ_SEARCH (no file handles) the ids are found by walking the tree."""
    tree = Tree()
    try:
        want = {}
        for name, cid, pod in layouts()[:5]:
            path, rel = tree.mk(name)
            want[name] = (path, rel, cid, pod)
        gone, _ = tree.mk(f"system.slice/docker-{hexid()}.scope")
        with Tracer(["exec", "--json", "-c", tree.slice], preexec_fn=drop_dac_read_search) as t:
            ran = {}
            for name in want:
                m = "psc" + secrets.token_hex(6)
                ran[name] = m
                run_in(want[name][0], m)
            t.proc.send_signal(signal.SIGSTOP)
            try:
                mg = "psc" + secrets.token_hex(6)
                run_in(gone, mg)
                tree.rm(gone)
            finally:
                t.proc.send_signal(signal.SIGCONT)
        for name, m in ran.items():
            check_cg(only(execs(t, m), f"no handles: {name}"), want[name], f"no handles: {name}")
        r = only(execs(t, mg), "no handles: removed cgroup")
        eq((r["cgroup"], r.get("cgroup_gone")), (None, True), "no handles: removed cgroup")
        eq(t.events("summary")[0]["stats"]["cgroup_failed"], 1, "no handles: cgroup_failed")
    finally:
        tree.close()


def test_cgroup_hostile_name_json():
    """A hostile cgroup name (escape, tab, quote, invalid UTF-8) is encoded in JSON, never raw.

    (The kernel refuses a newline in a cgroup name.)"""
    tree = Tree()
    try:
        path = os.fsdecode(os.fsencode(tree.slice) + b"/evil\t\"\x1b[31m\xff.scope")
        os.mkdir(path)
        tree.made.append(path)
        with Tracer(["exec", "--json", "-c", tree.slice]) as t:
            m = "psc" + secrets.token_hex(6)
            run_in(path, m)
        r = only(execs(t, m), "exec record in the hostile cgroup")
        # invalid UTF-8 comes out as \udcNN: Python's surrogateescape reads it back
        eq(r["cgroup"], path[len(tree.root):], "cgroup, hostile bytes round-trip")
        check(all(b"\x1b" not in ln and b"\xff" not in ln for ln in t.lines),
              "raw escape or invalid UTF-8 in the output")
    finally:
        tree.close()


def test_cgroup_gone():
    """A cgroup removed before the tool read the record: its id, cgroup null, cgroup_gone."""
    for transport in TRANSPORTS:
        tree = Tree()
        try:
            cid = hexid()
            path, _ = tree.mk(f"system.slice/docker-{cid}.scope")
            ino = os.stat(path).st_ino
            with Tracer(["exec", "--json", "--transport", transport, "-c", tree.slice]) as te, \
                    Tracer(["exit", "--json", "--transport", transport, "-c", tree.slice]) as tx:
                m = "psc" + secrets.token_hex(6)
                # stopped tracers read nothing: the records wait in the buffer while
                # the process exits and its cgroup is removed
                for t in (te, tx):
                    t.proc.send_signal(signal.SIGSTOP)
                try:
                    pid = run_in(path, m)
                    tree.rm(path)
                finally:
                    for t in (te, tx):
                        t.proc.send_signal(signal.SIGCONT)
            for t, rs, kind in ((te, execs(te, m), "exec"), (tx, exits(tx, pid), "exit")):
                what = f"{transport} {kind}"
                r = only(rs, f"{what}: record")
                eq(r["pid"], pid, f"{what}: pid")
                eq(r["cgroup_id"], ino, f"{what}: cgroup_id kept")
                eq(r["cgroup"], None, f"{what}: cgroup")
                eq(r.get("cgroup_gone"), True, f"{what}: cgroup_gone")
                check("container_id" not in r and "pod_uid" not in r, f"{what}: ids of a gone cgroup: {r}")
                eq(t.events("summary")[0]["stats"]["cgroup_failed"], 1, f"{what}: cgroup_failed")
        finally:
            tree.close()


def demo(path, n, s):
    """usdt_demo N S, started in cgroup @path (or where we are, None), waiting for "go"."""
    return subprocess.Popen([helper("usdt_demo"), str(n), s], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=into(path) if path else None)


def demo_done(p, n):
    p.stdin.write(b"go\n")
    p.stdin.close()
    out = p.stdout.read()
    eq(wait_exit(p), 0, "usdt_demo exit status")
    p.stdout.close()
    p.stderr.close()
    eq(out, b"done %d\n" % n, "usdt_demo output")


def test_container_filter():
    """--container PREFIX (12 hex): exec, exit, probe report only that container's processes."""
    for transport in TRANSPORTS:
        tree = Tree()
        try:
            a, b = hexid(), hexid()
            pa, ra = tree.mk(f"system.slice/docker-{a}.scope")
            pa2, ra2 = tree.mk(f"system.slice/docker-{a}.scope/init.scope")  # inside it
            pb, _ = tree.mk(f"system.slice/docker-{b}.scope")
            pout, _ = tree.mk("system.slice/cron.service")
            D = helper("usdt_demo")
            args = ["--json", "--transport", transport, "--container", a[:12]]
            with Tracer(["exec"] + args) as te, Tracer(["exit"] + args) as tx, \
                    Tracer(["probe"] + args + [f"u:{D}:add:%d:%d"]) as tp:
                ms = {k: "psc" + secrets.token_hex(6) for k in ("a", "a2", "b", "out", "me")}
                pids = {"a": run_in(pa, ms["a"]), "a2": run_in(pa2, ms["a2"]),
                        "b": run_in(pb, ms["b"]), "out": run_in(pout, ms["out"])}
                p = subprocess.Popen(["/bin/true", ms["me"]])  # the test's own cgroup
                wait_exit(p)
                pids["me"] = p.pid
                da, db = demo(pa, 3, "in"), demo(pb, 3, "other")
                demo_done(db, 3)
                demo_done(da, 3)
            for t in (te, tx, tp):
                eq(t.rc, 0, f"{transport} {t.args[0]}: exit status")
            what = f"{transport} --container"
            check_cg(only(execs(te, ms["a"]), f"{what}: exec in the container"),
                     (pa, ra, a, None), f"{what}: exec")
            check_cg(only(execs(te, ms["a2"]), f"{what}: exec in its sub-cgroup"),
                     (pa2, ra2, a, None), f"{what}: exec sub-cgroup")
            for k in ("b", "out", "me"):
                eq(execs(te, ms[k]), [], f"{what}: exec of {k} filtered out")
            eq(sorted(r["pid"] for r in te.events("exec")), sorted([pids["a"], pids["a2"],
                                                                    da.pid]),
               f"{what}: exec: only the container's processes")
            eq(sorted(r["pid"] for r in tx.events("exit")), sorted([pids["a"], pids["a2"],
                                                                    da.pid]),
               f"{what}: exit: only the container's processes")
            check_cg(only(exits(tx, pids["a"]), f"{what}: exit"), (pa, ra, a, None),
                     f"{what}: exit")
            # the filter must not cost the sleepable programs (a cgroup array map would)
            with Tracer(["probe", "--json", "--transport", transport, f"u:{D}:add"]) as ref:
                pass
            eq(tp.ready["sleepable"], ref.ready["sleepable"], f"{what}: probe sleepable")
            hits = tp.events("probe")
            eq([(h["pid"], h["args"]) for h in hits], [(da.pid, [i, 2 * i]) for i in range(3)],
               f"{what}: probe: only the demo in the container")
            for h in hits:
                check_cg(h, (pa, ra, a, None), f"{what}: probe record")
        finally:
            tree.close()


def test_container_errors():
    """Malformed ids: usage error (2); unknown and ambiguous prefixes: runtime error (1)."""
    tree = Tree()
    try:
        common = secrets.token_hex(7)  # 14 digits shared by two containers
        c1, c2 = common + secrets.token_hex(25), common + secrets.token_hex(25)
        tree.mk(f"system.slice/docker-{c1}.scope")
        tree.mk(f"system.slice/docker-{c2}.scope")
        for tool in (["exec"], ["exit"], ["probe", "u:libc:getpid"], ["bashreadline"]):
            for bad in ("0123456789a", "0123456789AB", "0123456789az", "", hexid() + "0",
                        " 0123456789ab"):
                p = run([BIN] + tool + ["--container", bad])
                eq(p.returncode, 2, f"{tool[0]} --container '{bad}': exit status")
                err = p.stderr.decode()
                check(": invalid --container" in err.splitlines()[0] and
                      "12 to 64" in err, f"{tool[0]} --container '{bad}': stderr {err!r}")
            p = run([BIN] + tool + ["--container", c1, "--container", c2])
            eq(p.returncode, 2, f"{tool[0]}: --container twice")
            p = run([BIN] + tool + ["--container", common[:12]])
            err = p.stderr.decode()
            eq(p.returncode, 1, f"{tool[0]}: ambiguous prefix exit status ({err!r})")
            check("ambiguous" in err and c1 in err and c2 in err and len(err.splitlines()) == 1,
                  f"{tool[0]}: ambiguous prefix stderr {err!r}")
            p = run([BIN] + tool + ["--container", secrets.token_hex(8)])
            err = p.stderr.decode()
            eq(p.returncode, 1, f"{tool[0]}: unknown prefix exit status ({err!r})")
            check("no container" in err and len(err.splitlines()) == 1,
                  f"{tool[0]}: unknown prefix stderr {err!r}")
        for tool in ("exec", "exit"):
            p = run([BIN, tool, "-c", tree.slice, "--container", c1])
            eq(p.returncode, 2, f"{tool}: -c with --container")
            check("exclusive" in p.stderr.decode(), f"{tool}: -c with --container: {p.stderr!r}")
    finally:
        tree.close()


def test_container_bashreadline():
    """bashreadline --container: only the shell in the container; its record names it."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from test_probe import Bash  # noqa: E402
    tree = Tree()
    try:
        a = hexid()
        pa, ra = tree.mk(f"machine.slice/libpod-{a}.scope")
        for transport in TRANSPORTS:
            inside = outside = None
            try:
                with Tracer(["bashreadline", "--json", "--transport", transport,
                             "--container", a[:16]]) as t:
                    outside = Bash()
                    inside = Bash(preexec_fn=into(pa))
                    outside.type(b"echo from_outside")
                    inside.type(b"echo from_inside")
                    outside.close()
                    inside.close()
            finally:
                for s in (inside, outside):
                    if s and s.proc.poll() is None:
                        s.close()
            # perf buffers are per CPU: records of one shell may come out of order
            got = sorted(t.events("bashreadline"), key=lambda r: r["ktime_ns"])
            eq([(r["pid"], r["line"]) for r in got],
               [(inside.pid, "echo from_inside"), (inside.pid, "exit")],
               f"{transport}: only the shell in the container")
            for r in got:
                check_cg(r, (pa, ra, a, None), f"{transport}: bashreadline record")
    finally:
        tree.close()
