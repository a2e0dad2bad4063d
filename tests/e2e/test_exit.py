# SPDX-License-Identifier: GPL-2.0
"""procsnoop exit (exitsnoop), end to end: real processes end in known ways,
and every record is checked field by field against what the parent itself
saw from wait4() (status, rusage), which is the ground truth the tool claims
to reproduce.
"""
import json
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time

from lib import BUILD, BIN, Failure, Skip, Tracer, check, eq, helper, only, run

CLOCK = time.CLOCK_BOOTTIME


def tracer(*args, **kw):
    return Tracer(["exit", "--json", *args], **kw)


class Child:
    """A helper process run to completion, with what its parent saw."""

    def __init__(self, argv, preexec_fn=None, cwd=None, before_wait=None):
        self.argv = argv
        self.t0 = time.clock_gettime_ns(CLOCK)
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, preexec_fn=preexec_fn, cwd=cwd)
        self.pid = self.p.pid
        if before_wait:
            before_wait(self)
        _, self.status, self.ru = os.wait4(self.pid, 0)
        self.t1 = time.clock_gettime_ns(CLOCK)
        self.p.returncode = 0  # reaped by wait4 above
        self.out = self.p.stdout.read().decode()
        self.p.stdout.close()

    def tids(self):
        """main=TID worker=TID[,TID] printed by exit_threads."""
        kv = dict(w.split("=") for w in self.out.split())
        return int(kv["main"]), [int(x) for x in kv["worker"].split(",")]

    # what the parent saw
    def exit_code(self):
        return os.WEXITSTATUS(self.status) if os.WIFEXITED(self.status) else None

    def signal(self):
        return os.WTERMSIG(self.status) if os.WIFSIGNALED(self.status) else 0

    def core(self):
        return os.WIFSIGNALED(self.status) and os.WCOREDUMP(self.status)


def records(t, pid, scope="process"):
    return [r for r in t.events("exit") if r["pid"] == pid and (scope is None or r["scope"] == scope)]


def cpu_close(got_ns, want_s, what, abs_ns=300_000, rel=0.02):
    """Within the rusage's microsecond truncation plus a small band (a sibling
    thread's last tick can land either side of a read)."""
    want = int(round(want_s * 1e9))
    if abs(got_ns - want) > abs_ns + rel * want:
        raise Failure(f"{what}: reported {got_ns} ns, the parent's rusage says {want} ns")


def check_record(r, c, comm="exit_status", tid=None, cpu_split=True):
    """Every field of a process record against the parent's own view."""
    eq(r["type"], "exit", "type")
    eq(r["scope"], "process", "scope")
    eq(r["pid"], c.pid, "pid")
    eq(r["tid"], c.pid if tid is None else tid, "tid")
    eq(r["ppid"], os.getpid(), "ppid")
    eq(r["uid"], os.getuid(), "uid")
    eq(r["comm"], comm, "comm")
    eq(r["status"], c.status, "raw wait status")
    eq(r["exit_code"], c.exit_code(), "exit_code")
    eq(r["signal"], c.signal(), "signal")
    eq(r["core_dumped"], c.core(), "core_dumped")
    # lifetime: inside the window the test itself observed, in the same clock
    start = r["ktime_ns"] - r["duration_ns"]
    check(c.t0 <= start <= r["ktime_ns"] <= c.t1,
          f"lifetime [{start}, {r['ktime_ns']}] not inside the test's window [{c.t0}, {c.t1}]")
    check(r["time"].endswith("Z") and "T" in r["time"], f"time is RFC 3339 UTC: {r['time']}")
    cpu_close(r["cpu_user_ns"] + r["cpu_sys_ns"], c.ru.ru_utime + c.ru.ru_stime, "CPU user+sys")
    if cpu_split:
        cpu_close(r["cpu_user_ns"], c.ru.ru_utime, "CPU user")
        cpu_close(r["cpu_sys_ns"], c.ru.ru_stime, "CPU sys")
    eq(r["max_rss_kb"], c.ru.ru_maxrss, "max_rss_kb (wait4 ru_maxrss)")
    check("cpu_approximate" not in r, "CPU flagged approximate")


