# SPDX-License-Identifier: GPL-2.0
"""procsnoop trace, end to end: the helper proctree spawns a known tree (children and
grandchildren, ENOENT and EACCES execs, SIGKILL, a double fork reparented to init, one
reparented to a child subreaper, a fork-only child, sh -c 'exec ...', a non-leader
thread that execs, forced pid reuse, vfork) and writes down, from inside each process,
who it is (pid, start ticks from /proc, parent) and, from each parent, the wait status.
The records must be exactly those lives, field by field. Every run is scoped to the
test's own command (-- CMD), so no other process on the machine can match.
"""
import json
import os
import re
import signal
import subprocess
import tempfile

from lib import BIN, Failure, Tracer, check, eq, helper, only, run

TRANSPORTS = ("ringbuf", "perf")


def ticks_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def eid(pid, ticks):
    return f"{pid}:{ticks}"


class Truth:
    """What proctree wrote: lives by role, statuses by (role, pid)."""

    def __init__(self, path):
        self.starts, self.ends, self.status, self.tids, self.other = {}, {}, {}, {}, []
        with open(path) as f:
            for ln in f:
                r = json.loads(ln)
                if r["ev"] == "start":
                    # a role that execs the leaf says so twice, from one life
                    prev = self.starts.setdefault(r["role"], r)
                    eq((prev["pid"], prev["start"]), (r["pid"], r["start"]),
                       f"role {r['role']}: one life")
                elif r["ev"] == "end":
                    self.ends[r["role"]] = r
                elif r["ev"] == "status":
                    if r["role"] == "reuse-miss":
                        self.other.append(r["pid"])
                    else:
                        self.status[r["role"]] = r["status"]
                elif r["ev"] == "tid":
                    self.tids[r["role"]] = r["tid"]

    def eid(self, role):
        s = self.starts[role]
        return eid(s["pid"], s["start"])

    def peid(self, role):
        s = self.starts[role]
        return eid(s["ppid"], s["pstart"])


def trace_cmd(argv, *args, timeout=60):
    """procsnoop trace --json ARGS -- ARGV: (returncode, records on stderr, stderr lines)."""
    p = run([BIN, "trace", "--json", *args, "--", *argv], timeout=timeout)
    recs, other = [], []
    for ln in p.stderr.decode("utf-8", "surrogateescape").splitlines():
        try:
            recs.append(json.loads(ln))
        except ValueError:
            other.append(ln)
    return p, recs, other


def procs(recs):
    return [r for r in recs if r.get("type") == "process"]


def by_eid(recs, shared=()):
    """Records by entity_id, each once. Pids in @shared may have two lives in one clock
    tick (the pid-reuse misses: forked and reaped at once, their pid freed and taken
    again), which entity_id cannot tell apart: the exact start_time does."""
    out, seen = {}, set()
    for r in procs(recs):
        key = (r["entity_id"], r["start_time"])
        check(key not in seen, f"two records of one life: {key}")
        seen.add(key)
        check(r["entity_id"] not in out or r["pid"] in shared,
              f"two records for {r['entity_id']}")
        out[r["entity_id"]] = r
    return out


def execs(r):
    return [(e["filename"], e["ret"]) for e in r["execs"]]


def status_fields(st):
    """(exit_code, signal) as a wait status says."""
    if os.WIFSIGNALED(st):
        return None, os.WTERMSIG(st)
    return os.WEXITSTATUS(st), 0


def tree_run(transport):
    tree = helper("proctree")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "truth")
        p, recs, other = trace_cmd([tree, "tree", out], "--transport", transport)
        eq(p.returncode, 0, f"trace's exit status (proctree's), stderr {other[-5:]}")
        truth = Truth(out)
    return tree, truth, recs


