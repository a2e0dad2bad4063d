# SPDX-License-Identifier: GPL-2.0
"""The tracer survives the traced world misbehaving (tests/helpers/hostile.c):
a fork bomb held by a pids cgroup, 10,000 threads in one process ended by an
exec, processes killed while the tracer reads their argv, cgroups created and
removed while their processes are traced. In each: the tracers exit 0, every
line is a valid record, losses are counted (the lost lines add up to the
summary), and the records of a marker process the test runs in the middle of
it are exact. The tracers filter on the test's own cgroup slice (-c)."""
import os
import secrets
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import Failure, Skip, Tracer, check, eq, helper, only, wait_exit  # noqa: E402

# tests/run.py skips this module inside test_fresh's chroot, saying why (CI time)
FRESH_INSIDE_SKIP = "the tracer against a misbehaving world, not the machine; the suite outside runs it"
from e2e.test_cgroup import Tree, into  # noqa: E402

TIMEOUT = 120


def valid(t, tool):
    """Every line a record of @tool's types, with sane members; returns its events."""
    recs = t.records()
    eq(t.rc, 0, f"{tool}: tracer exit status (stderr {t.stderr[-600:]!r})")
    check(recs and recs[-1]["type"] == "summary", f"{tool}: last line is the summary")
    lost = [r for r in recs if r["type"] == "lost"]
    s = recs[-1]
    eq(sum(r["count"] for r in lost), s["lost"], f"{tool}: lost lines add up to the summary")
    eq(s["stats"]["records_malformed"], 0, f"{tool}: records_malformed")
    evs = [r for r in recs if r["type"] == tool]
    eq(len(evs) + len(lost) + 1, len(recs), f"{tool}: only {tool}, lost and summary lines")
    for r in evs:
        check(isinstance(r["pid"], int) and r["pid"] > 0 and isinstance(r["comm"], str),
              f"{tool}: record identity: {r}")
        if tool == "exec":
            check(isinstance(r["args"], list) and all(isinstance(a, str) for a in r["args"])
                  and r["argc"] >= len(r["args"]) and isinstance(r["ret"], int),
                  f"exec: record members: {str(r)[:400]}")
        else:
            # exit_code: null when a signal ended it
            check(isinstance(r["signal"], int) and
                  (isinstance(r["exit_code"], int) if not r["signal"] else r["exit_code"] is None),
                  f"exit: record members: {r}")
    check(len(evs) <= s["events"], f"{tool}: more records than events: {len(evs)} > {s}")
    return evs


def marker(path, rel, te, tx, what):
    """Run /bin/sh -c 'exit 42' sh MARK in cgroup @path; check its exec and exit records."""
    m = "psh" + secrets.token_hex(6)
    p = subprocess.Popen(["/bin/sh", "-c", "exit 42", "sh", m], preexec_fn=into(path))
    eq(wait_exit(p), 42, f"{what}: marker exit status")
    return m, p.pid


def check_marker(te_evs, tx_evs, m, pid, rel, what):
    r = only([e for e in te_evs if e["args"][-1:] == [m]], f"{what}: marker exec")
    eq((r["pid"], r["ppid"], r["filename"], r["args"], r["ret"], r["cgroup"]),
       (pid, os.getpid(), "/bin/sh", ["/bin/sh", "-c", "exit 42", "sh", m], 0, rel),
       f"{what}: marker exec fields")
    x = only([e for e in tx_evs if e["pid"] == pid and e["scope"] == "process"],
             f"{what}: marker exit")
    eq((x["exit_code"], x["signal"], x["comm"], x["cgroup"]), (42, 0, "sh", rel),
       f"{what}: marker exit fields")


def tracers(tree, *exit_args):
    return (Tracer(["exec", "--json", "-c", tree.slice]),
            Tracer(["exit", "--json", "-c", tree.slice, *exit_args]))


def pids_cgroup(tree):
    """A pids-limited cgroup for the bomb: (dir to join, pids dir, cleanup list).
    cgroup v2 pids if the unified tree has it, else the v1 pids hierarchy."""
    root = tree.root
    with open(os.path.join(root, "cgroup.controllers")) as f:
        v2 = "pids" in f.read().split()
    if v2:
        with open(os.path.join(tree.slice, "cgroup.subtree_control"), "w") as f:
            f.write("+pids")
        return None
    with open("/proc/self/mounts") as f:
        for ln in f:
            p = ln.split()
            if p[2] == "cgroup" and "pids" in p[3].split(","):
                d = os.path.join(p[1], "procsnoop-bomb-" + secrets.token_hex(4))
                os.mkdir(d)
                return d
    raise Skip("no pids cgroup controller (v1 or v2)")