# ---------------------------------------------------------------- statuses

def test_exit_codes():
    with tracer() as t:
        kids = {code: Child([helper("exit_status"), "code", str(code)]) for code in (0, 1, 255)}
    t.stop()
    eq(t.rc, 0, "exit status of the tracer")
    for code, c in kids.items():
        eq(c.exit_code(), code, "the fixture's own exit code")
        r = only(records(t, c.pid), f"record for exit {code}")
        check_record(r, c)
        eq(r["exit_code"], code, "exit_code")
        eq(r["signal"], 0, "signal")
        check("signal_name" not in r, "no signal_name on a normal exit")
    summary = t.events("summary")[-1]
    check(summary["events"] >= 3, f"summary counts events: {summary}")


def test_killed_by_parent():
    def kill_with(sig):
        def f(c):
            eq(c.p.stdout.readline(), b"ready\n", "fixture ready")
            os.kill(c.pid, sig)
        return f

    with tracer() as t:
        kids = {sig: Child([helper("exit_status"), "wait"], before_wait=kill_with(sig))
                for sig in (signal.SIGKILL, signal.SIGTERM)}
    t.stop()
    for sig, c in kids.items():
        eq(c.signal(), sig, "the fixture died by the signal")
        r = only(records(t, c.pid), f"record for {sig.name}")
        check_record(r, c, cpu_split=False)
        eq(r["exit_code"], None, "exit_code is null when killed")
        eq(r["signal"], int(sig), "signal")
        eq(r["signal_name"], sig.name[3:], "signal_name")
        eq(r["core_dumped"], False, "core_dumped")


def _core_limit(limit):
    def f():
        resource.setrlimit(resource.RLIMIT_CORE, (limit, limit))
    return f


def test_segv_with_and_without_core():
    with open("/proc/sys/kernel/core_pattern") as f:
        pattern = f.read().strip()
    d = tempfile.mkdtemp(prefix="ps-exit-core-")
    try:
        with tracer() as t:
            nocore = Child([helper("exit_status"), "segv"], preexec_fn=_core_limit(0), cwd=d)
            core = Child([helper("exit_status"), "segv"],
                         preexec_fn=_core_limit(resource.RLIM_INFINITY), cwd=d)
        t.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    for c, dumped in ((nocore, False), (core, True)):
        eq(c.signal(), signal.SIGSEGV, "the fixture died by SIGSEGV")
        r = only(records(t, c.pid), "record for SIGSEGV")
        check_record(r, c, cpu_split=False)
        eq(r["signal"], 11, "signal")
        eq(r["exit_code"], None, "exit_code")
        if dumped and not c.core():
            raise Skip(f"the kernel wrote no core (core_pattern {pattern!r}); no-core case passed")
        eq(r["core_dumped"], dumped, "core_dumped")


def test_raise_abrt_and_usr1():
    with tracer() as t:
        kids = [Child([helper("exit_status"), "raise", str(int(s))], preexec_fn=_core_limit(0))
                for s in (signal.SIGABRT, signal.SIGUSR1)]
    t.stop()
    for c in kids:
        r = only(records(t, c.pid), "record")
        check_record(r, c, cpu_split=False)


# ---------------------------------------------------------------- threads

def test_nonleader_thread_calls_exit_group():
    with tracer() as t:
        c = Child([helper("exit_threads"), "nonleader-exit", "3"])
    t.stop()
    main, (worker,) = c.tids()
    eq(c.exit_code(), 3, "the parent saw 3")
    r = only(records(t, c.pid, scope=None), "record (no -T: exactly one, for the process)")
    # either thread may be the last one out of do_exit; both are this process's
    check(r["tid"] in (main, worker), f"tid {r['tid']} is one of the process's threads")
    check_record(r, c, comm="exit_threads", tid=r["tid"], cpu_split=False)