def check_tree(transport):
    tree, t, recs = tree_run(transport)
    ready = only([r for r in recs if r.get("type") == "ready"], "ready line")
    eq(ready["transport"], transport, "transport")
    summary = only([r for r in recs if r.get("type") == "summary"], "summary")
    eq(summary["lost"], 0, "records lost")
    eq(summary["stats"]["lives_evicted"], 0, "evictions")
    got = by_eid(recs, shared=set(t.other))
    reused = "reuse2" in t.starts
    if not reused:
        raise Failure("the helper could not force pid reuse (ns_last_pid)")
    eq(t.starts["reuse1"]["pid"], t.starts["reuse2"]["pid"], "reused pid")
    # exactly the lives of the tree (and the pid-reuse misses, forks of the tree too)
    want = {t.eid(r) for r in t.starts}
    extra = {e for e, r in got.items() if e not in want and r["pid"] not in t.other}
    eq(extra, set(), "records of lives that are not the tree's")
    eq(want - set(got), set(), "lives of the tree without a record")
    eq(len(procs(recs)), len(want) + len(t.other), "records (one per life)")
    # the expected shape of each life: parent role, execs, outcome
    tree_exe = os.path.realpath(tree)
    expect = {
        # role: (parent role, execs, exit code, signal, reparented to role/pid)
        "main": (None, [(tree, 0)], 0, 0, None),
        "leafparent": ("main", [(tree_exe, 0)], 7, 0, None),
        "leafparent.kid": ("leafparent", [], 5, 0, None),
        "enoent": ("main", [("/nonexistent/proctree-zz", -2)], 127, 0, None),
        "eacces": ("main", None, 126, 0, None),
        "killed": ("main", [(tree_exe, 0)], None, 9, None),
        "daemon1": ("main", [], 0, 0, None),
        "daemon2": ("daemon1", [], 4, 0, "init"),
        "subreaper": ("main", [], 0, 0, None),
        "sub1": ("subreaper", [], 0, 0, None),
        "sub2": ("sub1", [], 6, 0, "subreaper"),
        "forkonly": ("main", [], 9, 0, None),
        "shexec": ("main", [("/bin/sh", 0), (tree_exe, 0)], 11, 0, None),
        "threadexec": ("main", [(tree_exe, 0)], 12, 0, None),
        "reuse1": ("main", [], 13, 0, None),
        "reuse2": ("main", [], 14, 0, None),
        "vfork": ("main", [(tree_exe, 0)], 15, 0, None),
    }
    eq(set(expect), set(t.starts), "roles the helper ran")
    for role, (prole, ex, code, sig, rep) in expect.items():
        r = got[t.eid(role)]
        what = f"{role} ({r['entity_id']})"
        s = t.starts[role]
        eq(r["pid"], s["pid"], f"{what} pid")
        eq(r["ppid"], s["ppid"], f"{what} ppid (the parent at fork)")
        eq(r["parent_entity_id"], t.peid(role), f"{what} parent_entity_id")
        if prole:
            eq(r["parent_entity_id"], t.eid(prole), f"{what} parent is {prole}")
        eq(r["start_observed"], True, f"{what} start_observed")
        eq(r["running"], False, f"{what} running")
        eq(r["incomplete"], False, f"{what} incomplete")
        eq(r["exit_code"], code, f"{what} exit_code")
        eq(r["signal"], sig, f"{what} signal")
        if role in t.status:
            eq((r["exit_code"], r["signal"]), status_fields(t.status[role]),
               f"{what} status vs the parent's waitpid")
        if ex is not None:
            eq(execs(r), ex, f"{what} execs")
        if rep == "init":
            # the helper saw its new parent itself (init, or the nearest subreaper)
            eq(r["reparented_to"], t.ends[role]["ppid"], f"{what} reparented_to")
            check(r["reparented_to"] != s["ppid"], f"{what}: not reparented?")
        elif rep:
            eq(r["reparented_to"], t.starts[rep]["pid"], f"{what} reparented_to")
            eq(t.ends[role]["ppid"], t.starts[rep]["pid"], f"{what}: helper's own view")
        else:
            check("reparented_to" not in r, f"{what}: reparented_to {r.get('reparented_to')}")
    # fork-only lives keep the name they inherited and have no execs
    for role in ("forkonly", "daemon1", "leafparent.kid"):
        r = got[t.eid(role)]
        eq(r["comm"], "proctree", f"{role} comm")
        eq(r["execs"], [], f"{role} execs")
    # a fork-only child runs its parent's program: args and exe inherited
    eq(got[t.eid("leafparent.kid")]["args"], got[t.eid("leafparent")]["args"], "kid args")
    # the two execs of sh -c 'exec ...', the final program at the top level
    sh = got[t.eid("shexec")]
    eq(sh["execs"][0]["args"][:2], ["sh", "-c"], "shexec first exec args")
    eq(sh["args"][1:], ["leaf", sh["args"][2], "shexec", "11"], "shexec final args")
    eq(sh["exe"], tree_exe, "shexec exe")
    # EACCES: the file exists but may not be executed
    ea = got[t.eid("eacces")]
    eq(len(ea["execs"]), 1, "eacces execs")
    eq((ea["execs"][0]["ret"], ea["execs"][0]["error"]), (-13, "EACCES"), "eacces ret")
    eq(got[t.eid("enoent")]["execs"][0]["error"], "ENOENT", "enoent error")
    # the thread that exec'd: its tid in the exec, the process keeps its pid
    te = got[t.eid("threadexec")]
    eq(te["execs"][0]["tid"], t.tids["threadexec"], "threadexec exec tid")
    check(t.tids["threadexec"] != te["pid"], "the exec was from a non-leader thread")
    eq(te["args"], ["proctree", "leaf", te["args"][2], "threadexec", "12"], "threadexec args")
    # pid reuse: one pid, two lives, two records, each its own exit
    r1, r2 = got[t.eid("reuse1")], got[t.eid("reuse2")]
    check(r1["entity_id"] != r2["entity_id"], "pid reuse: two entity ids")
    # ancestry: the grandchild's chain up through the tree to the tracer
    kid = got[t.eid("leafparent.kid")]
    eq([a["entity_id"] for a in kid["ancestors"][:3]],
       [t.eid("leafparent"), t.eid("main"), t.peid("main")], "kid ancestors")
    eq(kid["ancestors"][2]["comm"], "procsnoop", "the tracer started main")
    # daemon2's ancestry is where it came from, not init
    d2 = got[t.eid("daemon2")]
    eq([a["entity_id"] for a in d2["ancestors"][:2]], [t.eid("daemon1"), t.eid("main")],
       "daemon2 ancestors")
    eq(d2["ancestors"][1]["args"][:2], [tree, "tree"], "ancestor's command line")


