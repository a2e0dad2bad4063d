# SPDX-License-Identifier: GPL-2.0
"""--metrics ADDR, end to end: the tools serve Prometheus text exposition, and
what they export equals a workload the test itself ran (its own execs and exits,
under a comm of its own, so that nothing else on the machine is counted: the
tools run with -n PREFIX). The scraped text passes `promtool check metrics`; a
real Prometheus scrapes the tools and its query API returns the workload's
counts; hostile HTTP clients get errors or are dropped while a storm is still
captured whole.
"""
import ctypes
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from lib import BUILD, BIN, Failure, Skip, Tracer, cgroup2_root, check, eq, free_port, helper, run

# tests/run.py skips this module inside test_fresh's chroot, saying why (CI time)
FRESH_INSIDE_SKIP = "the endpoint and a real Prometheus are not about the machine; the suite outside runs them"

ANY = "127.0.0.1:0"
RESULTS = os.path.join(BUILD, "metrics-prometheus-results.json")


def tracer(tool, *args, transport=None):
    a = [tool, "--json", "--metrics", ANY]
    if transport:
        a += ["--transport", transport]
    return Tracer(a + list(args))


def addr_of(t):
    a = t.ready.get("metrics")
    check(a and a.startswith("127.0.0.1:") and not a.endswith(":0"),
          f"ready line names the bound address: {t.ready}")
    return a


def get(addr, path="/metrics"):
    with urllib.request.urlopen(f"http://{addr}{path}", timeout=30) as r:
        eq(r.status, 200, "HTTP status")
        eq(r.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8",
           "Content-Type")
        return r.read().decode("utf-8")


def parse_labels(s):
    """name="v",... with \\\\ \\" \\n escapes, as the exposition format has them."""
    out, i = {}, 0
    while i < len(s):
        eqat = s.index("=", i)
        name = s[i:eqat]
        check(s[eqat + 1] == '"', f"label value quoted: {s!r}")
        i, v = eqat + 2, []
        while s[i] != '"':
            if s[i] == "\\":
                v.append({"\\": "\\", '"': '"', "n": "\n"}[s[i + 1]])
                i += 2
            else:
                v.append(s[i])
                i += 1
        out[name] = "".join(v)
        i += 1
        if i < len(s):
            check(s[i] == ",", f"labels separated by commas: {s!r}")
            i += 1
    return out


def parse(text):
    """[(name, {labels}, value)] of every sample; HELP/TYPE checked to come first."""
    samples, typed = [], {}
    for ln in text.split("\n"):
        if not ln:
            continue
        if ln.startswith("# TYPE "):
            _, _, name, typ = ln.split(" ", 3)
            typed[name] = typ
            continue
        if ln.startswith("#"):
            continue
        head, val = ln.rsplit(" ", 1)
        if "{" in head:
            name, lab = head.split("{", 1)
            check(lab.endswith("}"), f"labels end with }}: {ln!r}")
            labels = parse_labels(lab[:-1])
        else:
            name, labels = head, {}
        fam = name
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and name[:-len(suf)] in typed:
                fam = name[:-len(suf)]
        check(fam in typed, f"sample {name} comes after its # TYPE line")
        check(name.startswith("procsnoop_"), f"metric names are procsnoop_*: {name}")
        if typed[fam] == "counter":
            check(name.endswith("_total"), f"counter {name} ends in _total")
        samples.append((name, labels, float(val)))
    return samples


def value(samples, name, **labels):
    got = [v for n, lab, v in samples if n == name and all(lab.get(k) == x for k, x in labels.items())]
    check(len(got) == 1, f"exactly one sample {name}{labels}, got {len(got)}")
    return got[0]


def promtool(text):
    if not shutil.which("promtool"):
        raise Failure("promtool is not installed (scripts/deps.sh --test installs prometheus)")
    r = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    eq(r.returncode, 0, f"promtool check metrics: {r.stdout.decode()} {r.stderr.decode()}")


def check_no_loss(samples):
    for cause in ("buffer_full", "scratch_busy", "output"):
        eq(value(samples, "procsnoop_events_lost_total", cause=cause), 0,
           f"events lost ({cause})")
    for cause in ("buffer_full", "scratch_busy"):
        eq(value(samples, "procsnoop_records_lost_total", cause=cause), 0,
           f"records lost ({cause})")


