# SPDX-License-Identifier: GPL-2.0
"""Process identity in every record (entity_id, parent_entity_id, start_time,
nspid, pidns, mntns, auid, sessionid), the ready line's boot_id and hostname,
and the ancestry of exec records.

Ground truth is what the test itself creates and reads from /proc while the
processes are alive: /proc/PID/stat (the entity id recipe of the README),
/proc/PID/status NSpid, the /proc/PID/ns links, /proc/PID/loginuid and
sessionid. Processes block on a pipe until the test has read /proc, and only
then exec, so the tool and /proc describe the very same process life.
"""
import calendar
import ctypes
import os
import re
import socket
import subprocess
import time
import uuid

from lib import Failure, Tracer, check, eq, helper, only, wait_exit

TRANSPORTS = ("ringbuf", "perf")
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
PR_SET_NAME = 15
UNSET = 4294967295


def stat_fields(pid):
    """/proc/PID/stat, split after the comm (which may hold spaces and ')')."""
    s = open(f"/proc/{pid}/stat", "rb").read()
    rest = s[s.rindex(b")") + 2:].split()
    return rest  # rest[0] is field 3 (state)


def recipe(pid):
    """The README's recipe: "PID:STARTTIME", STARTTIME /proc/PID/stat field 22."""
    return f"{pid}:{int(stat_fields(pid)[22 - 3])}"


def ppid_of(pid):
    return int(stat_fields(pid)[4 - 3])


def comm_of(pid):
    return open(f"/proc/{pid}/comm", "rb").read().rstrip(b"\n").decode("utf-8", "surrogateescape")


def ns_inode(pid, kind):
    link = os.readlink(f"/proc/{pid}/ns/{kind}")
    m = re.fullmatch(kind + r":\[(\d+)\]", link)
    check(m, f"/proc/{pid}/ns/{kind}: {link}")
    return int(m.group(1))


def audit_id(pid, name):
    v = int(open(f"/proc/{pid}/{name}").read())
    return None if v == UNSET else v


def token():
    return "idt" + uuid.uuid4().hex[:12]


def set_comm(name):
    libc.prctl(PR_SET_NAME, name.encode(), 0, 0, 0)


class Gated:
    """A child of the test that blocks until released, then execs /bin/true TOKEN
    (or exits). @pre runs in the child first (set a loginuid, ...)."""

    def __init__(self, tok, pre=None):
        r, w = os.pipe()
        ready_r, ready_w = os.pipe()
        t0 = time.time_ns()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(w)
                os.close(ready_r)
                if pre:
                    pre()
                os.write(ready_w, b"r")
                os.read(r, 1)
                os.execv("/bin/true", ["/bin/true", tok])
            finally:
                os._exit(0)
        self.t1 = time.time_ns()
        self.t0 = t0
        os.close(r)
        os.close(ready_w)
        eq(os.read(ready_r, 1), b"r", "gated child ready")
        os.close(ready_r)
        self.w = w
        self.pid = pid

    def release(self):
        os.write(self.w, b"x")
        os.close(self.w)
        _, st = os.waitpid(self.pid, 0)
        eq(st, 0, "gated child status")


def exec_recs(t, pid, tok):
    return [r for r in t.events("exec") if r["pid"] == pid and tok in r["args"]]


def check_ident(r, pid, what, ppid=None):
    """The identity members against /proc, read while @pid lived."""
    exp = getattr(check_ident, "truth")[pid]
    eq(r["entity_id"], exp["entity_id"], f"{what}: entity_id (the /proc recipe)")
    eq(r["parent_entity_id"], exp["parent_entity_id"], f"{what}: parent_entity_id")
    eq(r["nspid"], exp["nspid"], f"{what}: nspid (/proc/PID/status NSpid)")
    eq(r["pidns"], exp["pidns"], f"{what}: pidns (/proc/PID/ns/pid)")
    eq(r["mntns"], exp["mntns"], f"{what}: mntns (/proc/PID/ns/mnt)")
    eq(r["auid"], exp["auid"], f"{what}: auid (/proc/PID/loginuid)")
    eq(r["sessionid"], exp["sessionid"], f"{what}: sessionid (/proc/PID/sessionid)")


def truth(pid):
    """Everything /proc says about a live @pid, kept for check_ident()."""
    status = open(f"/proc/{pid}/status").read()
    nspid = int(re.search(r"^NSpid:\s+(.*)$", status, re.M).group(1).split()[-1])
    pp = ppid_of(pid)
    d = {
        "entity_id": recipe(pid),
        "parent_entity_id": recipe(pp),
        "nspid": nspid,
        "pidns": ns_inode(pid, "pid"),
        "mntns": ns_inode(pid, "mnt"),
        "auid": audit_id(pid, "loginuid"),
        "sessionid": audit_id(pid, "sessionid"),
    }
    check_ident.truth = getattr(check_ident, "truth", {})
    check_ident.truth[pid] = d
    return d