def test_fork_bomb_in_a_pids_cgroup():
    """A fork bomb (forks, every fourth child execs) at its pids.max of 64."""
    tree = Tree()
    v1 = None
    try:
        v1 = pids_cgroup(tree)
        bomb, _ = tree.mk("bomb.scope")
        mpath, mrel = tree.mk("marker.scope")
        pdir = v1 or bomb
        with open(os.path.join(pdir, "pids.max"), "w") as f:
            f.write("64")

        def join():
            into(bomb)()
            if v1:
                with open(os.path.join(v1, "cgroup.procs"), "w") as f:
                    f.write("0")
        te, tx = tracers(tree)
        with te, tx:
            b = subprocess.Popen([helper("hostile"), "forkbomb"], preexec_fn=join)
            try:
                # sync on the world: the bomb has hit its limit
                deadline = time.monotonic() + 30
                while True:
                    with open(os.path.join(pdir, "pids.events")) as f:
                        refused = int(f.read().split()[1])
                    if refused > 100:
                        break
                    if time.monotonic() > deadline:
                        raise Failure(f"the fork bomb was refused {refused} forks in 30 s")
                    time.sleep(0.01)  # polling the world's state, not a sync on the tool
                m, mpid = marker(mpath, mrel, te, tx, "bomb")
            finally:
                with open(os.path.join(bomb, "cgroup.kill"), "w") as f:
                    f.write("1")
                b.wait()
            with open(os.path.join(bomb, "cgroup.procs")) as f:
                left = f.read()
        te.stop()
        tx.stop()
        evs, xevs = valid(te, "exec"), valid(tx, "exit")
        check_marker(evs, xevs, m, mpid, mrel, "bomb")
        bombs = [e for e in evs if e["args"] == ["true", "bomb"]]
        check(bombs, "bomb: no exec of the bomb's /bin/true recorded")
        for e in bombs:
            eq((e["filename"], e["comm"], e["cgroup"]), ("/bin/true", "true", _rel(tree, bomb)),
               "bomb: exec fields")
        lead = only([e for e in evs if e["args"][1:] == ["forkbomb"]], "bomb: its own exec")
        eq((lead["pid"], lead["cgroup"]), (b.pid, _rel(tree, bomb)), "bomb: its own exec")
        others = [e for e in evs if e not in bombs and e is not lead and e["args"][-1:] != [m]]
        eq(others, [], "bomb: execs that are neither the bomb's nor the marker's")
        print(f"     fork bomb: {len(bombs)} execs, {len(xevs)} exits recorded, lost "
              f"{te.records()[-1]['lost']}+{tx.records()[-1]['lost']}, left {left!r}")
    finally:
        tree.close()
        if v1:
            try:
                os.rmdir(v1)
            except OSError:
                pass


def _rel(tree, path):
    return path[len(tree.root):]


def test_ten_thousand_threads_then_exec():
    """10,000 threads, then main execs: every thread ends in de_thread at once."""
    n = 10000
    tree = Tree()
    try:
        path, rel = tree.mk("threads.scope")
        mpath, mrel = tree.mk("marker.scope")
        tag = "pst" + secrets.token_hex(6)
        te, tx = tracers(tree, "-T")
        with te, tx:
            p = subprocess.Popen([helper("hostile"), "threads", str(n), "/bin/true", tag],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 preexec_fn=into(path))
            eq(p.stdout.readline(), b"ready %d\n" % n, "threads started")
            p.stdin.write(b"go\n")
            p.stdin.close()
            eq(wait_exit(p), 0, "the exec'd /bin/true exit status")
            m, mpid = marker(mpath, mrel, te, tx, "threads")
            tx.wait_output(b'"pid":%d,' % mpid)
        te.stop()
        tx.stop()
        evs, xevs = valid(te, "exec"), valid(tx, "exit")
        check_marker(evs, xevs, m, mpid, mrel, "threads")
        r = only([e for e in evs if e["args"] == ["/bin/true", tag]], "threads: the exec")
        eq((r["pid"], r["filename"], r["ret"], r["cgroup"]), (p.pid, "/bin/true", 0, rel),
           "threads: exec fields")
        th = [e for e in xevs if e["pid"] == p.pid and e["scope"] == "thread"]
        proc = only([e for e in xevs if e["pid"] == p.pid and e["scope"] == "process"],
                    "threads: the process exit")
        eq((proc["exit_code"], proc["comm"]), (0, "true"), "threads: process exit fields")
        check(len({e["tid"] for e in th}) == len(th), "threads: a thread reported twice")
        lost = tx.records()[-1]["stats"]["events_lost"]
        # each thread's exit is recorded or counted as lost, none silently missing
        check(len(th) + lost >= n, f"threads: {len(th)} thread exits + {lost} lost < {n}")
        print(f"     10000 threads: {len(th)} thread exits recorded, {lost} events lost")
    finally:
        tree.close()