def until(addr, pred, what, timeout=30):
    """Scrape until @pred(samples) holds: each scrape is a snapshot the run loop
    made after the request came, so this waits on the tool's own draining."""
    deadline = time.monotonic() + timeout
    while True:
        text = get(addr)
        s = parse(text)
        if pred(s):
            return text, s
        if time.monotonic() > deadline:
            raise Failure(f"{what}: not reached within {timeout}s; last scrape:\n"
                          + "\n".join(ln for ln in text.split("\n") if "_execs_" in ln or
                                      "processes_total" in ln)[:3000])
        time.sleep(0.1)  # poll interval only: the condition is what is waited on


class Workload:
    """Programs with comms of their own: PREFIX + "ok" (a copy of true) and
    PREFIX + "f" (a copy of exec_do, whose children fail to exec), run in a
    cgroup of their own: exec's -n filters in user space, -c in the kernel, so
    the machine's other execs never reach the buffer (no loss of theirs)."""

    def __init__(self):
        self.prefix = "pm" + secrets.token_hex(3)
        self.cg = os.path.join(cgroup2_root(), f"procsnoop-test-{self.prefix}")
        os.mkdir(self.cg)
        self.dir = tempfile.mkdtemp(prefix="ps-metrics-")
        os.chmod(self.dir, 0o755)
        self.ok = os.path.join(self.dir, self.prefix + "ok")
        self.f = os.path.join(self.dir, self.prefix + "f")
        shutil.copy2("/bin/true", self.ok)
        shutil.copy2(helper("exec_do"), self.f)

    def execs(self, n_ok, n_fail):
        """n_ok successful execs by comm PREFIXok; one exec of PREFIXf, whose
        n_fail children each fail one exec of a missing file."""
        for _ in range(n_ok):
            eq(subprocess.run([self.ok], preexec_fn=self.into).returncode, 0, "true")
        missing = os.path.join(self.dir, "missing", "nothere")
        subprocess.run([self.f, "burst", str(n_fail), missing, "nothere"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       preexec_fn=self.into)

    def storm(self, n):
        """n successful execs of PREFIXok, fork + exec one at a time."""
        subprocess.run([self.f, "burst", str(n), self.ok, "x"], stdout=subprocess.DEVNULL,
                       preexec_fn=self.into)

    def into(self):
        with open(os.path.join(self.cg, "cgroup.procs"), "w") as fp:
            fp.write("0")

    def filters(self):
        return ["-n", self.prefix, "-c", self.cg]

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        # the kernel may still count the exited children for a moment: retried
        for _ in range(200):
            try:
                os.rmdir(self.cg)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)


def exec_counts(t, wl):
    """What the tool printed, by (comm, ok)."""
    c = {}
    for r in t.events("exec"):
        k = (r["comm"], r["ret"] == 0)
        c[k] = c.get(k, 0) + 1
    return c


def run_exec_counts(transport):
    wl = Workload()
    n_ok, n_fail = 7, 5
    try:
        with tracer("exec", *wl.filters(), transport=transport) as t:
            addr = addr_of(t)
            # before any event: the families and the loss counters exist, at 0
            s0 = parse(get(addr))
            check_no_loss(s0)
            eq(value(s0, "procsnoop_execs_total", comm="other", result="ok"), 0, "other")
            wl.execs(n_ok, n_fail)
            want = {(wl.prefix + "ok", "ok"): n_ok, (wl.prefix + "f", "ok"): 1,
                    (wl.prefix + "f", "failed"): n_fail}

            def done(s):
                return all([v for n, lab, v in s if n == "procsnoop_execs_total" and
                            lab["comm"] == c and lab["result"] == r] == [float(x)]
                           for (c, r), x in want.items())
            text, s = until(addr, done, "execs by comm")
            promtool(text)
            t.stop()
        eq(t.rc, 0, "exit status")
        got = {(c, r): int(value(s, "procsnoop_execs_total", comm=c, result=r)) for c, r in want}
        eq(got, want, "procsnoop_execs_total by comm and result")
        # the same as the tool printed: one series per exec printed, nothing more
        printed = exec_counts(t, wl)
        eq({(c, "ok" if ok else "failed"): n for (c, ok), n in printed.items()}, want,
           "records printed")
        eq(value(s, "procsnoop_execs_total", comm="other", result="ok") +
           value(s, "procsnoop_execs_total", comm="other", result="failed"), 0,
           "nothing else counted (-n)")
        check_no_loss(s)
        check(value(s, "procsnoop_events_total", type="exec") >= n_ok + n_fail + 1,
              "events by type counts every exec delivered (before -n)")
        # the PATH-search folding's table: its bound, nothing pushed out
        eq(value(s, "procsnoop_table_capacity", table="exec_fold"), 64, "fold table bound")
        eq(value(s, "procsnoop_table_evictions_total", table="exec_fold"), 0, "fold evictions")
        check(value(s, "procsnoop_table_entries", table="exec_fold") <= 64, "fold entries")
        eq(value(s, "procsnoop_info", tool="exec", transport=transport,
                 version=t.ready["version"]), 1, "procsnoop_info")
        return s
    finally:
        wl.close()