def check_start_time(r, g, what):
    """start_time (RFC 3339 ns) lies between the test's clock readings around the fork."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z", r["start_time"])
    check(m, f"{what}: start_time format: {r['start_time']}")
    secs = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    ns = secs * 1_000_000_000 + int(m.group(2))
    # the tool maps boottime to wall clock once at start (a bracketed read,
    # error well under a microsecond): 100 us covers it, not the fork's own span
    check(g.t0 - 100_000 <= ns <= g.t1 + 100_000,
          f"{what}: start_time {r['start_time']} ({ns}) outside the fork window [{g.t0}, {g.t1}]")


# ---- entity ids: a process started before the tracer, exec, exit, probe ----

def test_entity_id_before_tracer_exec_exit():
    for tr in TRANSPORTS:
        tok = token()
        g = Gated(tok)
        truth(g.pid)
        with Tracer(["exec", "--json", "--transport", tr, "-P", str(os.getpid())]) as te, \
                Tracer(["exit", "--json", "--transport", tr, "-p", str(g.pid)]) as tx:
            g.release()
            wait_exit(tx.proc, 30)
        ex = only(exec_recs(te, g.pid, tok), f"{tr}: exec record of the gated child")
        xr = only([r for r in tx.events("exit") if r["pid"] == g.pid], f"{tr}: exit record")
        check_ident(ex, g.pid, f"{tr} exec")
        check_ident(xr, g.pid, f"{tr} exit")
        eq(xr["entity_id"], ex["entity_id"], f"{tr}: the same life in exec and exit")
        check_start_time(ex, g, f"{tr} exec")
        check_start_time(xr, g, f"{tr} exit")
        eq(ex["parent_entity_id"], recipe(os.getpid()), f"{tr}: parent is the test")
        for key in ("boot_id", "hostname"):
            eq(te.ready[key], tx.ready[key], f"{tr}: {key} the same for both tools")


def test_entity_id_probe_record():
    D = helper("usdt_demo")
    for tr in TRANSPORTS:
        p = subprocess.Popen([D, "1", "s"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            truth(p.pid)
            with Tracer(["probe", "--json", "--transport", tr, "-p", str(p.pid),
                         f"u:{D}:add"]) as t:
                p.stdin.write(b"go\n")
                p.stdin.close()
                p.stdout.read()
                wait_exit(p)
            hit = [r for r in t.events("probe") if r["pid"] == p.pid]
            check(hit, f"{tr}: no probe record of usdt_demo")
            for r in hit:
                check_ident(r, p.pid, f"{tr} probe")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()


def test_ready_boot_id_hostname():
    boot_id = open("/proc/sys/kernel/random/boot_id").read().strip()
    check(re.fullmatch(r"[0-9a-f-]{36}", boot_id), f"boot_id {boot_id!r}")
    D = helper("usdt_demo")
    tools = [["exec"], ["exit"], ["probe", f"u:{D}:add"], ["bashreadline"]]
    for tr in TRANSPORTS:
        for tool in tools:
            with Tracer([tool[0], "--json", "--transport", tr] + tool[1:]) as t:
                pass
            eq(t.ready["boot_id"], boot_id, f"{tool[0]} {tr}: ready boot_id")
            eq(t.ready["hostname"], socket.gethostname(), f"{tool[0]} {tr}: ready hostname")


# ---- pid reuse ----

def test_pid_reuse_two_entity_ids():
    """The host pid of a finished child is handed out again (ns_last_pid): two
    lives, one pid, two entity ids. The second life starts in a later clock
    tick than the first (the recipe's resolution; README)."""
    tok = token()
    path = "/proc/sys/kernel/ns_last_pid"
    with Tracer(["exec", "--json", "-P", str(os.getpid())]) as t:
        for attempt in range(100):
            a = Gated(tok)
            ta = truth(a.pid)
            a.release()
            # a later tick than a's start (10 ms at USER_HZ=100), by the clock itself
            tick = int(ta["entity_id"].split(":")[1])
            while time.clock_gettime_ns(time.CLOCK_BOOTTIME) // 10_000_000 <= tick + 1:
                pass
            # another process may take the pid between the write and the fork: retry
            with open(path, "w") as f:
                f.write(str(a.pid - 1))
            b = Gated(tok)
            if b.pid == a.pid:
                tb = truth(b.pid)
                b.release()
                break
            b.release()
        else:
            raise Failure("could not get a pid reused in 100 attempts")
    recs = exec_recs(t, a.pid, tok)
    eq(len(recs), 2, f"two exec records of pid {a.pid}")
    eq([r["entity_id"] for r in recs], [ta["entity_id"], tb["entity_id"]],
       "each life's entity id, as /proc gave it")
    check(recs[0]["entity_id"] != recs[1]["entity_id"], f"one pid, two lives: {recs}")


# ---- namespaces ----

def test_nspid_pidns_mntns_in_new_namespaces():
    """C unshares pid and mount namespaces; its child D is pid 1 there and sets
    ns_last_pid so that E gets nspid 42; E execs. Host pid, nspid, namespace
    inodes against /proc."""
    for tr in TRANSPORTS:
        tok = token()
        rep_r, rep_w = os.pipe()
        gate_r, gate_w = os.pipe()
        c = os.fork()
        if c == 0:
            try:
                os.close(rep_r)
                os.close(gate_w)
                if libc.unshare(CLONE_NEWPID | CLONE_NEWNS) != 0:
                    os.write(rep_w, b"unshare failed %d\n" % ctypes.get_errno())
                    os._exit(1)
                d = os.fork()
                if d == 0:
                    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                        f.write("41")
                    e = os.fork()
                    if e == 0:
                        os.read(gate_r, 1)
                        os.execv("/bin/true", ["/bin/true", tok])
                    os.write(rep_w, b"%d %d\n" % (os.getpid(), e))
                    os.waitpid(e, 0)
                    os._exit(0)
                os.write(rep_w, b"D %d\n" % d)
                os.waitpid(d, 0)
            finally:
                os._exit(0)
        os.close(rep_w)
        os.close(gate_r)
        f = os.fdopen(rep_r)
        line1, line2 = sorted((f.readline().split(), f.readline().split()), key=lambda l: l[0] != "D")
        check(line1[:1] == ["D"], f"namespace child: {line1} {line2}")
        d_host = int(line1[1])
        eq([int(x) for x in line2], [1, 42], "D is pid 1 in its namespace, E pid 42")
        kids = open(f"/proc/{d_host}/task/{d_host}/children").read().split()
        e_host = int(only(kids, "child of D"))
        tr_e = truth(e_host)
        eq(tr_e["nspid"], 42, "/proc NSpid of E")
        check(tr_e["pidns"] != ns_inode(os.getpid(), "pid"), "E in another pid namespace")
        check(tr_e["mntns"] != ns_inode(os.getpid(), "mnt"), "E in another mount namespace")
        with Tracer(["exec", "--json", "--transport", tr, "-n", "true"]) as te, \
                Tracer(["exit", "--json", "--transport", tr, "-p", str(e_host)]) as tx:
            os.write(gate_w, b"x")
            os.close(gate_w)
            wait_exit(tx.proc, 30)
        os.waitpid(c, 0)
        f.close()
        ex = only(exec_recs(te, e_host, tok), f"{tr}: exec of E")
        xr = only([r for r in tx.events("exit") if r["pid"] == e_host], f"{tr}: exit of E")
        for r, what in ((ex, "exec"), (xr, "exit")):
            check_ident(r, e_host, f"{tr} {what}")
            eq(r["ppid"], d_host, f"{tr} {what}: ppid is D's host pid")
        eq(ex["ancestors"][0]["pid"], d_host, f"{tr}: E's first ancestor is D")
        eq(ex["ancestors"][1]["pid"], c, f"{tr}: then C")


# ---- audit ids ----

def test_auid_sessionid():
    """A child sets its loginuid (as pam_loginuid does), which gives it a new
    audit session; its exec and exit records carry both. A child that sets
    nothing inherits the test's (null when unset)."""
    for tr in TRANSPORTS:
        tok = token()

        def login():
            with open("/proc/self/loginuid", "w") as f:
                f.write("4321")

        g = Gated(tok, pre=login)
        tg = truth(g.pid)
        plain = Gated(tok)
        tp = truth(plain.pid)
        eq(tp["auid"], audit_id(os.getpid(), "loginuid"), "inherited loginuid")
        check(tg["sessionid"] is not None and tg["sessionid"] != tp["sessionid"],
              f"setting loginuid starts a new session: {tg} {tp}")
        with Tracer(["exec", "--json", "--transport", tr, "-P", str(os.getpid())]) as te, \
                Tracer(["exit", "--json", "--transport", tr, "-n", "true"]) as tx:
            g.release()
            plain.release()
        for c, want in ((g, tg), (plain, tp)):
            ex = only(exec_recs(te, c.pid, tok), f"{tr}: exec record")
            xr = only([r for r in tx.events("exit") if r["pid"] == c.pid
                       and r["entity_id"] == want["entity_id"]], f"{tr}: exit record")
            for r, what in ((ex, "exec"), (xr, "exit")):
                eq(r["auid"], want["auid"], f"{tr} {what}: auid")
                eq(r["sessionid"], want["sessionid"], f"{tr} {what}: sessionid")
        eq(tg["auid"], 4321, "/proc/PID/loginuid after the write")


# ---- ancestors ----

def build_chain(depth, tok):
    """The test forks a chain of @depth processes named anc-1..anc-N (each the
    child of the one before); the last one (the leaf) waits on a gate, then
    execs /bin/true TOKEN. Returns (pids, gate fd), pids[0] = anc-1."""
    rep_r, rep_w = os.pipe()
    gate_r, gate_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rep_r)
            os.close(gate_w)
            for level in range(1, depth + 1):
                set_comm(f"anc-{level}")
                os.write(rep_w, b"%d\n" % os.getpid())
                if level == depth:
                    os.close(rep_w)
                    os.read(gate_r, 1)
                    os.execv("/bin/true", ["/bin/true", tok])
                child = os.fork()
                if child:
                    os.waitpid(child, 0)
                    break
        finally:
            os._exit(0)
    os.close(rep_w)
    os.close(gate_r)
    with os.fdopen(rep_r) as f:
        pids = [int(f.readline()) for _ in range(depth)]
    # every level is named before it reports: /proc shows it
    return pids, gate_w, pid