def test_main_thread_pthread_exit():
    with tracer() as t:
        grp = Child([helper("exit_threads"), "main-exit", "7"])
        raw = Child([helper("exit_threads"), "main-exit-raw", "5"])
    t.stop()
    for c in (grp, raw):
        main, (worker,) = c.tids()
        r = only(records(t, c.pid, scope=None), f"record for {c.argv[1:]}")
        # the main thread ended first (the worker joined it): the worker is last
        check_record(r, c, comm="exit_threads", tid=worker, cpu_split=False)
    eq(grp.exit_code(), 7, "exit_group from the worker")
    eq(records(t, grp.pid)[0]["exit_code"], 7, "exit_code after pthread_exit of main")


def test_threads_flag_reports_each_thread():
    with tracer("-T") as tt, tracer() as tp:
        c = Child([helper("exit_threads"), "threads", "3", "4"])
    tt.stop()
    tp.stop()
    main, workers = c.tids()
    eq(c.exit_code(), 4, "the parent saw 4")
    recs = records(tt, c.pid, scope=None)
    threads = [r for r in recs if r["scope"] == "thread"]
    eq(sorted(r["tid"] for r in threads), sorted(workers), "one thread record per worker")
    for r in threads:
        eq(r["exit_code"], 0, "a worker's own exit code")
        eq(r["signal"], 0, "signal")
        eq(r["comm"], "exit_threads", "comm (the process's)")
        eq(r["ppid"], os.getpid(), "ppid")
        check(r["duration_ns"] <= c.t1 - c.t0, "a thread's lifetime within the process's")
    p = only([r for r in recs if r["scope"] == "process"], "process record with -T")
    check_record(p, c, comm="exit_threads", tid=main, cpu_split=False)
    # the records come in the order the threads ended
    eq([r["tid"] for r in recs], workers + [main], "order of the -T records")
    # without -T: the process only
    check_record(only(records(tp, c.pid, scope=None), "record without -T"), c,
                 comm="exit_threads", tid=main, cpu_split=False)


# ---------------------------------------------------------------- CPU, lifetime, RSS

def test_cpu_burn_matches_rusage():
    with tracer() as t:
        one = Child([helper("exit_burn"), "300", "100"])
        joined = Child([helper("exit_burn"), "150", "30", "3"])
        spinning = Child([helper("exit_burn"), "150", "30", "3", "spin"])
    t.stop()
    r = only(records(t, one.pid), "single-thread burner")
    check_record(r, one, comm="exit_burn")
    # sanity of the fixture itself, so the comparison means something
    # (the user/sys split is tick-sampled, so only loosely 300:100)
    check(one.ru.ru_utime + one.ru.ru_stime >= 0.38 and one.ru.ru_utime >= 0.15
          and one.ru.ru_stime >= 0.03,
          f"fixture burned user {one.ru.ru_utime}s sys {one.ru.ru_stime}s")
    check(r["cpu_user_ns"] + r["cpu_sys_ns"] >= 380_000_000, f"CPU {r}")
    check(r["cpu_user_ns"] >= 150_000_000, f"user CPU {r['cpu_user_ns']}")
    check(r["cpu_sys_ns"] >= 30_000_000, f"sys CPU {r['cpu_sys_ns']}")
    # joined: 3 threads x 180 ms, the whole group's time, not one thread's;
    # spinning: main's 180 ms at least (siblings are killed wherever they are)
    for c, least in ((joined, 0.5), (spinning, 0.18)):
        r = only(records(t, c.pid), f"burner {c.argv[1:]}")
        check(c.ru.ru_utime + c.ru.ru_stime >= least, f"fixture burned {c.ru}")
        check_record(r, c, comm="exit_burn", tid=r["tid"])