def test_metrics_exec_counts_ringbuf():
    run_exec_counts("ringbuf")


def test_metrics_exec_counts_perf():
    run_exec_counts("perf")


def exit_families(s, recs, comm, want_procs, what):
    """procsnoop_processes_total, failed, CPU seconds and the lifetime histogram
    of @comm: what the tool printed for it (@recs: the comm's records, each
    with exit_code or status, cpu_user_ns, cpu_sys_ns, duration_ns)."""
    eq(len(recs), want_procs, f"{what}: {comm} records printed")
    eq(value(s, "procsnoop_processes_total", comm=comm), want_procs, f"{what}: {comm} processes")
    eq(value(s, "procsnoop_processes_failed_total", comm=comm),
       sum(1 for r in recs if r["failed"]), f"{what}: {comm} failed")
    for mode, key in (("user", "cpu_user_ns"), ("system", "cpu_sys_ns")):
        got = value(s, "procsnoop_process_cpu_seconds_total", comm=comm, mode=mode)
        eq(round(got * 1e9), sum(r[key] for r in recs), f"{what}: {comm} cpu seconds ({mode})")
    eq(value(s, "procsnoop_process_lifetime_seconds_count", comm=comm), want_procs,
       f"{what}: {comm} lifetime count")
    if all("duration_ns" in r for r in recs):
        eq(round(value(s, "procsnoop_process_lifetime_seconds_sum", comm=comm) * 1e9),
           sum(r["duration_ns"] for r in recs), f"{what}: {comm} lifetime sum")
    eq(value(s, "procsnoop_process_lifetime_seconds_bucket", comm=comm, le="+Inf"), want_procs,
       f"{what}: {comm} lifetime +Inf bucket")


def counted(s, name, want):
    """@want: {(labels as a tuple of pairs): value}; every one reached."""
    def one(lab, x):
        return [v for n, lb, v in s if n == name and all(lb.get(k) == y for k, y in lab)] == \
            [float(x)]
    return all(one(lab, x) for lab, x in want.items())


def run_trace_counts(transport):
    """trace: its execs (as exec counts them) and its lives' exits (as exit
    does), per comm, equal to the lives it printed; its process table."""
    wl = Workload()
    n_ok, n_fail = 5, 3
    try:
        with tracer("trace", *wl.filters(), transport=transport) as t:
            addr = addr_of(t)
            s0 = parse(get(addr))
            check_no_loss(s0)
            eq(value(s0, "procsnoop_execs_total", comm="other", result="ok"), 0, "other (execs)")
            eq(value(s0, "procsnoop_processes_total", comm="other"), 0, "other (processes)")
            wl.execs(n_ok, n_fail)
            ok, f = wl.prefix + "ok", wl.prefix + "f"
            execs = {(("comm", ok), ("result", "ok")): n_ok, (("comm", f), ("result", "ok")): 1,
                     (("comm", f), ("result", "failed")): n_fail}
            procs = {(("comm", ok),): n_ok, (("comm", f),): 1 + n_fail}
            text, s = until(addr, lambda s: counted(s, "procsnoop_execs_total", execs) and
                            counted(s, "procsnoop_processes_total", procs),
                            "trace: execs and processes by comm")
            promtool(text)
            t.stop()
        eq(t.rc, 0, "exit status")
        lives = t.events("process")
        for r in lives:
            r["failed"] = r.get("exit_code") != 0
        # the execs of the lives printed, by result (each life here runs one program:
        # its comm is its execs' comm)
        printed = {}
        for r in lives:
            for x in r["execs"]:
                k = (("comm", r["comm"]), ("result", "ok" if x["ret"] == 0 else "failed"))
                printed[k] = printed.get(k, 0) + 1
        eq(printed, execs, "execs printed")
        for (lab, x) in execs.items():
            eq(value(s, "procsnoop_execs_total", **dict(lab)), x, f"execs_total {lab}")
        exit_families(s, [r for r in lives if r["comm"] == ok], ok, n_ok, "trace")
        exit_families(s, [r for r in lives if r["comm"] == f], f, 1 + n_fail, "trace")
        eq(value(s, "procsnoop_processes_failed_total", comm=f), n_fail, "trace: exits 127")
        eq(value(s, "procsnoop_processes_total", comm="other") +
           value(s, "procsnoop_execs_total", comm="other", result="ok") +
           value(s, "procsnoop_execs_total", comm="other", result="failed"), 0,
           "nothing else counted (-c, -n)")
        check_no_loss(s)
        eq(value(s, "procsnoop_table_capacity", table="trace_lives"), 32768, "lives bound")
        eq(value(s, "procsnoop_table_evictions_total", table="trace_lives"), 0, "lives evicted")
        check(1 <= value(s, "procsnoop_table_entries", table="trace_lives") <= 32768,
              "lives held (the machine's, seeded)")
        eq(value(s, "procsnoop_info", tool="trace", transport=transport,
                 version=t.ready["version"]), 1, "procsnoop_info")
    finally:
        wl.close()