def chain_from_proc(pid):
    """(pid, comm, entity_id) from @pid's parent up to pid 1, from /proc."""
    out = []
    p = ppid_of(pid)
    while p:
        out.append({"pid": p, "comm": comm_of(p), "entity_id": recipe(p)})
        if p == 1:
            break
        p = ppid_of(p)
    return out


def col_escape(comm):
    s = comm.replace("\\", "\\\\")
    for ch in " >()":
        s = s.replace(ch, "\\x%02x" % ord(ch))
    return s


def test_ancestors_five_levels():
    for tr in TRANSPORTS:
        tok = token()
        pids, gate, top = build_chain(5, tok)
        leaf = pids[-1]
        want = chain_from_proc(leaf)
        truth(leaf)
        eq([a["comm"] for a in want[:4]], ["anc-4", "anc-3", "anc-2", "anc-1"],
           "the tree the test built, as /proc shows it")
        eq(want[4]["pid"], os.getpid(), "above the tree: the test")
        eq(want[-1]["pid"], 1, "/proc chain ends at pid 1")
        with Tracer(["exec", "--json", "--transport", tr, "-n", "true"]) as t, \
                Tracer(["exec", "--transport", tr, "-n", "true", "--ancestors"],
                       json_mode=False) as tt:
            os.write(gate, b"x")
            os.close(gate)
            os.waitpid(top, 0)
        r = only(exec_recs(t, leaf, tok), f"{tr}: exec of the leaf")
        eq(r["ancestors"], want, f"{tr}: ancestors, parent first, up to pid 1")
        eq(r["ancestors_truncated"], False, f"{tr}: not truncated")
        eq(r["ancestors"][0]["entity_id"], r["parent_entity_id"], f"{tr}: first is the parent")
        check_ident(r, leaf, f"{tr} leaf")
        check(tt.ready.split()[-2:] == ["ANCESTORS", "ARGS"], f"header: {tt.ready}")
        chain = ">".join(f"{col_escape(a['comm'])}({a['pid']})" for a in reversed(want))
        rows = [ln for ln in tt.text() if ln.split()[1:2] == [str(leaf)] and ln.endswith(tok)]
        row = only(rows, f"{tr}: table row of the leaf")
        eq(row.split()[-3:], [chain, "/bin/true", tok], f"{tr}: ANCESTORS column")


def test_ancestors_truncated_past_64():
    tok = token()
    depth = 70
    pids, gate, top = build_chain(depth, tok)
    leaf = pids[-1]
    want = chain_from_proc(leaf)
    check(len(want) > 64, f"/proc chain has {len(want)} levels")
    with Tracer(["exec", "--json", "-n", "true"]) as t:
        os.write(gate, b"x")
        os.close(gate)
        os.waitpid(top, 0)
    r = only(exec_recs(t, leaf, tok), "exec of the leaf")
    eq(len(r["ancestors"]), 64, "64 levels")
    eq(r["ancestors"], want[:64], "the nearest 64, parent first")
    eq(r["ancestors_truncated"], True, "ancestors_truncated")


# tests/run.py skips this module inside test_fresh's chroot, saying why (CI time)
FRESH_INSIDE_SKIP = "identity fields are not about the machine; the suite outside runs them"