def test_trace_tree_ringbuf():
    check_tree("ringbuf")


def test_trace_tree_perf():
    check_tree("perf")


def test_trace_cmd_status():
    """trace -- CMD exits with CMD's status; 128+N for a signal, as a shell does."""
    p, recs, _ = trace_cmd(["sh", "-c", "exit 3"])
    eq(p.returncode, 3, "exit status of trace -- sh -c 'exit 3'")
    r = only(procs(recs), "process record")
    eq((r["exit_code"], r["args"]), (3, ["sh", "-c", "exit 3"]), "record")
    eq(r["ancestors"][0]["comm"], "procsnoop", "CMD's parent")
    p, recs, _ = trace_cmd(["sh", "-c", "kill -9 $$"])
    eq(p.returncode, 128 + 9, "exit status of a CMD killed by SIGKILL")
    eq(only(procs(recs), "process record")["signal"], 9, "signal")
    # CMD keeps stdout: the records are on stderr only
    eq(run([BIN, "trace", "--json", "--", "sh", "-c", "echo out"]).stdout, b"out\n", "stdout")
    p, _, other = trace_cmd(["/nonexistent/zz-cmd"])
    eq(p.returncode, 127, "a CMD that cannot run")
    check(any("cannot run '/nonexistent/zz-cmd'" in ln for ln in other), f"message: {other}")