def test_metrics_trace_counts_ringbuf():
    run_trace_counts("ringbuf")


def test_metrics_trace_counts_perf():
    run_trace_counts("perf")


def test_metrics_top_counts():
    """top: each process that ended, by comm, equal to its summary's groups
    (--by comm); failed as exit counts it (not a clean exit 0); its group table."""
    wl = Workload()
    n_ok, n_fail = 5, 3
    try:
        with tracer("top", "--batch", "-c", wl.cg, "60") as t:
            addr = addr_of(t)
            check_no_loss(parse(get(addr)))
            wl.execs(n_ok, n_fail)
            ok, f = wl.prefix + "ok", wl.prefix + "f"
            procs = {(("comm", ok),): n_ok, (("comm", f),): 1 + n_fail}
            text, s = until(addr, lambda s: counted(s, "procsnoop_processes_total", procs),
                            "top: processes by comm")
            promtool(text)
            t.stop()
        eq(t.rc, 0, "exit status")
        summ = [r for r in t.events("top_summary")]
        eq(len(summ), 1, "one top_summary")
        groups = {g["key"]: g for g in summ[0]["groups"]}
        eq(sorted(groups), sorted([ok, f]), "top's groups: the workload's")
        for comm, n, failed in ((ok, n_ok, 0), (f, 1 + n_fail, n_fail)):
            g = groups[comm]
            eq(g["processes"], n, f"top printed {comm} processes")
            eq(value(s, "procsnoop_processes_total", comm=comm), n, f"{comm} processes")
            eq(value(s, "procsnoop_processes_failed_total", comm=comm), failed,
               f"{comm} failed (exit 127)")
            for mode, key in (("user", "cpu_user_ns"), ("system", "cpu_sys_ns")):
                got = value(s, "procsnoop_process_cpu_seconds_total", comm=comm, mode=mode)
                eq(round(got * 1e9), g[key], f"{comm} cpu seconds ({mode}), as top printed")
            eq(value(s, "procsnoop_process_lifetime_seconds_count", comm=comm), n,
               f"{comm} lifetime count")
            check(value(s, "procsnoop_process_lifetime_seconds_sum", comm=comm) * 1e9 <=
                  n * g["lifetime_max_ns"] + n, f"{comm} lifetime sum within n x max")
        eq(value(s, "procsnoop_processes_total", comm="other"), 0, "nothing else (-c)")
        check(not any(n.startswith("procsnoop_execs") for n, _, _ in s), "top: no execs family")
        check_no_loss(s)
        eq(value(s, "procsnoop_table_capacity", table="top_groups"), 2048, "groups bound")
        eq(value(s, "procsnoop_table_entries", table="top_groups"), 2, "groups held")
        eq(value(s, "procsnoop_table_evictions_total", table="top_groups"), 0, "groups folded")
        eq(value(s, "procsnoop_info", tool="top", version=t.ready["version"]), 1, "info")
    finally:
        wl.close()


LIBC = ctypes.CDLL(None, use_errno=True)


def set_comm(name):
    """prctl(PR_SET_NAME): in a forked child, nothing but this call (no loading)."""
    buf = ctypes.create_string_buffer(name[:15], 16)
    LIBC.prctl(15, buf, 0, 0, 0)


def fork_exit(name, code=0, sig=0):
    """A child that renames itself (raw bytes) and exits; reaped. Its status."""
    pid = os.fork()
    if pid == 0:
        try:
            set_comm(name)
            if sig:
                os.kill(os.getpid(), sig)
        finally:
            os._exit(code)
    _, st = os.waitpid(pid, 0)
    return st


