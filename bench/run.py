#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""procsnoop benchmark: tracers against storms of fork+execs, interleaved.

For each configuration and round, every tracer runs once against a storm of
N fork+execs (bench/storm.c); the untraced storm runs first and last in each
round and the round's figures are ratios to their mean, so machine drift
cancels out. The order of the traced runs rotates from round to round.
Completeness is counted exactly: every child has a unique marker in its argv
(exec tracers) or a known (pid, ppid) (exit tracers), written by the storm.

  bench/run.py --build BUILD [--out DIR] [--n N] [--rounds R]
               [--configs a,b] [--tracers a,b] [--smoke] [--no-install]

Environment: BENCH_N, BENCH_ROUNDS, BENCH_CONFIGS, BENCH_TRACERS,
BENCH_SETTLE_MS (extra wait before SIGINT once the tracer is idle after the
storm; default 0), BENCH_KEEP=1 (keep raw output).
Writes DIR/report.md and DIR/results.json (DIR defaults to BUILD/bench).
"""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

import bpfcost

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name: (workers, extra args, bytes per extra arg, share of N, description)
CONFIGS = {
    "short": (2, 0, 0, 1.0, "2 workers, short args"),
    "args30x200": (2, 30, 199, 1.0, "2 workers, 30 x 200-byte args"),
    "w8": (8, 0, 0, 1.0, "8 workers, short args"),
    # 50 strings of 2048 bytes with their NULs: 100 KiB of argv. Fewer
    # execs: each is 100 KiB of output for a full-argv tracer.
    "argv100k": (2, 50, 2047, 0.25, "2 workers, 100 KiB argv"),
    # issue 13's "100 KiB-argv storm with 8 workers": the output-path target
    "argv100k-w8": (8, 50, 2047, 0.25, "8 workers, 100 KiB argv"),
}

BPFTRACE_EXECSNOOP = r"""
tracepoint:syscalls:sys_enter_exec* { printf("%-6d ", pid); join(args->argv); }
"""


class Tracer:
    def __init__(self, name, argv, kind, fmt, note=""):
        self.name, self.argv, self.kind, self.fmt, self.note = name, argv, kind, fmt, note
        self.unavailable = None       # reason, once it failed to start


def make_tracers(build):
    ps = os.path.join(build, "procsnoop")
    return {
        "none": Tracer("none", None, None, None, "untraced baseline"),
        "ps-exec": Tracer("ps-exec", [ps, "exec", "--json"], "exec", "ps-json",
                          "procsnoop exec --json > file"),
        "ps-exit": Tracer("ps-exit", [ps, "exit", "--json"], "exit", "ps-json",
                          "procsnoop exit --json > file"),
        # aggregates per interval: events are processes counted, captured the
        # storm's children (grouped by their parent, the storm)
        "ps-top": Tracer("ps-top", [ps, "top", "--json", "--by", "parent"], "top", "ps-json",
                         "procsnoop top --json --by parent > file"),
        "ps-trace": Tracer("ps-trace", [ps, "trace", "--json"], "process", "ps-json",
                           "procsnoop trace --json > file"),
        "execsnoop": Tracer("execsnoop", ["/usr/sbin/execsnoop"], "exec", "text",
                            "libbpf-tools execsnoop > file"),
        "exitsnoop": Tracer("exitsnoop", ["/usr/sbin/exitsnoop"], "exit", "exitsnoop",
                            "libbpf-tools exitsnoop > file"),
        "bpftrace": Tracer("bpftrace", ["bpftrace", "-e", BPFTRACE_EXECSNOOP], "exec", "text",
                           "bpftrace execsnoop one-liner > file"),
    }


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ensure_tracefs():
    if os.path.isdir("/sys/kernel/tracing/events"):
        return
    subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---------------- output parsing ----------------

_parsed = {}


def ps_records(data):
    """JSON records of procsnoop output (parsed once per output)."""
    key = id(data)
    if key in _parsed and _parsed[key][0] is data:
        return _parsed[key][1]
    out = []
    for ln in data.split(b"\n"):
        if not ln.strip():
            continue
        try:
            out.append(json.loads(ln))
        except ValueError:
            out.append({"type": "_bad", "raw": ln[:200].decode("utf-8", "replace")})
    _parsed.clear()
    _parsed[key] = (data, out)
    return out


def exit_pairs(tracer, data):
    """(pid, ppid) of every exit event in the output (ppid None if not given)."""
    pairs = set()
    if tracer.fmt == "ps-json":
        for r in ps_records(data):
            if r.get("type") == "exit" and isinstance(r.get("pid"), int):
                pairs.add((r["pid"], r.get("ppid")))
        return pairs
    for ln in data.split(b"\n"):
        # exitsnoop: "%-16s %-7d %-7d %-7d ..." (comm, pid, ppid, tid)
        f = ln[17:].split()
        if len(ln) > 17 and len(f) >= 3 and f[0].isdigit() and f[1].isdigit():
            pairs.add((int(f[0]), int(f[1])))
    return pairs


def markers(prefix, data):
    return {int(m) for m in re.findall(re.escape(prefix.encode()) + rb"(\d+)(?!\d)", data)}


def top_processes(data, key=None):
    """Processes counted in top's interval records (of group @key only, if given)."""
    n = 0
    for r in ps_records(data):
        if r.get("type") != "top":
            continue
        if key is None:
            n += int(r.get("processes", 0))
        else:
            n += sum(int(g.get("processes", 0)) for g in r.get("groups", [])
                     if g.get("key") == key and not g.get("other"))
    return n