def test_trace_cmd_waits_for_daemon():
    """The run ends when the daemonized grandchild ends, not with CMD; it is in scope
    after its reparenting. --end-with-cmd ends with CMD."""
    tree = helper("proctree")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "truth")
        p, recs, _ = trace_cmd([tree, "daemon", out])
        t = Truth(out)
    eq(p.returncode, 5, "CMD's exit status")
    got = by_eid(recs)
    eq(set(got), {t.eid(r) for r in ("main", "daemon1", "daemon2")}, "lives")
    d2 = got[t.eid("daemon2")]
    eq((d2["running"], d2["exit_code"], d2["reparented_to"]),
       (False, 4, t.ends["daemon2"]["ppid"]), "the daemon's end, after CMD's")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "truth")
        p, recs, _ = trace_cmd([tree, "daemon", out], "--end-with-cmd")
        t = Truth(out)
    eq(p.returncode, 5, "CMD's exit status (--end-with-cmd)")
    got = by_eid(recs)
    eq(got[t.eid("main")]["exit_code"], 5, "main")
    # the daemon ends right after main: either side of the end, but reported once
    check(t.eid("daemon2") in got, "daemon2 reported")


def test_trace_preexisting_process():
    """A process started before the tracer: seeded from /proc with its command line,
    exe and parent, its ancestry up to init; its end is then seen live."""
    tree = helper("proctree")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "truth")
        rd, wr = os.pipe()
        sl = subprocess.Popen([tree, "sleeper", out, "pre", str(wr)], pass_fds=(wr,))
        os.close(wr)
        eq(os.read(rd, 1), b"x", "sleeper ready")
        os.close(rd)
        try:
            sl_eid = eid(sl.pid, ticks_of(sl.pid))
            with Tracer(["trace", "--json", "--descendants-of", str(sl.pid)]) as tr:
                sl.send_signal(signal.SIGKILL)
                sl.wait()
                tr.wait_output(f'"entity_id":"{sl_eid}"'.encode())
            recs = tr.events("process")
        finally:
            if sl.poll() is None:
                sl.kill()
                sl.wait()
    r = only([x for x in recs if x["entity_id"] == sl_eid], "record of the sleeper")
    eq(r["start_observed"], False, "start_observed")
    eq(r["args"], [tree, "sleeper", out, "pre", str(wr)], "command line from /proc")
    eq(r["exe"], os.path.realpath(tree), "exe from /proc")
    eq(r["ppid"], os.getpid(), "ppid")
    eq(r["parent_entity_id"], eid(os.getpid(), ticks_of(os.getpid())), "parent_entity_id")
    eq(r["ancestors"][0]["entity_id"], r["parent_entity_id"], "ancestors[0]")
    eq(r["ancestors"][-1]["pid"], 1, "ancestors end at init")
    eq((r["signal"], r["running"]), (9, False), "its end, seen live")


def test_trace_descendants_of_comm_faking_a_parent():
    """--descendants-of reads each process's parent from /proc/PID/stat: a process
    that is not a descendant, whose comm fakes a stat line end ("x) S ROOT\\n": a
    line reader stopped there and took ROOT for its parent), is not traced; the
    real descendant is."""
    root = subprocess.Popen(["sh", "-c", "sleep 60 & echo x; wait"], stdout=subprocess.PIPE,
                            start_new_session=True)
    fake = subprocess.Popen(["python3", "-c", "import ctypes, sys, time\n"
                             "ctypes.CDLL(None).prctl(15, sys.argv[1].encode())\n"
                             "print(flush=True)\ntime.sleep(60)\n", f"x) S {root.pid}\n"],
                            stdout=subprocess.PIPE)
    try:
        eq(root.stdout.readline(), b"x\n", "root's child started")
        eq(fake.stdout.readline(), b"\n", "impostor named")
        with open(f"/proc/{fake.pid}/comm", "rb") as f:
            eq(f.read(), f"x) S {root.pid}\n\n".encode(), "impostor's comm")
        fake_eid = eid(fake.pid, ticks_of(fake.pid))
        with Tracer(["trace", "--json", "--descendants-of", str(root.pid)]) as tr:
            pass
        recs = tr.events("process")
    finally:
        os.killpg(root.pid, signal.SIGKILL)
        fake.kill()
        for p in (root, fake):
            p.wait()
    eq([r for r in recs if r["entity_id"] == fake_eid], [], "the impostor's record")
    kid = only([r for r in recs if r["ppid"] == root.pid], "the real descendant")
    eq((kid["comm"], kid["running"]), ("sleep", True), "the real descendant")