def test_metrics_exit_counts_and_hostile_names():
    prefix = "pm" + secrets.token_hex(3)
    plain = prefix.encode() + b"x"
    # quote, backslash, newline, an invalid UTF-8 byte: escaped, replaced
    hostile = prefix.encode() + b'"\\\n\xff'
    hostile_label = prefix + '"\\\n\ufffd'
    with tracer("exit", "-n", prefix) as t:
        addr = addr_of(t)
        for _ in range(4):
            fork_exit(plain)
        fork_exit(plain, code=3)
        fork_exit(plain, sig=signal.SIGKILL)
        for _ in range(2):
            fork_exit(hostile)
        # one that lives more than a second: past the le="1" bucket
        pid = os.fork()
        if pid == 0:
            set_comm(plain)
            time.sleep(1.1)
            os._exit(0)
        os.waitpid(pid, 0)

        def done(s):
            return [v for n, lab, v in s if n == "procsnoop_processes_total" and
                    lab["comm"] in (plain.decode(), hostile_label)] in ([7.0, 2.0], [2.0, 7.0])
        text, s = until(addr, done, "processes by comm")
        promtool(text)
        t.stop()
    eq(t.rc, 0, "exit status")
    recs = [r for r in t.events("exit")]
    eq(len(recs), 9, "exit records printed")
    eq(value(s, "procsnoop_processes_total", comm=plain.decode()), 7, "processes (plain)")
    eq(value(s, "procsnoop_processes_total", comm=hostile_label), 2, "processes (hostile name)")
    eq(value(s, "procsnoop_processes_failed_total", comm=plain.decode()), 2,
       "failed: code 3 and SIGKILL")
    eq(value(s, "procsnoop_processes_failed_total", comm=hostile_label), 0, "failed (hostile)")
    eq(value(s, "procsnoop_processes_total", comm="other"), 0, "nothing else (-n)")
    # CPU and lifetime: exactly the sums of what the tool printed, per comm
    mine = [r for r in recs if r["comm"] == plain.decode()]
    eq(len(mine), 7, "plain records")
    for mode, key in (("user", "cpu_user_ns"), ("system", "cpu_sys_ns")):
        if key not in mine[0]:
            raise Failure(f"exit record has no {key}: {mine[0]}")
        want = sum(r[key] for r in mine)
        got = value(s, "procsnoop_process_cpu_seconds_total", comm=plain.decode(), mode=mode)
        eq(round(got * 1e9), want, f"cpu seconds ({mode}), as ns")
    life = [r["duration_ns"] for r in mine]
    eq(round(value(s, "procsnoop_process_lifetime_seconds_sum", comm=plain.decode()) * 1e9),
       sum(life), "lifetime sum")
    eq(value(s, "procsnoop_process_lifetime_seconds_count", comm=plain.decode()), 7,
       "lifetime count")
    check(max(life) > 1.1e9, f"the sleeper lived over 1.1 s: {life}")
    les = [lab["le"] for n, lab, v in s if n == "procsnoop_process_lifetime_seconds_bucket"
           and lab["comm"] == plain.decode()]
    eq(les[0], "0.0009765625", "first bucket 2^-10 s")
    eq(les[-2:], ["65536", "+Inf"], "last buckets 2^16 s, +Inf")
    for le in les:
        bound = float("inf") if le == "+Inf" else float(le)
        eq(value(s, "procsnoop_process_lifetime_seconds_bucket", comm=plain.decode(), le=le),
           sum(1 for x in life if x <= bound * 1e9), f"bucket le={le}")
    check_no_loss(s)


def test_metrics_cardinality_bounded():
    """300 random comms: at most 64 series of their own plus "other", and
    nothing lost from the sum."""
    prefix = "pm" + secrets.token_hex(3)
    n = 300
    with tracer("exit", "-n", prefix) as t:
        addr = addr_of(t)
        for i in range(n):
            fork_exit((prefix + secrets.token_hex(4)).encode())

        def total(s):
            return sum(v for name, lab, v in s if name == "procsnoop_processes_total")
        text, s = until(addr, lambda s: total(s) >= n, "all exits counted")
        promtool(text)
        t.stop()
    eq(total(s), n, "sum over comm, other included")
    comms = {lab["comm"] for name, lab, v in s if name == "procsnoop_processes_total"}
    eq(len(comms), 65, "64 comms of their own and other")
    check("other" in comms, "other exists")
    eq(value(s, "procsnoop_processes_total", comm="other"), n - 64, "the rest in other")
    eq(value(s, "procsnoop_groups", state="exported"), 64, "exported groups")
    check(value(s, "procsnoop_groups", state="candidate") <= 192, "candidates bounded")
    eq(len(t.events("exit")), n, "every exit still printed")