def test_sleeper_lifetime_vs_cpu():
    with tracer() as t:
        c = Child([helper("exit_status"), "sleep", "300"])
    t.stop()
    r = only(records(t, c.pid), "sleeper")
    check_record(r, c, cpu_split=False)
    check(r["duration_ns"] >= 300_000_000, f"lived at least the 300 ms it slept: {r['duration_ns']}")
    check(r["cpu_user_ns"] + r["cpu_sys_ns"] < r["duration_ns"] // 10,
          f"a sleeper's CPU is far below its lifetime: {r}")


def test_short_lived_process():
    """A process of about a millisecond: lifetime and CPU still right (the
    CPU of its last slice is only accounted at its final switch-out)."""
    with tracer() as t:
        kids = [Child([helper("exit_status"), "code", "0"]) for _ in range(5)]
    t.stop()
    for c in kids:
        r = only(records(t, c.pid), "short-lived process")
        check_record(r, c, cpu_split=False)
        check(r["cpu_user_ns"] + r["cpu_sys_ns"] > 0, f"CPU of a 1 ms process is not 0: {r}")
        check(r["duration_ns"] > 0, "lifetime > 0")


def test_peak_rss():
    with tracer() as t:
        c = Child([helper("exit_status"), "rss", "64"])
    t.stop()
    r = only(records(t, c.pid), "RSS fixture")
    check_record(r, c, cpu_split=False)
    check(r["max_rss_kb"] >= 64 * 1024, f"peak RSS covers the 64 MiB touched: {r['max_rss_kb']}")


# ---------------------------------------------------------------- filters

def test_duration_filters():
    with tracer() as ta, tracer("--min-duration", "150ms") as tmin, \
            tracer("--max-duration", "0.15s") as tmax, \
            tracer("--min-duration", "100ms", "--max-duration", "10s") as tband:
        short = Child([helper("exit_status"), "code", "0"])
        long_ = Child([helper("exit_status"), "sleep", "300"])
    for t in (ta, tmin, tmax, tband):
        t.stop()
    for c in (short, long_):
        d = only(records(ta, c.pid), "unfiltered record")["duration_ns"]
        eq(len(records(tmin, c.pid)), int(d >= 150_000_000), f"--min-duration 150ms, lived {d}")
        eq(len(records(tmax, c.pid)), int(d <= 150_000_000), f"--max-duration 0.15s, lived {d}")
        eq(len(records(tband, c.pid)), int(100_000_000 <= d <= 10_000_000_000), f"band, lived {d}")
    # the sleeper lived >= 300 ms for sure
    eq(len(records(tmin, long_.pid)), 1, "the sleeper passes --min-duration")
    eq(len(records(tmax, long_.pid)), 0, "the sleeper is cut by --max-duration")


def test_failed_filter():
    def kill9(c):
        c.p.stdout.readline()
        os.kill(c.pid, signal.SIGKILL)

    with tracer("-x") as t:
        ok = Child([helper("exit_status"), "code", "0"])
        bad = Child([helper("exit_status"), "code", "2"])
        killed = Child([helper("exit_status"), "wait"], before_wait=kill9)
    t.stop()
    eq(records(t, ok.pid), [], "exit 0 is not a failure")
    eq(only(records(t, bad.pid), "exit 2")["exit_code"], 2, "exit 2 reported")
    eq(only(records(t, killed.pid), "killed")["signal"], 9, "killed reported")
    for r in t.events("exit"):
        check(r["exit_code"] != 0, f"-x let a success through: {r}")


def test_pid_filter():
    target = subprocess.Popen([helper("exit_status"), "wait"], stdout=subprocess.PIPE)
    try:
        eq(target.stdout.readline(), b"ready\n", "target ready")
        with tracer("-p", str(target.pid)) as t:
            other = Child([helper("exit_status"), "code", "1"])
            target.kill()
            target.wait()
        t.stop()
    finally:
        if target.poll() is None:
            target.kill()
            target.wait()
    eq(records(t, other.pid), [], "another process is filtered out")
    r = only(records(t, target.pid), "the -p process")
    eq(r["signal"], 9, "signal")
    eq([x["pid"] for x in t.events("exit")], [target.pid], "only the -p process at all")