def test_trace_running_at_stop():
    """--descendants-of: a process still running at the end is reported running: true,
    unless --ended-only."""
    tree = helper("proctree")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "truth")
        for ended_only in (False, True):
            rd, wr = os.pipe()
            sl = subprocess.Popen([tree, "sleeper", out, f"run{ended_only}", str(wr)],
                                  pass_fds=(wr,))
            os.close(wr)
            os.read(rd, 1)
            os.close(rd)
            args = ["trace", "--json", "--descendants-of", str(sl.pid)]
            try:
                with Tracer(args + (["--ended-only"] if ended_only else [])) as tr:
                    pass
            finally:
                sl.kill()
                sl.wait()
            recs = [r for r in tr.events("process") if r["pid"] == sl.pid]
            if ended_only:
                eq(recs, [], "--ended-only: no record of a running process")
            else:
                r = only(recs, "record of the running sleeper")
                eq((r["running"], r["exit_code"], r["incomplete"]), (True, None, False),
                   "running at stop")


def test_trace_filters():
    """--failed keeps the lives that failed (non-zero exit, signal, failed exec); -n
    matches the name; --min-duration the age."""
    tree = helper("proctree")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "truth")
        p, recs, _ = trace_cmd([tree, "tree", out], "--failed")
        t = Truth(out)
    got = {r["entity_id"] for r in procs(recs)}
    want = {t.eid(r) for r in t.starts if r in t.status and t.status[r] != 0}
    want |= {t.eid("daemon2"), t.eid("sub2")}  # exit 4 and 6, reaped by init/subreaper
    eq(got, want, "--failed: the failed lives")
    p, recs, _ = trace_cmd(["sh", "-c", "true; /bin/true"], "-n", "true")
    eq([r["comm"] for r in procs(recs)], ["true"], "-n true")
    p, recs, _ = trace_cmd(["sh", "-c", "true"], "--min-duration", "1h")
    eq(procs(recs), [], "--min-duration 1h")



def test_trace_cgroup_seeded():
    """-c machine-wide: of the processes already running (read from /proc, no
    kernel filter on them), only those in the cgroup's subtree are reported
    (trace reported every process on the machine, running at the stop)."""
    from test_cgroup import Tree, into
    tree = Tree()
    kids = []
    try:
        cg, rel = tree.mk("seeded/sub")
        # sh waits for EOF on its stdin: one below the filter's cgroup, one outside it
        for pre in (into(cg), None):
            kids.append(subprocess.Popen(["/bin/sh", "-c", "read x"], stdin=subprocess.PIPE,
                                         preexec_fn=pre))
        inside = eid(kids[0].pid, ticks_of(kids[0].pid))
        with Tracer(["trace", "--json", "-c", os.path.dirname(cg)]) as tr:
            tr.stop()
        recs = tr.events("process")
    finally:
        for k in kids:
            k.stdin.close()
            k.wait(timeout=30)
        tree.close()
    eq([(r["entity_id"], r["cgroup"], r["running"], r["start_observed"]) for r in recs],
       [(inside, rel, True, False)], "-c: the one running process in the subtree")