def test_metrics_usage_errors():
    cases = [
        ("9464", "expected ADDRESS:PORT"),
        (":9464", "no address"),
        ("::1:9464", "IPv6 address goes in brackets"),
        ("[::1]", "expected [IPv6]:PORT"),
        ("1.2.3:80", "is not an IPv4 address"),
        ("host.example:80", "is not an IPv4 address"),
        ("127.0.0.1:65536", "port must be a number"),
        ("127.0.0.1:x", "port must be a number"),
    ]
    for tool in ("exec", "exit", "probe", "bashreadline", "trace", "top"):
        h = run([BIN, tool, "--help"])
        check(b"--metrics ADDR" in h.stdout, f"{tool} --help lists --metrics")
        for arg, msg in cases:
            r = run([BIN, tool, "--metrics", arg] + (["u:libc:malloc"] if tool == "probe" else []))
            eq(r.returncode, 2, f"{tool} --metrics {arg}: exit status")
            check(msg.encode() in r.stderr and arg.encode() in r.stderr,
                  f"{tool} --metrics {arg}: says {msg!r}: {r.stderr!r}")
    r = run([BIN, "exec", "--metrics", "127.0.0.1:1", "--metrics", "127.0.0.1:2"])
    eq(r.returncode, 2, "--metrics twice")
    check(b"given twice" in r.stderr, r.stderr)
    r = run([BIN, "probe", "--list", "/bin/true", "--metrics", ANY])
    eq(r.returncode, 2, "probe --list --metrics")
    # a port in use: a runtime failure, said before tracing starts
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        r = run([BIN, "exec", "--metrics", f"127.0.0.1:{port}"])
        eq(r.returncode, 1, "port in use: exit status")
        check(b"cannot listen: Address already in use" in r.stderr, r.stderr)
    finally:
        s.close()


def test_metrics_every_tool():
    """probe and bashreadline serve the stats API too (no per-comm families)."""
    for tool, args in (("probe", ["ur:/bin/bash:readline:%s"]), ("bashreadline", [])):
        with tracer(tool, *args) as t:
            text = get(addr_of(t))
            promtool(text)
            s = parse(text)
            check_no_loss(s)
            eq(value(s, "procsnoop_info", version=t.ready["version"]), 1, f"{tool}: info")
            value(s, "procsnoop_events_total", type="probe")
            check(not any(n.startswith("procsnoop_execs") or n.startswith("procsnoop_process")
                          for n, _, _ in s), f"{tool}: no per-comm families")
            t.stop()
        eq(t.rc, 0, f"{tool}: exit status")
    # table mode says where, on stderr
    with Tracer(["exit", "--metrics", ANY, "-n", "pmnothing"], json_mode=False) as t:
        t.stop()
    check(b"exit: metrics on http://127.0.0.1:" in t.stderr, f"table mode: {t.stderr!r}")


def test_metrics_ipv6_loopback():
    if not socket.has_ipv6 or not os.path.exists("/proc/net/if_inet6"):
        raise Skip("no IPv6")
    with Tracer(["exit", "--json", "--metrics", "[::1]:0", "-n", "pmnothing"]) as t:
        a = t.ready.get("metrics", "")
        check(a.startswith("[::1]:"), f"bound on [::1]: {a}")
        s = parse(get(a))
        check_no_loss(s)


# ---- hostile clients ----

def raw(addr, data, timeout=30):
    host, port = addr.rsplit(":", 1)
    c = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        c.sendall(data)
        out = b""
        while True:
            try:
                b = c.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            out += b
        return out
    finally:
        c.close()


def status_of(resp):
    check(resp.startswith(b"HTTP/1.1 "), f"an HTTP response: {resp[:100]!r}")
    return int(resp.split(b" ", 2)[1])