def count_events(tracer, data):
    if tracer.kind == "top":
        return top_processes(data)
    if tracer.fmt == "ps-json":
        return sum(1 for r in ps_records(data) if r.get("type") == tracer.kind)
    n = 0
    for ln in data.split(b"\n"):
        if not ln.strip() or ln.startswith(b"PCOMM") or ln.startswith(b"Attaching"):
            continue
        if re.match(rb"^(Lost|ERROR|WARNING)", ln):
            continue
        n += 1
    return n


def reported_lost(tracer, out, err):
    if tracer.fmt == "ps-json":
        lost = 0
        for r in ps_records(out):
            if r.get("type") == "summary":
                return int(r.get("lost", 0))
            if r.get("type") == "lost":
                lost = max(lost, int(r.get("total", 0)))
        return lost
    return sum(int(m) for m in re.findall(rb"[Ll]ost (\d+) events", out + b"\n" + err))


# ---------------- process measurements ----------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ns(pid):
    """CPU time of a live process so far: schedstat (ns) of its threads,
    or utime+stime ticks if threads that already exited hold more."""
    total = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()
        ticks = (int(st[11]) + int(st[12])) * 1_000_000_000 // CLK_TCK
        if ticks > total + 1_000_000_000 // CLK_TCK:
            total = ticks
    except (OSError, ValueError, IndexError):
        pass
    return total


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for ln in f:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tail(path, n=400):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace").strip()
    except OSError:
        return ""