def test_name_filter():
    with tracer("-n", "t_sta") as t:      # a substring of exit_status
        hit = Child([helper("exit_status"), "code", "0"])
        miss = Child([helper("exit_burn"), "0", "0"])
    t.stop()
    only(records(t, hit.pid), "matching comm")
    eq(records(t, miss.pid), [], "non-matching comm")
    for r in t.events("exit"):
        check("t_sta" in r["comm"], f"-n let another name through: {r['comm']}")


def test_cgroup_filter():
    with open("/proc/self/mounts") as f:
        roots = [ln.split()[1] for ln in f if ln.split()[2] == "cgroup2"]
    if not roots:
        raise Skip("no cgroup v2 hierarchy mounted")
    name = f"ps-exit-test-{os.getpid()}"
    cg = os.path.join(roots[0], name)
    os.mkdir(cg)
    try:
        def enter():
            with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                f.write("0")

        # an absolute path, and one relative to the cgroup2 mount
        with tracer("-c", cg) as t, tracer("-c", name) as trel:
            inside = Child([helper("exit_status"), "code", "6"], preexec_fn=enter)
            outside = Child([helper("exit_status"), "code", "6"])
        t.stop()
        trel.stop()
    finally:
        os.rmdir(cg)
    for tr in (t, trel):
        eq(only(records(tr, inside.pid), "process in the cgroup")["exit_code"], 6, "exit_code")
        eq(records(tr, outside.pid), [], "process outside the cgroup")
        for r in tr.events("exit"):
            eq(r["pid"], inside.pid, "only processes of the cgroup")


# ---------------------------------------------------------------- hooks, transports

def _basic(t, kids):
    for c in kids:
        r = only(records(t, c.pid, scope=None), f"record via {t.args}")
        tid = c.pid
        if c.argv[1] == "main-exit":
            tid = c.tids()[1][0]          # main ended first: the worker is last
        elif c.argv[1] == "nonleader-exit":
            check(r["tid"] in [c.tids()[0]] + c.tids()[1], f"tid {r['tid']} of the process")
            tid = r["tid"]
        check_record(r, c, comm=os.path.basename(c.argv[0]), tid=tid, cpu_split=False)


def _run_basic(args):
    with tracer(*args) as t:
        kids = [Child([helper("exit_status"), "code", "9"]),
                Child([helper("exit_threads"), "main-exit", "8"]),
                Child([helper("exit_threads"), "nonleader-exit", "12"])]
    t.stop()
    _basic(t, kids)
    return t


def test_transport_ringbuf():
    t = _run_basic(["--transport", "ringbuf"])
    eq(t.ready["transport"], "ringbuf", "ready.transport")


def test_transport_perf():
    t = _run_basic(["--transport", "perf"])
    eq(t.ready["transport"], "perf", "ready.transport")


def test_hook_raw_tp():
    t = _run_basic(["--hook", "exit-raw"])
    eq(t.ready["hooks"][0], "raw_tp/sched_process_exit", "ready.hooks")


def test_hook_classic_tracepoint():
    t = _run_basic(["--hook", "exit-tp"])
    eq(t.ready["hooks"][0], "tracepoint/sched/sched_process_exit", "ready.hooks")


def test_live_count_fallback():
    """Kernels before 6.16 do not say which thread is last: the signal->live
    count and the dedup map must still give exactly one record."""
    for hook in ("exit-btf", "exit-tp"):
        t = _run_basic(["--hook", hook, "--test-live-count"])
        eq(t.ready["last_thread"], "live-count", "ready.last_thread")