def test_metrics_hostile_clients_change_nothing():
    wl = Workload()
    n = 800
    host_port = None
    held = []
    try:
        with tracer("exec", *wl.filters()) as t:
            addr = addr_of(t)
            host, port = addr.rsplit(":", 1)
            host_port = (host, int(port))
            # each malformed request gets its HTTP error
            eq(status_of(raw(addr, b"garbage\r\n\r\n")), 400, "malformed request line")
            eq(status_of(raw(addr, b"GET /metrics\r\n\r\n")), 400, "no HTTP version")
            eq(status_of(raw(addr, b"GET /metrics HTTP/1.1 x\r\n\r\n")), 400, "extra token")
            eq(status_of(raw(addr, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n")), 400,
               "binary (a TLS hello)")
            eq(status_of(raw(addr, b"POST /metrics HTTP/1.1\r\n\r\n")), 405, "POST")
            eq(status_of(raw(addr, b"GET /secret HTTP/1.1\r\n\r\n")), 404, "unknown path")
            eq(status_of(raw(addr, b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n")),
               431, "huge headers")
            r = raw(addr, b"HEAD /metrics HTTP/1.0\r\n\r\n")
            eq(status_of(r), 200, "HEAD")
            check(r.endswith(b"\r\n\r\n"), "HEAD: no body")

            # phase 1: a slow-loris (a request that never ends) during a storm:
            # it is answered 408 and closed
            loris = {}

            def slow(key):
                c = socket.create_connection(host_port, timeout=60)
                c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
                out = b""
                try:
                    while True:
                        b = c.recv(4096)
                        if not b:
                            break
                        out += b
                        c.sendall(b"X")
                except OSError:
                    pass
                loris[key] = out
                c.close()
            lt = threading.Thread(target=slow, args=(1,), daemon=True)
            lt.start()
            wl.storm(n)
            lt.join(60)
            check(not lt.is_alive(), "slow-loris client was answered and closed")
            eq(status_of(loris[1]), 408, "slow-loris gets 408")
            # phase 2: another slow-loris, then 200 connections at once, held
            # open, some sending garbage, during a second storm
            lt = threading.Thread(target=slow, args=(2,), daemon=True)
            lt.start()
            flood = []
            for i in range(200):
                c = socket.socket()
                c.setblocking(False)
                c.connect_ex(host_port)
                flood.append(c)
            held += flood
            for c in held[::10]:
                try:
                    c.send(b"\x00\xff garbage " * 10)
                except OSError:
                    pass
            # and scrapers that ask and never read the answer
            for i in range(4):
                c = socket.socket()
                c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
                c.connect(host_port)
                c.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
                held.append(c)
            wl.storm(n)
            # and a scrape still answers, while they hold
            text, s = until(addr, lambda s: value(s, "procsnoop_execs_total",
                                                  comm=wl.prefix + "ok", result="ok") >= 2 * n,
                            "storms counted while hostile clients hold connections", timeout=60)
            promtool(text)
            # the second slow-loris: dropped for the flood, or answered 408: closed
            lt.join(60)
            check(not lt.is_alive(), "second slow-loris closed by the server")
            # every flood connection is closed by the server: pushed out by a
            # newer one, or answered 408 when its 5 s are up (never left open)
            left = list(flood)
            deadline = time.monotonic() + 60
            while left and time.monotonic() < deadline:
                r, _, _ = select.select(left, [], [], 1)
                for c in r:
                    try:
                        b = c.recv(65536)
                    except OSError:
                        b = b""
                    if not b:
                        left.remove(c)
            eq(len(left), 0, "flood connections the server left open")
            s = parse(get(addr))
            t.stop()
        eq(t.rc, 0, "exit status")
        eq(value(s, "procsnoop_execs_total", comm=wl.prefix + "ok", result="ok"), 2 * n,
           "storm execs in the metrics")
        check_no_loss(s)
        mine = [r for r in t.events("exec") if r["comm"] == wl.prefix + "ok"]
        eq(len(mine), 2 * n, "storm execs printed: every one")
        check(value(s, "procsnoop_http_connections_dropped_total") +
              value(s, "procsnoop_http_responses_total", code="408") >= 200,
              "each flood connection was dropped or timed out")
        for code in (400, 404, 405, 408, 431):
            check(value(s, "procsnoop_http_responses_total", code=str(code)) >= 1,
                  f"responses {code} counted")
        summ = t.events("summary")
        eq(summ[-1]["lost"], 0, "summary: nothing lost")
    finally:
        for c in held:
            c.close()
        wl.close()


# ---- a real Prometheus ----

def prom_query(base, q):
    u = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(u, timeout=30) as r:
        j = json.loads(r.read())
    eq(j.get("status"), "success", f"query {q}")
    return j


def test_metrics_real_prometheus():
    exe = shutil.which("prometheus")
    if not exe:
        raise Failure("prometheus is not installed (scripts/deps.sh --test installs it)")
    wl = Workload()
    tmp = tempfile.mkdtemp(prefix="ps-prom-")
    prom = None
    n_ok, n_fail = 6, 4
    try:
        with tracer("exec", *wl.filters()) as te, tracer("exit", *wl.filters()) as tx, \
                tracer("trace", *wl.filters()) as tt:
            ae, ax, at = addr_of(te), addr_of(tx), addr_of(tt)
            port = free_port()
            cfg = os.path.join(tmp, "prometheus.yml")
            with open(cfg, "w") as f:
                f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                        "scrape_configs:\n"
                        f"  - job_name: procsnoop-exec\n    static_configs:\n"
                        f"      - targets: ['{ae}']\n"
                        f"  - job_name: procsnoop-exit\n    static_configs:\n"
                        f"      - targets: ['{ax}']\n"
                        f"  - job_name: procsnoop-trace\n    static_configs:\n"
                        f"      - targets: ['{at}']\n")
            log = open(os.path.join(tmp, "log"), "wb")
            prom = subprocess.Popen([exe, f"--config.file={cfg}",
                                     f"--storage.tsdb.path={tmp}/data",
                                     f"--web.listen-address=127.0.0.1:{port}"],
                                    stdout=log, stderr=log)
            base = f"http://127.0.0.1:{port}"
            wl.execs(n_ok, n_fail)
            # exec and trace count the execs; exit and trace the processes (the service
            # of docs/fleet.md runs trace)
            want_exec = {(j, c, r): n for j in ("procsnoop-exec", "procsnoop-trace")
                         for (c, r), n in (((wl.prefix + "ok", "ok"), n_ok),
                                           ((wl.prefix + "f", "ok"), 1),
                                           ((wl.prefix + "f", "failed"), n_fail))}
            # the exits: each true, the exec_do copy, its children (failed execs: 127)
            want_exit = {(j, c): n for j in ("procsnoop-exit", "procsnoop-trace")
                         for c, n in ((wl.prefix + "ok", n_ok), (wl.prefix + "f", 1 + n_fail))}
            qe = f'procsnoop_execs_total{{comm=~"{wl.prefix}.*"}}'
            qx = f'procsnoop_processes_total{{comm=~"{wl.prefix}.*"}}'
            ql = 'procsnoop_events_lost_total'
            deadline = time.monotonic() + 60
            got_e = got_x = None
            while time.monotonic() < deadline:
                if prom.poll() is not None:
                    raise Failure("prometheus exited: " + open(os.path.join(tmp, "log"),
                                                             errors="replace").read()[-2000:])
                try:
                    je, jx = prom_query(base, qe), prom_query(base, qx)
                except OSError:
                    continue  # not listening yet: its own startup
                # zeros too are series (result="failed" of a comm that never failed)
                got_e = {(r["metric"]["job"], r["metric"]["comm"], r["metric"]["result"]):
                         int(r["value"][1]) for r in je["data"]["result"] if r["value"][1] != "0"}
                got_x = {(r["metric"]["job"], r["metric"]["comm"]): int(r["value"][1])
                         for r in jx["data"]["result"] if r["value"][1] != "0"}
                if got_e == want_exec and got_x == want_exit:
                    break
                time.sleep(0.25)  # poll interval: the next scrape is up to 1 s away
            eq(got_e, want_exec, "Prometheus: procsnoop_execs_total by comm, result")
            eq(got_x, want_exit, "Prometheus: procsnoop_processes_total by comm")
            jl = prom_query(base, ql)
            lost = {(r["metric"]["job"], r["metric"]["cause"]): r["value"][1]
                    for r in jl["data"]["result"]}
            eq(lost, {(j, c): "0" for j in ("procsnoop-exec", "procsnoop-exit", "procsnoop-trace")
                      for c in ("buffer_full", "scratch_busy", "output")},
               "Prometheus: procsnoop_events_lost_total exists, 0")
            ju = prom_query(base, 'up{job=~"procsnoop-.*"}')
            eq(sorted(r["value"][1] for r in ju["data"]["result"]), ["1", "1", "1"], "up")
            with open(RESULTS, "w") as f:
                json.dump({"workload": {"prefix": wl.prefix, "execs_ok": n_ok,
                                        "execs_failed": n_fail},
                           qe: je, qx: jx, ql: jl, "up": ju}, f, indent=1)
            te.stop()
            tx.stop()
            tt.stop()
    finally:
        if prom:
            prom.terminate()
            try:
                prom.wait(30)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        wl.close()