class Bench:
    def __init__(self, a):
        self.a = a
        self.storm = os.path.join(a.build, "bench", "storm")
        self.raw = os.path.join(a.out, "raw")
        self.tracers = make_tracers(a.build)
        self.runs = []
        self.seq = 0
        self.ps_version = None

    # -------- one storm, no tracer involved --------
    def run_storm(self, n, cfg, prefix, truth):
        workers, nargs, arglen, _, _ = CONFIGS[cfg]
        p = subprocess.run([self.storm, "-n", str(n), "-P", str(workers), "-k", str(nargs),
                            "-l", str(arglen), "-m", prefix, "-t", truth],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            res = json.loads(p.stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise RuntimeError(f"storm failed (rc {p.returncode}): {p.stderr.decode()[-500:]}")
        with open(truth) as f:
            rows = [ln.split() for ln in f if ln.strip()]
        res["truth_pids"] = {int(r[1]) for r in rows if int(r[1]) > 0}
        res["truth_n"] = len(rows)
        return res

    # -------- readiness --------
    def wait_ready(self, tr, proc, t_spawn, out_path, tag):
        """Return ready time in ms, or raise RuntimeError with the reason."""
        deadline = time.monotonic() + 30
        if tr.fmt == "ps-json":
            # procsnoop prints and flushes its ready line after attach
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"exited with status {proc.returncode} before ready")
                with open(out_path, "rb") as f:
                    first = f.readline()
                if first.endswith(b"\n"):
                    t = time.monotonic_ns()
                    try:
                        obj = json.loads(first)
                    except ValueError:
                        raise RuntimeError(f"first line is not JSON: {first[:200]!r}")
                    if obj.get("type") != "ready":
                        raise RuntimeError(f"first line is not the ready line: {first[:200]!r}")
                    self.ps_version = obj.get("version")
                    return (t - t_spawn) / 1e6
                time.sleep(0.001)
            raise RuntimeError("no ready line within 30 s")
        # Peers print through stdio, fully buffered into a file: run canary
        # execs (big argv, so a few fill the buffer) until one shows up; the
        # first canary captured tells when the tracer started capturing.
        ctruth = os.path.join(self.raw, f"{tag}.canary")
        cprefix = f"RDY{tag}x"
        cp = subprocess.Popen([self.storm, "--canary", "-i", "2000", "-k", "20", "-l", "120",
                               "-m", cprefix, "-t", ctruth],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"exited with status {proc.returncode} before ready")
                with open(out_path, "rb") as f:
                    data = f.read()
                rows = []
                try:
                    with open(ctruth) as f:
                        rows = [ln.split() for ln in f if ln.endswith("\n")]
                except OSError:
                    pass
                if tr.kind in ("exec", "process"):
                    got = markers(cprefix, data)
                else:
                    pairs = exit_pairs(tr, data)
                    got = {int(r[0]) for r in rows if (int(r[1]), cp.pid) in pairs}
                if got:
                    k = min(got)
                    for r in rows:
                        if int(r[0]) == k:
                            return (int(r[2]) - t_spawn) / 1e6
                    return (time.monotonic_ns() - t_spawn) / 1e6
                time.sleep(0.005)
            raise RuntimeError("captured no canary exec within 30 s")
        finally:
            cp.send_signal(signal.SIGTERM)
            cp.wait()

    # -------- one run: tracer (or none) + storm --------
    @staticmethod
    def wait_idle(pid, interval=0.05, timeout=10.0):
        """CPU time of @pid once it stops working (< 2% busy over @interval)."""
        end = time.monotonic() + timeout
        last = cpu_ns(pid)
        while time.monotonic() < end:
            time.sleep(interval)
            now = cpu_ns(pid)
            if now - last < interval * 1e9 * 0.02:
                return now
            last = now
        return last

    def one_run(self, cfg, rnd, tname, n, drain=False):
        tr = self.tracers[tname]
        self.seq += 1
        tag = f"{cfg}r{rnd}{tname.replace('-', '')}{'d' if drain else ''}{self.seq}"
        prefix = f"BM{tag}-"
        truth = os.path.join(self.raw, f"{tag}.truth")
        run = {"config": cfg, "round": rnd, "tracer": tname, "n": n, "drain_test": drain}
        if tr.argv is None:
            s = self.run_storm(n, cfg, prefix, truth)
            run.update(self.storm_fields(s))
            run["captured"] = s["truth_n"] - s["failed"] if s["truth_n"] == n else 0
            run["captured_pct"] = 100.0 * run["captured"] / n
            self.cleanup(tag)
            return run
        out_path = os.path.join(self.raw, f"{tag}.out")
        err_path = os.path.join(self.raw, f"{tag}.err")
        with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
            t_spawn = time.monotonic_ns()
            proc = subprocess.Popen(tr.argv, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        try:
            run["ready_ms"] = self.wait_ready(tr, proc, t_spawn, out_path, tag)
        except RuntimeError as e:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            tr.unavailable = " ".join(f"{e}; stderr: {tail(err_path, 300)}".split())
            self.cleanup(tag, keep_out=self.a.keep)
            return None
        cpu0 = cpu_ns(proc.pid)
        if drain:
            # The drain test: events pile up in the buffer while the tracer
            # is stopped; SIGINT arrives before it may read any of them.
            os.kill(proc.pid, signal.SIGSTOP)
        s = self.run_storm(n, cfg, prefix, truth)
        if drain:
            os.kill(proc.pid, signal.SIGINT)
            os.kill(proc.pid, signal.SIGCONT)
            cpu1 = cpu_ns(proc.pid)
        else:
            # Let the tracer finish what is buffered, so its CPU time is
            # measured up to idle, without the teardown at exit.
            cpu1 = self.wait_idle(proc.pid)
            if self.a.settle_ms:
                time.sleep(self.a.settle_ms / 1000)
        # ru_maxrss is useless here: exec stores the forked (Python) mm's
        # high-water mark in it. VmHWM is the tracer's own mm.
        run["peak_rss_mib"] = vm_hwm_kib(proc.pid) / 1024
        t_int = time.monotonic()
        if not drain:
            proc.send_signal(signal.SIGINT)
        hung = False
        deadline = time.monotonic() + 60
        while True:
            pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                hung = True
                proc.kill()
                pid, st, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        proc.returncode = os.waitstatus_to_exitcode(st)
        run["stop_ms"] = (time.monotonic() - t_int) * 1000
        run["hung_on_sigint"] = hung
        run["exit_status"] = proc.returncode
        with open(out_path, "rb") as f:
            out = f.read()
        with open(err_path, "rb") as f:
            err = f.read()
        events = count_events(tr, out)
        run.update(self.storm_fields(s))
        cpu = cpu1 - cpu0
        run["drain_test"] = drain
        run["exit_cpu_ms"] = ((ru.ru_utime + ru.ru_stime) * 1e9 - cpu1) / 1e6
        run["events"] = events
        run["tracer_cpu_ms"] = cpu / 1e6
        run["tracer_cpu_us_per_event"] = cpu / 1e3 / events if events else None
        run["lost_reported"] = reported_lost(tr, out, err)
        if tr.kind in ("exec", "process"):
            got = markers(prefix, out)
            run["captured"] = len({i for i in got if i < n})
        elif tr.kind == "top":
            run["captured"] = min(n, top_processes(out, "storm"))
        else:
            pairs = exit_pairs(tr, out)
            spid = s["pid"]
            run["captured"] = sum(1 for p in s["truth_pids"]
                                  if (p, spid) in pairs or (p, None) in pairs)
        run["captured_pct"] = 100.0 * run["captured"] / n
        if tr.fmt == "ps-json" and tr.kind in ("exec", "process"):
            run["argv_complete_pct"] = self.argv_complete(out, prefix, cfg, n)
        self.cleanup(tag, keep_out=self.a.keep)
        return run

    def argv_complete(self, out, prefix, cfg, n):
        """% of the storm's execs whose whole argv was captured byte for byte."""
        _, nargs, arglen, _, _ = CONFIGS[cfg]
        want = ["".join(chr(ord("a") + (k + j) % 26) for j in range(arglen)) for k in range(nargs)]
        ok = set()
        for r in ps_records(out):
            # a trace record: the whole argv is in the exec that ran the final program
            src = r["execs"][-1] if r.get("type") == "process" and r.get("execs") else r
            a = src.get("args")
            if r.get("type") not in ("exec", "process") or not isinstance(a, list) or len(a) < 2:
                continue
            m = a[1]
            if not isinstance(m, str) or not m.startswith(prefix):
                continue
            if a[2:] == want and not src.get("args_truncated") and not r.get("incomplete"):
                try:
                    ok.add(int(m[len(prefix):]))
                except ValueError:
                    pass
        return 100.0 * len(ok) / n

    @staticmethod
    def storm_fields(s):
        return {k: s[k] for k in ("execs_per_s", "child_cpu_ns_per_exec", "self_cpu_ns_per_exec",
                                   "failed", "wall_ns")}

    def cleanup(self, tag, keep_out=False):
        for ext in (".truth", ".canary") + (() if keep_out else (".out", ".err")):
            try:
                os.unlink(os.path.join(self.raw, tag + ext))
            except OSError:
                pass

    def drain_runs(self, cfg, rnd, live, n):
        nd = min(n, 300)
        for t in live:
            if self.tracers[t].unavailable:
                continue
            log(f"bench: {cfg} round {rnd + 1}/{self.a.rounds}: {t} drain test (n={nd})")
            r = self.one_run(cfg, rnd, t, nd, drain=True)
            if r is not None:
                self.runs.append(r)

    # -------- the whole thing --------
    def run(self):
        os.makedirs(self.raw, exist_ok=True)
        names = [t for t in self.a.tracers if t != "none"]
        for t in names:
            tr = self.tracers[t]
            exe = tr.argv[0]
            if not (os.path.isabs(exe) and os.access(exe, os.X_OK)) and not shutil.which(exe):
                tr.unavailable = f"{exe} not installed"
        for cfg in self.a.configs:
            n = max(1, int(self.a.n * CONFIGS[cfg][3]))
            for rnd in range(self.a.rounds):
                live = [t for t in names if not self.tracers[t].unavailable]
                k = rnd % len(live) if live else 0
                order = ["none"] + live[k:] + live[:k] + ["none"]
                for t in order:
                    if self.tracers[t].unavailable:
                        continue
                    log(f"bench: {cfg} round {rnd + 1}/{self.a.rounds}: {t} (n={n})")
                    r = self.one_run(cfg, rnd, t, n)
                    if r is None:
                        log(f"bench: {t} unavailable: {self.tracers[t].unavailable}")
                        continue
                    self.runs.append(r)
                if cfg == self.a.configs[0]:
                    self.drain_runs(cfg, rnd, live, n)
        if not self.a.keep:
            shutil.rmtree(self.raw, ignore_errors=True)
        return self.summarize()

    def summarize(self):
        med = lambda xs: statistics.median(xs) if xs else None  # noqa: E731
        summary = {}
        for cfg in self.a.configs:
            base = {}
            runs = [r for r in self.runs if r["config"] == cfg and not r["drain_test"]]
            drains = [r for r in self.runs if r["config"] == cfg and r["drain_test"]]
            for r in runs:
                if r["tracer"] == "none":
                    base.setdefault(r["round"], []).append(r)
            rows = {}
            for t in self.a.tracers:
                rs = [r for r in runs if r["tracer"] == t]
                ds = [r["captured_pct"] for r in drains if r["tracer"] == t]
                if not rs:
                    rows[t] = {"unavailable": self.tracers[t].unavailable or "not run"}
                    continue
                eps_ratio, cpu_ratio = [], []
                for r in rs:
                    b = base.get(r["round"])
                    if not b:
                        continue
                    beps = statistics.mean(x["execs_per_s"] for x in b)
                    bcpu = statistics.mean(x["child_cpu_ns_per_exec"] for x in b)
                    eps_ratio.append(r["execs_per_s"] / beps)
                    cpu_ratio.append(r["child_cpu_ns_per_exec"] / bcpu)
                row = {
                    "runs": len(rs),
                    "execs_per_s": med([r["execs_per_s"] for r in rs]),
                    "execs_per_s_ratio": med(eps_ratio),
                    "storm_cpu_us_per_exec": med([r["child_cpu_ns_per_exec"] / 1e3 for r in rs]),
                    "storm_cpu_ratio": med(cpu_ratio),
                    "storm_cpu_ratio_all": cpu_ratio,
                    "captured_pct": med([r["captured_pct"] for r in rs]),
                    "captured_pct_min": min(r["captured_pct"] for r in rs),
                }
                if t != "none":
                    row.update({
                        "lost_reported": med([r["lost_reported"] for r in rs]),
                        "lost_reported_max": max(r["lost_reported"] for r in rs),
                        "tracer_cpu_us_per_event": med([r["tracer_cpu_us_per_event"] for r in rs
                                                        if r["tracer_cpu_us_per_event"]]),
                        "peak_rss_mib": med([r["peak_rss_mib"] for r in rs]),
                        "ready_ms": med([r["ready_ms"] for r in rs]),
                        "stop_ms": med([r["stop_ms"] for r in rs]),
                        "hung_on_sigint": any(r["hung_on_sigint"] for r in rs),
                        "exit_cpu_ms": med([r["exit_cpu_ms"] for r in rs]),
                        "drained_pct": med(ds),
                    })
                    if any("argv_complete_pct" in r for r in rs):
                        row["argv_complete_pct"] = med([r["argv_complete_pct"] for r in rs
                                                        if "argv_complete_pct" in r])
                rows[t] = row
            summary[cfg] = rows
        return summary


def environment():
    def cmd(*a):
        try:
            return subprocess.run(a, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=10).stdout.decode(errors="replace").strip()
        except (OSError, subprocess.TimeoutExpired):
            return None
    return {
        "kernel": platform.release(), "cpus": os.cpu_count(),
        "loadavg_at_end": open("/proc/loadavg").read().split()[:3],
        "procsnoop": cmd("git", "-C", ROOT, "describe", "--always", "--dirty"),
        "libbpf_tools": cmd("dpkg-query", "-W", "-f=${Version}", "libbpf-tools"),
        "bpftrace": cmd("dpkg-query", "-W", "-f=${Version}", "bpftrace"),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def fmt(v, spec):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return format(v, spec)


def markdown(a, summary, tracers, env):
    L = ["# procsnoop benchmark", "",
         f"{env['date']}, kernel {env['kernel']}, {env['cpus']} CPUs, procsnoop {env['procsnoop']},"
         f" libbpf-tools {env['libbpf_tools']}, bpftrace {env['bpftrace']}; load average at end"
         f" {' '.join(env['loadavg_at_end'])}.", "",
         f"N = {a.n} fork+execs of /bin/true per run (argv100k: N/4), {a.rounds} round(s),"
         " untraced storm first and last in each round, traced runs in rotating order; "
         "medians over rounds. Ratios are to the same round's untraced runs (1.00 = no cost).",
         "Storm CPU = the exec'd children's own CPU (RUSAGE_CHILDREN) per exec; tracer CPU"
         " = the tracer's CPU time from ready to idle after the storm / events it printed;"
         " RSS = VmHWM just before SIGINT;"
         " ready = spawn to ready line (procsnoop) or to the first captured canary exec (peers);"
         " the tracer is stopped with SIGINT once idle after the storm"
         + (f" (+{a.settle_ms} ms)" if a.settle_ms else "")
         + ". Drained at SIGINT = % of a 300-exec storm captured when the tracer was"
         " SIGSTOPped during the storm and got SIGINT before SIGCONT (everything sat in its"
         " buffer: a tracer that drains on exit shows 100).", ""]
    for cfg, rows in summary.items():
        L += [f"## {cfg}: {CONFIGS[cfg][4]}", "",
              "| tracer | execs/s | execs/s ratio | storm CPU us/exec | storm CPU ratio |"
              " captured % (min) | lost (tool) | tracer CPU us/event | peak RSS MiB | ready ms |"
              " full argv % | drained at SIGINT % |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for t, r in rows.items():
            if "unavailable" in r:
                L.append(f"| {t} | unavailable: {r['unavailable'][:120].replace('|', '/')}"
                         " | | | | | | | | | | |")
                continue
            L.append("| " + " | ".join([
                t, fmt(r["execs_per_s"], ".0f"), fmt(r["execs_per_s_ratio"], ".3f"),
                fmt(r["storm_cpu_us_per_exec"], ".0f"), fmt(r["storm_cpu_ratio"], ".3f"),
                f"{fmt(r['captured_pct'], '.2f')} ({fmt(r['captured_pct_min'], '.2f')})",
                fmt(r.get("lost_reported"), ".0f"), fmt(r.get("tracer_cpu_us_per_event"), ".1f"),
                fmt(r.get("peak_rss_mib"), ".1f"), fmt(r.get("ready_ms"), ".0f"),
                fmt(r.get("argv_complete_pct"), ".2f"), fmt(r.get("drained_pct"), ".1f")]) + " |")
        L.append("")
    notes = [f"- {t}: {tr.note}" + (f" — unavailable: {tr.unavailable}" if tr.unavailable else "")
             for t, tr in tracers.items() if t in a.tracers]
    L += ["Tracers:", ""] + notes + [""]
    return "\n".join(L)


def bpf_costs(a, tracers):
    """BPF run time per exec of each procsnoop tracer run (bpfcost.py): what
    its programs cost in the kernel, the part the storm ratios blur."""
    cost = {}
    for t in a.tracers:
        tr = tracers[t]
        if not t.startswith("ps-") or tr.unavailable or a.bpfcost_n <= 0:
            continue
        log(f"bench: BPF run time of {t} over {a.bpfcost_n} execs")
        try:
            cost[t] = bpfcost.measure(tr.argv, a.bpfcost_n)
        except (OSError, RuntimeError, subprocess.SubprocessError) as e:
            cost[t] = {"unavailable": str(e)}
    return cost


def cost_markdown(a, cost):
    if not cost:
        return ""
    L = ["## BPF run time per exec", "",
         f"The kernel's own accounting (BPF_ENABLE_STATS) over {a.bpfcost_n} sequential execs of"
         " /bin/true, per program (bench/bpfcost.py); the total leaves out programs that run at"
         " every syscall (" + ", ".join(bpfcost.PER_SYSCALL) + ").", "",
         "| tracer | BPF ns per exec | programs (ns per exec) |", "|---|---|---|"]
    for t, c in cost.items():
        if "unavailable" in c:
            L.append(f"| {t} | unavailable: {c['unavailable'][:120].replace('|', '/')} | |")
            continue
        progs = ", ".join(f"{p['name']} {p['ns_per_exec']:.0f}" for p in c["programs"])
        L.append(f"| {t} | {c['ns_per_exec']:.0f} | {progs} |")
    return "\n".join(L + [""]) + "\n"


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out")
    ap.add_argument("--n", type=int, default=int(env("BENCH_N", "0")) or None)
    ap.add_argument("--rounds", type=int, default=int(env("BENCH_ROUNDS", "0")) or None)
    ap.add_argument("--configs", default=env("BENCH_CONFIGS"))
    ap.add_argument("--tracers", default=env("BENCH_TRACERS"))
    ap.add_argument("--settle-ms", type=int, default=int(env("BENCH_SETTLE_MS", "0")))
    ap.add_argument("--keep", action="store_true", default=env("BENCH_KEEP") == "1")
    ap.add_argument("--bpfcost-n", type=int, default=int(env("BENCH_BPFCOST_N", "-1")),
                    help="execs for the BPF run-time measurement per tracer (0: skip)")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny N, 1 round, short args, procsnoop only")
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    a.out = os.path.abspath(a.out or os.path.join(a.build, "bench"))
    if a.smoke:
        a.n = a.n or 200
        a.rounds = a.rounds or 1
        a.configs = a.configs or "short"
        a.tracers = a.tracers or "none,ps-exec,ps-exit"
        a.bpfcost_n = 100 if a.bpfcost_n < 0 else a.bpfcost_n
    a.n = a.n or 6000
    a.bpfcost_n = 2000 if a.bpfcost_n < 0 else a.bpfcost_n
    a.rounds = a.rounds or 3
    a.configs = (a.configs or ",".join(CONFIGS)).split(",")
    a.tracers = (a.tracers or "none,ps-exec,ps-exit,ps-top,ps-trace,execsnoop,exitsnoop,bpftrace").split(",")
    if "none" not in a.tracers:
        a.tracers.insert(0, "none")
    for c in a.configs:
        if c not in CONFIGS:
            ap.error(f"unknown configuration '{c}' (known: {', '.join(CONFIGS)})")
    known = make_tracers(a.build)
    for t in a.tracers:
        if t not in known:
            ap.error(f"unknown tracer '{t}' (known: {', '.join(known)})")
    if a.n < 1 or a.rounds < 1:
        ap.error("N and rounds must be at least 1")
    if os.geteuid() != 0:
        print("bench: needs root (BPF tracers)", file=sys.stderr)
        return 1
    storm = os.path.join(a.build, "bench", "storm")
    if not os.access(storm, os.X_OK):
        print(f"bench: {storm} is not built (make -C bench OUT={a.build} storm)", file=sys.stderr)
        return 1
    ensure_tracefs()
    b = Bench(a)
    t0 = time.monotonic()
    summary = b.run()
    cost = bpf_costs(a, b.tracers)
    e = environment()
    e["procsnoop"] = b.ps_version or e["procsnoop"]
    e["build"] = a.build
    e["duration_s"] = round(time.monotonic() - t0, 1)
    md = markdown(a, summary, b.tracers, e) + cost_markdown(a, cost)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"environment": e, "params": {"n": a.n, "rounds": a.rounds,
                   "configs": a.configs, "tracers": a.tracers, "settle_ms": a.settle_ms},
                   "summary": summary, "bpf_cost": cost, "runs": b.runs}, f, indent=1)
    with open(os.path.join(a.out, "report.md"), "w") as f:
        f.write(md)
    print(md)
    log(f"bench: {e['duration_s']} s; wrote {a.out}/report.md and results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