def test_ready_line():
    with tracer() as t:
        pass
    t.stop()
    r = t.ready
    eq(r["tool"], "exit", "tool")
    check(r["hooks"][0].endswith("sched_process_exit"), f"hooks {r['hooks']}")
    check(r["clock"] in ("boottime", "monotonic"), "clock")
    eq(r["cpu_final"], True, "CPU completed at the final switch-out on this kernel")
    eq(t.events("summary")[-1]["tool"], "exit", "summary line")


# ---------------------------------------------------------------- losses

def test_lost_records_are_reported():
    """Stop the reader, overflow the smallest buffer, resume: every exit is
    either delivered or counted as lost."""
    n = 3000
    with tracer("--buffer-size", "64K", "-n", "exit_storm") as t:
        t.proc.send_signal(signal.SIGSTOP)
        try:
            storm = run([helper("exit_storm"), str(n)], timeout=120)
        finally:
            t.proc.send_signal(signal.SIGCONT)
    t.stop()
    pids = [int(x) for x in storm.stdout.split()]
    eq(len(pids), n, "children forked")
    seen = {r["pid"] for r in t.events("exit")} & set(pids)
    lost = t.events("lost")
    summary = t.events("summary")[-1]
    check(lost, f"no lost record reported; saw {len(seen)} of {n}")
    eq(sum(x["count"] for x in lost), summary["lost"], "lost counts add up to the summary")
    eq(lost[-1]["total"], summary["lost"], "running total")
    check(len(seen) + summary["lost"] >= n, f"{len(seen)} seen + {summary['lost']} lost < {n}")
    check(len(seen) < n, "the buffer did overflow")


# ---------------------------------------------------------------- output

def test_table_output():
    d = tempfile.mkdtemp(prefix="ps-exit-core-")
    try:
        with Tracer(["exit", "-t"]) as t:
            ok = Child([helper("exit_status"), "code", "0"])
            one = Child([helper("exit_status"), "code", "1"])
            segv = Child([helper("exit_status"), "segv"],
                         preexec_fn=_core_limit(resource.RLIM_INFINITY), cwd=d)

            def kill9(c):
                c.p.stdout.readline()
                os.kill(c.pid, signal.SIGKILL)
            killed = Child([helper("exit_status"), "wait"], before_wait=kill9)
        t.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    eq(t.ready.split(), ["TIME(s)", "PCOMM", "PID", "PPID", "TID", "AGE(s)", "EXIT_CODE"], "header")
    rows = {}
    for ln in t.text():
        f = ln.split(None, 6)
        if len(f) == 7 and f[2].isdigit():
            rows[int(f[2])] = f
    want = {ok.pid: "0", one.pid: "1", killed.pid: "signal 9 (KILL)",
            segv.pid: "signal 11 (SEGV), core dumped" if segv.core() else "signal 11 (SEGV)"}
    for pid, exit_col in want.items():
        f = rows.get(pid)
        check(f, f"no table row for pid {pid}")
        float(f[0])
        eq(f[1], "exit_status", "PCOMM")
        eq(f[3], str(os.getpid()), "PPID")
        eq(f[4], str(pid), "TID")
        check(0 <= float(f[5]) < 60, f"AGE(s) {f[5]}")
        eq(f[6], exit_col, "EXIT_CODE")
    check(b"events," in t.stderr, f"summary on stderr: {t.stderr!r}")


def test_hostile_comm():
    name = b"\x1b]0;pwn\x07\xff\xfe\n"
    with tracer() as tj, Tracer(["exit"]) as tt:
        c = Child([helper("exit_status"), "name", name.hex(), "code", "0"])
    tj.stop()
    tt.stop()
    r = only(records(tj, c.pid), "record")
    eq(r["comm"].encode("utf-8", "surrogateescape"), name, "comm bytes round-trip through JSON")
    eq(r["thread_comm"].encode("utf-8", "surrogateescape"), name, "thread_comm")
    rows = [ln for ln in tt.lines if f" {c.pid} ".encode() in ln]
    check(rows, "table row present")
    for ln in tt.lines:
        check(not any(b < 0x20 or b == 0x7f for b in ln), f"raw control byte in table: {ln!r}")
    check(rows[0].startswith(b"\\e]0;pwn\\x07\\xff\\xfe\\n "),
          f"comm escaped in the table: {rows[0]!r}")


