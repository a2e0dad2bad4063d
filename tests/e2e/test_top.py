# SPDX-License-Identifier: GPL-2.0
"""procsnoop top against a storm with a known mix (tests/helpers/top_storm.c).

The storm runs in a cgroup of its own and every tracer filters on it (-c),
so other activity on the machine cannot change an exact count. The truth is
what the storm's parents saw from wait4() for each child (status, rusage):
counts must match exactly, CPU within the rusage tolerance test_exit uses.
The terminal mode is driven in tmux: what the screen shows, keys, and the
terminal left as it was.
"""
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import (BIN, Failure, Skip, Tracer, cgroup2_root, check, eq, helper, only, run,  # noqa: E402
                 wait_exit)

N_BURN, M_SLEEP, K_FAIL, L_KILLED = 4, 6, 3, 2
TRANSPORTS = ("ringbuf", "perf")


class Cgroup:
    """A cgroup of the test's own, removed at the end."""

    def __enter__(self):
        self.root = cgroup2_root()
        self.path = os.path.join(self.root, f"procsnoop-test-top-{secrets.token_hex(4)}")
        os.mkdir(self.path)
        self.rel = self.path[len(self.root):]
        return self

    def into(self):
        path = self.path

        def f():
            with open(os.path.join(path, "cgroup.procs"), "w") as fp:
                fp.write("0")
        return f

    def __exit__(self, *exc):
        for _ in range(250):
            try:
                os.rmdir(self.path)
                return False
            except FileNotFoundError:
                return False
            except OSError:
                time.sleep(0.02)   # the kernel still counts exited children: not a sync on the tool
        return False