def test_killed_while_argv_is_read():
    """300 execs of a 100 KB argv (within the default 128 KiB), each SIGKILLed at once:
    records whole or flagged."""
    tree = Tree()
    try:
        path, rel = tree.mk("argv.scope")
        mpath, mrel = tree.mk("marker.scope")
        tag = "psk" + secrets.token_hex(6)
        te, tx = tracers(tree)
        with te, tx:
            p = subprocess.Popen([helper("hostile"), "argvkill", "300", "100000", tag],
                                 stdout=subprocess.PIPE, preexec_fn=into(path))
            out = p.stdout.read()
            eq((wait_exit(p), out), (0, b"done 300\n"), "argvkill")
            m, mpid = marker(mpath, mrel, te, tx, "argv")
        te.stop()
        tx.stop()
        evs, xevs = valid(te, "exec"), valid(tx, "exit")
        check_marker(evs, xevs, m, mpid, mrel, "argv")
        pad = "k" * 4095
        mine = [e for e in evs if e["args"][1:2] == [tag]]
        for e in mine:
            check(e["args"][0] == "/bin/true" and e["cgroup"] == rel,
                  f"argv: record {str(e)[:300]}")
            body = e["args"][2:]
            whole = not (e["args_truncated"] or e.get("args_unreadable") or e.get("incomplete"))
            if whole:
                eq(e["argc"], len(e["args"]), "argv: argc of a whole record")
                check(all(a == pad for a in body), "argv: a pad argument changed")
            else:
                check(all(a == pad for a in body[:-1]) and pad.startswith(body[-1] if body else ""),
                      f"argv: a flagged record is a prefix of the argv: {str(e)[:300]}")
        check(len(mine) <= 300, f"argv: {len(mine)} execs for 300 forks")
        print(f"     argv kill: {len(mine)} of 300 execs recorded "
              f"({sum(1 for e in mine if e['args_truncated'])} truncated)")
    finally:
        tree.close()


def test_cgroups_created_and_removed_while_traced():
    """100 cgroups, each made, used by one exec and removed at once: each record
    names its own cgroup or says it is gone, never another's."""
    tree = Tree()
    try:
        te, tx = tracers(tree)
        ran = []
        with te, tx:
            for i in range(100):
                path, rel = tree.mk(f"churn-{i}.scope")
                ino = os.stat(path).st_ino
                m = f"psg{secrets.token_hex(4)}-{i}"
                p = subprocess.Popen(["/bin/true", m], preexec_fn=into(path))
                eq(wait_exit(p), 0, "churn child")
                tree.rm(path)
                ran.append((m, p.pid, rel, ino))
            mpath, mrel = tree.mk("marker.scope")
            m0, mpid = marker(mpath, mrel, te, tx, "churn")
        te.stop()
        tx.stop()
        evs, xevs = valid(te, "exec"), valid(tx, "exit")
        check_marker(evs, xevs, m0, mpid, mrel, "churn")
        gone = 0
        for m, pid, rel, ino in ran:
            r = only([e for e in evs if e["args"] == ["/bin/true", m]], f"churn {m}: exec")
            x = only([e for e in xevs if e["pid"] == pid and e["comm"] == "true"],
                     f"churn {m}: exit")
            for what, e in (("exec", r), ("exit", x)):
                eq(e["cgroup_id"], ino, f"churn {m}: {what} cgroup_id")
                if e["cgroup"] is None:
                    eq(e.get("cgroup_gone"), True, f"churn {m}: {what}: null cgroup not gone")
                    gone += 1
                else:
                    eq(e["cgroup"], rel, f"churn {m}: {what} cgroup")
        print(f"     cgroup churn: 100 cgroups; {gone} of 200 records: removed before resolved (gone)")
    finally:
        tree.close()