def test_trace_table():
    """Table mode: one line per life, the command line escaped."""
    p = run([BIN, "trace", "--", "sh", "-c", "exit 3", "a\x1bb"])
    eq(p.returncode, 3, "status")
    lines = p.stderr.decode().splitlines()
    eq(lines[0].split(), ["TIME", "PID", "PPID", "AGE(s)", "CPU(ms)", "EXIT", "COMMAND"],
       "header")
    row = only([ln for ln in lines[1:] if "code 3" in ln], "row of sh")
    f = row.split()
    check(f[1].isdigit() and f[2] == str(os.getpid()) or f[2].isdigit(), f"pid/ppid: {row}")
    check(row.endswith("sh -c exit\\x203 a\\eb") or row.endswith("sh -c exit 3 a\\eb"),
          f"escaped command line: {row!r}")
    check("\x1b" not in p.stderr.decode(), "no raw escape byte")


def test_trace_max_processes():
    """A table too small for the lives alive at once: the oldest are reported early
    (evicted) and counted; nothing is dropped silently, nothing reported twice."""
    tree = helper("proctree")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "truth")
        p, recs, _ = trace_cmd([tree, "wide", out, "40"], "--max-processes", "16")
        t = Truth(out)
    eq(p.returncode, 0, "status")
    s = only([r for r in recs if r.get("type") == "summary"], "summary")
    ev = [r for r in procs(recs) if r.get("evicted")]
    check(s["stats"]["lives_evicted"] >= 24, f"evictions counted: {s['stats']}")
    check(len(ev) >= 1, "evicted records are flagged")
    kids = {r["pid"] for r in procs(recs) if r["ppid"] == t.starts["main"]["pid"]}
    eq(len(kids), 40, "every child has a record")


def test_trace_usage():
    for args, msg in ((["--end-with-cmd"], "needs a command"),
                      (["stray"], "after --"),
                      (["--max-processes", "0"], "--max-processes"),
                      (["--descendants-of", "1", "--", "true"], "exclusive"),
                      (["--"], "followed by a command")):
        p = run([BIN, "trace", *args])
        eq(p.returncode, 2, f"trace {args}: exit status")
        check(msg.encode() in p.stderr, f"trace {args}: message {p.stderr!r}")
    p = run([BIN, "trace", "--descendants-of", "999999999"])
    eq(p.returncode, 1, "--descendants-of a pid that does not exist")
    check(b"no such process" in p.stderr, p.stderr)


def hook_choices(tool):
    """What `TOOL -v` says of its hooks: the attached programs (the ready line)
    and, per hook given up on, the reason."""
    with Tracer([tool, "--json", "-v"]) as tr:
        ready = tr.ready
    why = {}
    for ln in tr.stderr.decode("utf-8", "replace").splitlines():
        m = re.match(r"%s: hook '([^']+)': (.*)$" % tool, ln)
        if m:
            why[m.group(1)] = m.group(2)
    return ready["hooks"], why


def test_trace_hooks_are_exec_and_exit_hooks():
    """trace loads the exec and exit objects with those tools' own hook tables
    (hooks_exec.c, hooks_exit.c), not copies: on this kernel it attaches what
    exec and exit attach, in their order, and gives up on a hook for exec's
    and exit's reasons, word for word (a copy of exec's table had drifted:
    script-fexit's reason lacked what it means for a #! script's exe)."""
    exec_hooks, exec_why = hook_choices("exec")
    exit_hooks, exit_why = hook_choices("exit")
    trace_hooks, trace_why = hook_choices("trace")
    fork = trace_hooks[len(exec_hooks) + len(exit_hooks):]
    eq(trace_hooks[:len(exec_hooks) + len(exit_hooks)], exec_hooks + exit_hooks,
       "trace's exec and exit programs")
    check(len(fork) == 1 and fork[0].endswith("/sched_process_fork"), f"fork hook {fork}")
    ours = {h: w for h, w in trace_why.items() if not h.startswith("fork-")}
    eq(ours, {**exec_why, **exit_why}, "trace's reasons for the hooks it gave up on")