def storm(cg, n=N_BURN, m=M_SLEEP, k=K_FAIL, l=L_KILLED):
    """Run the storm in @cg; {kind: {"parent", "n", "cpu_ns"}} from its own report."""
    p = subprocess.Popen([helper("top_storm"), str(n), str(m), str(k), str(l)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=cg.into())
    out, err = p.communicate(timeout=120)
    eq(p.returncode, 0, f"top_storm exit status (stderr {err[-300:]!r})")
    truth = {}
    for ln in out.decode().splitlines():
        r = json.loads(ln)
        truth[r["kind"]] = r
    eq(sorted(truth), ["ts_burn", "ts_fail", "ts_killed", "ts_sleep"], "storm report")
    return truth


def cpu_close(got_ns, want_ns, n, what, abs_ns=300_000, rel=0.02):
    """test_exit's rusage tolerance (microsecond truncation plus a small band), per process."""
    if abs(got_ns - want_ns) > n * abs_ns + rel * want_ns:
        raise Failure(f"{what}: reported {got_ns} ns, the parents' rusage says {want_ns} ns")


def groups(rec):
    return {g["key"]: g for g in rec["groups"]}


def summary(t):
    return only(t.events("top_summary"), "top_summary record")


def check_mix(rec, truth, what):
    """The four kinds, field by field, in one top record (an interval or the summary)."""
    gs = groups(rec)
    for kind, n in (("ts_burn", N_BURN), ("ts_sleep", M_SLEEP), ("ts_fail", K_FAIL),
                    ("ts_killed", L_KILLED)):
        check(kind in gs, f"{what}: no group {kind}: {sorted(gs)}")
        g = gs[kind]
        eq(g["processes"], n, f"{what}: {kind} processes")
        cpu_close(g["cpu_user_ns"] + g["cpu_sys_ns"], sum(truth[kind]["cpu_ns"]), n,
                  f"{what}: {kind} CPU")
        eq(g["top_parent"], truth[kind]["parent"], f"{what}: {kind} top_parent")
        check(g["lifetime_p50_ns"] <= g["lifetime_p95_ns"] <= g["lifetime_max_ns"],
              f"{what}: {kind} lifetime percentiles out of order: {g}")
    b, s, f, k = gs["ts_burn"], gs["ts_sleep"], gs["ts_fail"], gs["ts_killed"]
    # burners: exec'd once each, 20 ms of CPU each, mostly user time
    eq((b["execs"], b["failed"], b["exec_failed"], b["signaled"]), (N_BURN, 0, 0, 0),
       f"{what}: burner execs/failed/exec_failed/signaled")
    check(b["cpu_user_ns"] + b["cpu_sys_ns"] >= N_BURN * 20_000_000, f"{what}: burner CPU {b}")
    # (the user/sys split is tick-sampled, a few ticks per burner: not asserted)
    eq(b["last_cmdline"], ["/proc/self/exe", "burn", "20"], f"{what}: burner last_cmdline")
    # sleepers: 10 ms asleep, near 0 CPU (the exec and start-up only)
    eq((s["execs"], s["failed"], s["signaled"]), (M_SLEEP, 0, 0), f"{what}: sleeper counts")
    check(s["lifetime_max_ns"] >= 10_000_000 and s["lifetime_p50_ns"] >= 9_000_000,
          f"{what}: sleepers lived at least their 10 ms: {s}")
    check(s["cpu_user_ns"] + s["cpu_sys_ns"] < M_SLEEP * 5_000_000,
          f"{what}: sleepers' CPU near 0: {s}")
    # failing execs: no exec succeeded, one failed each, all failed
    eq((f["execs"], f["exec_failed"], f["failed"], f["signaled"]), (0, K_FAIL, K_FAIL, 0),
       f"{what}: failing-exec counts")
    # killed by SIGUSR1: failed and signaled
    eq((k["execs"], k["failed"], k["signaled"]), (L_KILLED, L_KILLED, L_KILLED),
       f"{what}: killed counts")
    # the parents and the storm itself, nothing else in the cgroup
    eq(gs["tsparent_a"]["processes"], 1, f"{what}: tsparent_a")
    eq(gs["tsparent_b"]["processes"], 1, f"{what}: tsparent_b")
    eq(gs["top_storm"]["processes"], 1, f"{what}: the storm itself")
    eq(gs["top_storm"]["execs"], 1, f"{what}: the storm's exec")
    total = N_BURN + M_SLEEP + K_FAIL + L_KILLED + 3
    eq(rec["processes"], total, f"{what}: processes")
    eq(sum(g["processes"] for g in rec["groups"]), total, f"{what}: processes of the groups")
    eq(rec["exec_failed"], K_FAIL, f"{what}: exec_failed")
    eq(rec["failed"], K_FAIL + L_KILLED, f"{what}: failed")
    eq(rec["execs"], N_BURN + M_SLEEP + L_KILLED + 1, f"{what}: execs")
    eq(rec["lost"], 0, f"{what}: lost")


def check_shape(rec, what):
    """The JSON contract of issue 11: every member, with its type."""
    for m, ty in (("time", str), ("interval_ns", int), ("by", str), ("processes", int),
                  ("execs", int), ("failed", int), ("lost", int), ("groups", list)):
        check(isinstance(rec.get(m), ty), f"{what}: member {m} missing or not {ty.__name__}")
    for g in rec["groups"]:
        for m, ty in (("key", str), ("processes", int), ("failed", int), ("execs", int),
                      ("cpu_user_ns", int), ("cpu_sys_ns", int), ("cpu_pct", (int, float)),
                      ("lifetime_p50_ns", int), ("lifetime_p95_ns", int),
                      ("lifetime_max_ns", int), ("max_rss_kb", int), ("last_cmdline", list),
                      ("top_parent", str)):
            check(isinstance(g.get(m), ty), f"{what}: group member {m} missing: {g}")


def test_top_json_storm():
    """Exact counts per command, CPU against rusage, failures and signals, --by parent,
    histogram buckets summing to the counts; on both transports."""
    with Cgroup() as cg:
        for tr in TRANSPORTS:
            common = ["top", "--json", "--batch", "-c", cg.rel, "--transport", tr, "60"]
            with Tracer(common + ["--hist"]) as a, \
                    Tracer(common + ["--by", "parent", "--hist=group"]) as p, \
                    Tracer(common + ["--by", "exe", "--hist=exit"]) as x:
                truth = storm(cg)
            for t in (a, p, x):
                t.stop()
                eq(t.rc, 0, f"{tr}: {t.args}: exit status")
            what = f"{tr} comm"
            eq(a.ready["by"], "comm", "ready: by")
            s = summary(a)
            check_shape(s, what)
            check_mix(s, truth, what + " summary")
            # the intervals (one, or two if the storm straddled a boundary) add up to it
            iv = a.events("top")
            check(iv, f"{what}: no interval record")
            for r in iv:
                check_shape(r, what)
                eq(r["by"], "comm", f"{what}: by")
                check(0 <= sum(g["cpu_pct"] for g in r["groups"]) <= 100 * r["cpus"] + 0.5,
                      f"{what}: CPU share above CPUs x interval: {r}")
            eq(sum(r["processes"] for r in iv), s["processes"], f"{what}: intervals vs summary")
            if len(iv) == 1:
                check_mix(iv[0], truth, what + " interval")
            # --hist: log2 buckets, bcc's ranges, summing to the processes
            for r in iv + [s]:
                h = r["hist"]
                for name in ("lifetime_us", "cpu_us"):
                    eq(sum(b["count"] for b in h[name]), r["processes"],
                       f"{what}: {name} buckets sum")
                    for i, b in enumerate(h[name]):
                        eq((b["low"], b["high"]), (0 if i == 0 else 1 << i, (2 << i) - 1),
                           f"{what}: {name} bucket {i} range")
            # burners took 20 ms: their CPU is in the 16384-32767 us bucket or above
            burn = sum(b["count"] for b in s["hist"]["cpu_us"] if b["low"] >= 16384)
            check(burn >= N_BURN, f"{what}: {burn} processes with >= 16 ms CPU, want {N_BURN}+")
            # --by parent: the parent each child had
            ps = groups(summary(p))
            eq(summary(p)["by"], "parent", "by parent")
            eq(ps["tsparent_a"]["processes"], N_BURN + M_SLEEP, f"{tr}: children of tsparent_a")
            eq(ps["tsparent_b"]["processes"], K_FAIL + L_KILLED, f"{tr}: children of tsparent_b")
            eq(ps["tsparent_b"]["failed"], K_FAIL + L_KILLED, f"{tr}: tsparent_b's failed")
            eq(ps["top_storm"]["processes"], 2, f"{tr}: the two parents' parent")
            cpu_close(ps["tsparent_a"]["cpu_user_ns"] + ps["tsparent_a"]["cpu_sys_ns"],
                      sum(truth["ts_burn"]["cpu_ns"]) + sum(truth["ts_sleep"]["cpu_ns"]),
                      N_BURN + M_SLEEP, f"{tr}: tsparent_a's children CPU")
            # --hist=group: a pair of histograms in every group, each summing to the
            # group's processes, in each interval and in the summary
            for r in p.events("top") + [summary(p)]:
                check("hist" in r, f"{tr}: --hist=group keeps the overall histograms")
                for g in r["groups"]:
                    for name in ("lifetime_us", "cpu_us"):
                        eq(sum(b["count"] for b in g["hist"][name]), g["processes"],
                           f"{tr}: --hist=group {g['key']} {name} buckets sum")
            # the burners are tsparent_a's: its >= 16 ms CPU bucket holds them, and
            # tsparent_b's children (failed execs, SIGUSR1 at once) are all below it
            hc = {k: sum(b["count"] for b in ps[k]["hist"]["cpu_us"] if b["low"] >= 16384)
                  for k in ("tsparent_a", "tsparent_b")}
            check(hc["tsparent_a"] >= N_BURN, f"{tr}: tsparent_a's >= 16 ms CPU: {hc}")
            eq(hc["tsparent_b"], 0, f"{tr}: tsparent_b's children with >= 16 ms CPU")
            # the sleepers lived >= 10 ms: tsparent_a's lifetime buckets from 8192 us up
            # hold at least them
            hl = sum(b["count"] for b in ps["tsparent_a"]["hist"]["lifetime_us"]
                     if b["low"] >= 8192)
            check(hl >= M_SLEEP, f"{tr}: tsparent_a's children alive >= 8 ms: {hl}")
            # --by exe: the file each ran at its end, whatever it renamed itself to: all
            # top_storm (a failed exec or no exec keeps the forking parent's image)
            xs = groups(summary(x))
            eq(sorted(xs), ["top_storm"], f"{tr}: --by exe keys")
            eq(xs["top_storm"]["processes"], s["processes"], f"{tr}: --by exe top_storm")
            # --hist=exit: no histogram per interval, one in the summary
            check(all("hist" not in r for r in x.events("top")), f"{tr}: --hist=exit interval")
            check(all("hist" not in g for r in [summary(x)] + iv for g in r["groups"]),
                  f"{tr}: a histogram per group without --hist=group")
            eq(sum(b["count"] for b in summary(x)["hist"]["lifetime_us"]),
               summary(x)["processes"], f"{tr}: --hist=exit buckets")


def test_top_count_and_limit():
    """INTERVAL COUNT ends the run by itself (status 0) after COUNT records; --limit
    folds the rest into "other", counts kept."""
    with Cgroup() as cg:
        t = Tracer(["top", "--json", "-c", cg.rel, "--limit", "2", "0.2", "3"])
        t.start()
        storm(cg, 1, 1, 1, 1)
        wait_exit(t.proc, 30)
        t.stop()
        eq(t.rc, 0, "exit status after COUNT intervals")
        iv = t.events("top")
        eq(len(iv), 3, "interval records")
        for r in iv:
            check(abs(r["interval_ns"] - 200_000_000) < 150_000_000, f"interval_ns {r}")
            check(len(r["groups"]) <= 3, f"--limit 2: at most 2 groups and other: {r}")
        s = summary(t)
        eq(len(s["groups"]), 3, "summary groups with --limit 2")
        o = s["groups"][-1]
        eq((o["key"], o.get("other")), ("other", True), "the other bucket")
        eq(sum(g["processes"] for g in s["groups"]), 7, "processes, other included")


def test_top_batch_table():
    """--batch: one table per interval, the header line and columns, rows by CPU."""
    with Cgroup() as cg:
        with Tracer(["top", "--batch", "-c", cg.rel, "--hist=exit,group", "60"],
                    json_mode=False) as t:
            storm(cg)
        t.stop()
        eq(t.rc, 0, "exit status")
        txt = t.text()
        heads = [i for i, ln in enumerate(txt) if ln.startswith("top ")]
        check(heads, f"no interval header: {txt[:5]}")
        h = txt[heads[0]]
        for part in ("procs/s", "execs/s", "failed execs/s", "short-lived", "lost 0", "by comm"):
            check(part in h, f"header line lacks {part!r}: {h}")
        cols = txt[heads[0] + 1].split()
        eq(cols[:8], ["KEY", "PROCS", "FAILED", "EXECS", "USER(ms)", "SYS(ms)", "CPU%", "P50"],
           "columns")
        rows = []
        for ln in txt[heads[0] + 2:]:
            if not ln.strip():
                break
            rows.append(ln.split())
        eq(rows[0][0], "ts_burn", "the burners use the most CPU")
        pct = [float(r[6]) for r in rows]
        eq(pct, sorted(pct, reverse=True), "rows sorted by CPU%")
        check(any(ln.startswith("summary ") for ln in txt), "summary table at exit")
        # --hist=exit,group: after the summary's table, the overall histograms, then a
        # section per group ("comm = KEY", bcc's runqlat -P), in the table's order; the
        # intervals' tables have none
        at = next(i for i, ln in enumerate(txt) if ln.startswith("summary "))
        check(not any("usecs" in ln for ln in txt[:at]), "--hist=exit: a histogram before the summary")
        srows = []
        for ln in txt[at + 2:]:
            if not ln.strip():
                break
            srows.append(ln.split())
        secs, cur = {}, None
        for ln in txt[at + 2 + len(srows):]:
            if ln.startswith("comm = "):
                cur = ln[len("comm = "):]
                secs[cur] = {}
                hist = None
            elif cur and ln.strip().endswith("distribution"):
                hist = ln.split()[0]
                secs[cur][hist] = 0
            elif cur and hist and "->" in ln:
                secs[cur][hist] += int(ln.split(":")[1].split()[0])
        eq(list(secs), [r[0] for r in srows], "a histogram section per group, in table order")
        for r in srows:
            eq(secs[r[0]], {"lifetime": int(r[1]), "cpu": int(r[1])},
               f"section {r[0]}: buckets sum to its PROCS")


def test_top_usage_errors():
    for args, msg in ((["--by", "nope"], b"invalid --by"), (["--sort", "x"], b"invalid --sort"),
                      (["0"], b"invalid INTERVAL"), (["1", "0"], b"invalid COUNT"),
                      (["--limit", "0"], b"invalid --limit"), (["--hist=x"], b"invalid --hist"),
                      (["--hist=exit,interval"], b"invalid --hist"),
                      (["--hist=group,group"], b"invalid --hist"),
                      (["--hist=group,"], b"invalid --hist"), (["--hist="], b"invalid --hist"),
                      (["1", "2", "3"], b"unexpected argument")):
        p = run([BIN, "top"] + args)
        eq(p.returncode, 2, f"{args}: exit status")
        check(msg in p.stderr, f"{args}: message {p.stderr[:200]!r}")


# ---- the terminal mode, in tmux ----

class Tmux:
    def __init__(self):
        if not shutil.which("tmux"):
            raise Skip("tmux is not installed (scripts/deps.sh --test installs it)")
        self.sock = f"ps-top-{secrets.token_hex(4)}"

    def cmd(self, *a):
        return subprocess.run(["tmux", "-L", self.sock] + list(a), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=20)

    def __enter__(self):
        p = self.cmd("new-session", "-d", "-x", "200", "-y", "50", "sh")
        eq(p.returncode, 0, f"tmux new-session: {p.stderr!r}")
        return self

    def __exit__(self, *exc):
        self.cmd("kill-server")
        return False

    def screen(self, history=0):
        """The screen, and @history lines scrolled off above it"""
        return self.cmd("capture-pane", "-p", "-S", str(-history)).stdout.decode("utf-8", "replace")

    def wait(self, pred, what, timeout=30):
        """Poll the screen until @pred holds: a sync on what the tool drew."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s = self.screen()
            if pred(s):
                return s
            time.sleep(0.1)
        raise Failure(f"tmux: {what} within {timeout}s; screen:\n{self.screen()}")


def table_rows(screen):
    lines = screen.splitlines()
    at = [i for i, ln in enumerate(lines) if ln.startswith("KEY ")]
    if not at:
        return None, []
    rows = []
    for ln in lines[at[0] + 1:]:
        f = ln.split()
        if len(f) < 8:
            break
        rows.append(f)
    return lines[0], rows


def test_top_terminal_tmux():
    """On a terminal: redrawn in place with the header, rows by CPU; a key re-sorts;
    q quits with status 0 and the terminal is as before (screen, echo); so does SIGINT;
    Ctrl-Z gives the terminal back while stopped, fg takes it again."""
    with Cgroup() as cg, Tmux() as tm:
        # a storm that keeps going, so every interval has the mix
        loop = subprocess.Popen(["sh", "-c", f"while :; do {helper('top_storm')} 2 6 0 0 "
                                 ">/dev/null || exit 1; done"], preexec_fn=cg.into())
        try:
            tm.cmd("send-keys", "echo BEFORE-TOP; stty -a | grep -o ' -\\?echo ' | head -1", "Enter")
            tm.wait(lambda s: "BEFORE-TOP" in s and " echo" in s.splitlines(), "the shell")
            tm.cmd("send-keys", f"{BIN} top -c {cg.rel} 0.5; echo TOP-RC=$?", "Enter")

            def sorted_by(key):
                def pred(s):
                    head, rows = table_rows(s)
                    names = [r[0] for r in rows]
                    return (head and f"sort {key}" in head and "ts_burn" in names
                            and "ts_sleep" in names)
                return pred
            s = tm.wait(sorted_by("cpu"), "a table sorted by CPU with both kinds")
            head, rows = table_rows(s)
            for part in ("procs/s", "execs/s", "failed execs/s", "short-lived", "by comm"):
                check(part in head, f"header lacks {part!r}: {head}")
            pct = [float(r[6]) for r in rows]
            eq(pct, sorted(pct, reverse=True), "rows sorted by CPU%")
            names = [r[0] for r in rows]
            check(names.index("ts_burn") < names.index("ts_sleep"), f"burners first: {names}")
            # n: by count; 6 sleepers per round against 2 burners
            tm.cmd("send-keys", "n")
            s = tm.wait(sorted_by("count"), "the table sorted by count")
            head, rows = table_rows(s)
            counts = [int(r[1]) for r in rows]
            eq(counts, sorted(counts, reverse=True), "rows sorted by PROCS")
            names = [r[0] for r in rows]
            check(names.index("ts_sleep") < names.index("ts_burn"), f"sleepers first: {names}")
            tm.cmd("send-keys", "q")
            s = tm.wait(lambda s: any(ln.startswith("TOP-RC=") for ln in s.splitlines()),
                        "top to quit")
            check("\nTOP-RC=0\n" in s, f"q: exit status 0:\n{s}")
            # the alternate screen is gone: the shell's lines are back, the live view's
            # header with them no more; the run's summary printed plainly below
            check("BEFORE-TOP" in s and "q quit" not in s and "summary " in s,
                  f"terminal not restored:\n{s}")
            tm.cmd("send-keys", "stty -a | grep -o ' -\\?echo ' | head -1; echo STTY-DONE", "Enter")
            s = tm.wait(lambda s: "\nSTTY-DONE" in s, "stty after top")
            after = s.split("\nTOP-RC=0\n", 1)[-1].splitlines()
            check(" echo" in after and " -echo" not in after, f"echo left off:\n{s}")
            # Ctrl-C (SIGINT) restores the terminal just the same, status 0
            tm.cmd("send-keys", "clear; echo BEFORE-2", "Enter")
            tm.wait(lambda s: "\nBEFORE-2" in s or s.startswith("BEFORE-2"), "the shell again")
            # with --hist=group, more than the screen holds: what fits is drawn, the
            # header stays on the first line (nothing scrolls)
            tm.cmd("send-keys", f"{BIN} top -c {cg.rel} --hist=group 0.5; echo TOP-RC2=$?",
                   "Enter")
            s = tm.wait(lambda s: sorted_by("cpu")(s) and "cpu usecs" in s,
                        "the second top's table and histograms")
            check(s.splitlines()[0].startswith("top "), f"scrolled: the header is not on top:\n{s}")
            tm.cmd("send-keys", "C-c")
            tm.wait(lambda s: any(ln.startswith("TOP-RC2=") for ln in s.splitlines()),
                    "top to end on SIGINT")
            s = tm.screen(history=400)  # the summary's histograms scroll the shell's lines up
            check("\nTOP-RC2=0\n" in s and "BEFORE-2" in s and "q quit" not in s,
                  f"SIGINT: status 0, terminal restored:\n{s}")
            tm.cmd("send-keys", "stty -a | grep -o ' -\\?echo ' | head -1; echo STTY-2", "Enter")
            s = tm.wait(lambda s: "\nSTTY-2" in s, "stty after the second top")
            after = s.split("\nTOP-RC2=0\n", 1)[-1].splitlines()
            check(" echo" in after and " -echo" not in after, f"SIGINT: echo left off:\n{s}")
            # Ctrl-Z: the terminal back as it was while stopped; fg: the table again
            tm.cmd("send-keys", "clear; echo BEFORE-3", "Enter")
            tm.wait(lambda s: "\nBEFORE-3" in s or s.startswith("BEFORE-3"), "the shell, third")
            tm.cmd("send-keys", f"{BIN} top -c {cg.rel} 0.5", "Enter")
            tm.wait(sorted_by("cpu"), "the third top's table")
            tm.cmd("send-keys", "C-z")
            s = tm.wait(lambda s: "Stopped" in s, "the shell to report top stopped")
            check("BEFORE-3" in s and "q quit" not in s, f"Ctrl-Z: screen not restored:\n{s}")
            tm.cmd("send-keys", "stty -a | grep -o ' -\\?echo ' | head -1; echo STTY-3", "Enter")
            s = tm.wait(lambda s: "\nSTTY-3" in s, "stty while top is stopped")
            after = s.split("Stopped", 1)[-1].splitlines()
            check(" echo" in after and " -echo" not in after, f"Ctrl-Z: echo left off:\n{s}")
            tm.cmd("send-keys", "fg; echo TOP-RC3=$?", "Enter")
            tm.wait(lambda s: sorted_by("cpu")(s) and "BEFORE-3" not in s,
                    "the table redrawn after fg")
            tm.cmd("send-keys", "q")
            s = tm.wait(lambda s: any(ln.startswith("TOP-RC3=") for ln in s.splitlines()),
                        "top to quit after fg")
            check("\nTOP-RC3=0\n" in s, f"fg, then q: exit status 0:\n{s}")
        finally:
            loop.kill()
            loop.wait()


def test_top_terminal_long_keys():
    """--hist=group on a terminal: a key longer than the width is cut in its section's
    header (a wrapped line would push the screen past its last row)."""
    long_arg = "x" * 400
    with Cgroup() as cg, Tmux() as tm:
        loop = subprocess.Popen(["sh", "-c", f"while :; do sh -c 'exit 0' {long_arg} || exit 1; "
                                 "done"], preexec_fn=cg.into())
        try:
            tm.cmd("send-keys", f"{BIN} top -c {cg.rel} --by cmdline --hist=group 0.5", "Enter")
            s = tm.wait(lambda s: "\ncmdline = sh -c exit 0 xxx" in s, "a section of the long key")
            lines = s.splitlines()
            check(lines[0].startswith("top "), f"the header is not on top:\n{s}")
            for i, ln in enumerate(lines):
                if ln.startswith("cmdline = "):
                    check(len(ln) <= 200, f"section header wider than the terminal: {ln!r}")
                    check(i + 1 == len(lines) or "lifetime usecs" in lines[i + 1],
                          f"the section header wrapped:\n{s}")
            tm.cmd("send-keys", "q")
        finally:
            loop.kill()
            loop.wait()


def test_top_escaping():
    """A hostile command line and comm: escaped in the table (no control byte reaches
    the terminal), exact in JSON (the bytes back through surrogateescape)."""
    args = [b"/bin/sh", b"-c", b"exit 0", b"ti\x1b]0;pwned\x07tle", b"new\nline", b"\xff\xfe"]
    with Cgroup() as cg:
        with Tracer(["top", "--json", "-c", cg.rel, "--by", "cmdline", "60"]) as j, \
                Tracer(["top", "--batch", "-c", cg.rel, "--by", "cmdline", "--hist=exit,group",
                        "60"], json_mode=False) as t:
            p = subprocess.Popen(args, preexec_fn=cg.into())
            eq(wait_exit(p), 0, "child exit status")
        j.stop()
        t.stop()
        g = only([g for g in summary(j)["groups"] if g["key"].startswith("/bin/sh")], "sh group")
        eq([a.encode("utf-8", "surrogateescape") for a in g["last_cmdline"]], args,
           "last_cmdline, byte for byte")
        eq(g["key"].encode("utf-8", "surrogateescape"), b" ".join(args), "cmdline key")
        raw = b"\n".join(t.lines)
        for bad in (b"\x1b", b"\x07", b"\xff"):
            check(bad not in raw, f"table: raw byte {bad!r} reached the terminal")
        check(b"ti\\e]0;pwned\\x07tle new\\nline \\xff\\xfe" in raw,
              f"table: escaped command line: {raw[-600:]!r}")
        # --hist=group: the section's key, escaped the same way
        check(b"\ncmdline = /bin/sh -c exit 0 ti\\e]0;pwned\\x07tle new\\nline \\xff\\xfe\n"
              in raw, f"histogram section: escaped key: {raw[-900:]!r}")


def test_top_by_keys():
    """--by ancestor (past the shells), uid, cgroup, container, cmdline: the key each
    process gets, for a known tree: python (this test) > sh -c > sh -c > true x2."""
    with open("/proc/self/comm") as f:
        me = f.read().strip()
    keys = ("ancestor", "uid", "cgroup", "container", "cmdline")
    with Cgroup() as cg:
        ts = {k: Tracer(["top", "--json", "-c", cg.rel, "--by", k, "60"]) for k in keys}
        try:
            for t in ts.values():
                t.start()
            p = subprocess.Popen(["sh", "-c", "sh -c '/bin/true A; /bin/true B'; :"],
                                 preexec_fn=cg.into())
            eq(wait_exit(p), 0, "tree exit status")
        finally:
            for t in ts.values():
                t.stop()
        got = {k: {g["key"]: g["processes"] for g in summary(t)["groups"]}
               for k, t in ts.items()}
        eq(got["ancestor"], {me: 4}, "--by ancestor: every process under the test's shells")
        eq(got["uid"], {str(os.getuid()): 4}, "--by uid")
        eq(got["cgroup"], {cg.rel: 4}, "--by cgroup")
        eq(got["container"], {"-": 4}, "--by container (none)")
        eq(got["cmdline"], {"sh -c sh -c '/bin/true A; /bin/true B'; :": 1,
                            "sh -c /bin/true A; /bin/true B": 1, "/bin/true A": 1,
                            "/bin/true B": 1}, "--by cmdline")


def test_top_losses_counted():
    """A tracer stopped while its small buffer overflows: every process is either
    counted or reported lost, in the interval records and the summary's counters."""
    n = 400
    for tr in TRANSPORTS:
        with Cgroup() as cg:
            t = Tracer(["top", "--json", "-c", cg.rel, "--buffer-size", "64K",
                        "--transport", tr, "60"])
            t.start()
            os.kill(t.proc.pid, signal.SIGSTOP)
            try:
                p = subprocess.Popen(["sh", "-c", f"i=0; while [ $i -lt {n} ]; do /bin/true; "
                                      "i=$((i+1)); done"], preexec_fn=cg.into())
                eq(wait_exit(p, 120), 0, "storm exit status")
            finally:
                os.kill(t.proc.pid, signal.SIGCONT)
            t.stop()
            s = summary(t)
            st = only(t.events("summary"), "summary line")["stats"]
            check(st["records_lost"] > 0, f"{tr}: nothing lost with a 64K buffer: {st}")
            eq(s["processes"] + st["events_lost"], n + 1, f"{tr}: counted + lost")
            eq(sum(r["lost"] for r in t.events("top")), st["records_lost"],
               f"{tr}: lost in the interval records")