# ---------------------------------------------------------------- CLI

def test_link_name_and_help():
    with Tracer(["--json"], argv0="exitsnoop") as t:
        c = Child([helper("exit_status"), "code", "3"])
    t.stop()
    eq(t.ready["tool"], "exit", "exitsnoop link runs the exit tool")
    eq(only(records(t, c.pid), "record via the link")["exit_code"], 3, "exit_code")
    h = run([BIN, "exit", "--help"])
    eq(h.returncode, 0, "--help exit status")
    out = h.stdout.decode()
    for want in ("Examples:", "--min-duration", "--max-duration", "--failed", "--threads",
                 "--cgroup", "--name", "--pid", "--timestamp", "--json", "--transport"):
        check(want in out, f"--help mentions {want}")


def test_bad_options():
    cases = [
        (["--min-duration", "abc"], 2, "invalid --min-duration 'abc'"),
        (["--max-duration", "0"], 2, "--max-duration 0"),
        (["--min-duration", "2s", "--max-duration", "1s"], 2, "longer than --max-duration"),
        (["-p", "0"], 2, "invalid pid '0'"),
        (["-p", "12x"], 2, "invalid pid '12x'"),
        (["-n", "a" * 16], 2, "can never match"),
        (["-n", ""], 2, "non-empty NAME"),
        (["--hook", "kprobe"], 2, "unknown hook 'kprobe'"),
        (["--transport", "pipe"], 2, "invalid --transport 'pipe'"),
        (["--buffer-size", "1000"], 2, "invalid --buffer-size"),
        (["--bogus"], 2, "unknown option '--bogus'"),
        (["-p"], 2, "needs a value"),
        (["extra"], 2, "unexpected argument 'extra'"),
        (["-c", "/nonexistent/cgroup"], 1, "--cgroup:"),
    ]
    for args, rc, msg in cases:
        p = run([BIN, "exit", *args], timeout=30)
        err = p.stderr.decode()
        eq(p.returncode, rc, f"exit status for {args} (stderr {err!r})")
        check(msg in err, f"{args}: stderr {err!r} lacks {msg!r}")
        eq(p.stdout, b"", f"{args}: nothing on stdout")
        check(len(err.strip().splitlines()) <= 2, f"{args}: one clear line: {err!r}")


def test_not_root():
    if not hasattr(os, "setresuid"):
        raise Skip("no setresuid")
    p = run([BIN, "exit"], timeout=30, preexec_fn=lambda: os.setresuid(65534, 65534, 65534))
    eq(p.returncode, 1, "exit status without privileges")
    check(b"permission denied" in p.stderr, f"stderr: {p.stderr!r}")


def test_sigterm_and_closed_pipe():
    t = tracer()
    t.start()
    c = Child([helper("exit_status"), "code", "4"])
    t.stop(sig=signal.SIGTERM)
    eq(t.rc, 0, "SIGTERM: exit 0")
    only(records(t, c.pid), "record drained before exit")
    eq(t.events("summary")[-1]["type"], "summary", "summary last")
    # reader goes away: the tool exits 0 at its next write
    p = subprocess.Popen([BIN, "exit", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline()
    check(json.loads(line)["type"] == "ready", "ready line")
    p.stdout.close()
    deadline = time.monotonic() + 30
    while p.poll() is None and time.monotonic() < deadline:
        Child([helper("exit_status"), "code", "0"])   # something to write
    if p.poll() is None:
        p.kill()
        raise Failure("did not exit after its reader went away")
    eq(p.returncode, 0, "EPIPE: exit 0")
    eq(p.stderr.read(), b"", "nothing on stderr")
