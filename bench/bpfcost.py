#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""BPF run time per exec of a procsnoop tool, per program, from the kernel's
own accounting (BPF_ENABLE_STATS, held by an fd for the run so a concurrent
`sysctl kernel.bpf_stats_enabled=0` cannot switch it off).

  python3 bench/bpfcost.py [BINARY] [N]     (root; default build/procsnoop, 2000)
  ARGS='--no-compat' python3 bench/bpfcost.py
  TOOL=exit python3 bench/bpfcost.py        (exec by default)
  TOOL=exec+exit python3 bench/bpfcost.py   (both at once: what trace replaces; no -P)
  TOOL=trace python3 bench/bpfcost.py       (the whole machine, like exec+exit)

`make bench` runs the same measurement (measure()) for every procsnoop tracer
it runs and puts it in its report.

Only the tracer's own programs are counted (found through its fds). Tools
that take -P trace only this script's children, so other execs on the machine
do not mix into their output; the programs still run for every exec of the
machine, so the figure is per exec of the machine during the run, which is
this script's N execs plus whatever else ran (little on a quiet machine).
compat_sys_exit runs at every syscall of the machine: shown, but left out of
the per-exec total."""
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NR_BPF, BPF_ENABLE_STATS, BPF_STATS_RUN_TIME = 321, 32, 0
PER_SYSCALL = ("compat_sys_exit",)   # runs at every syscall, not per exec
TAKES_P = ("exec",)   # tools with -P PPID (only its children)


def progs():
    out = subprocess.check_output(["bpftool", "prog", "show", "-j"])
    return {p["id"]: p for p in json.loads(out)}


def enable_stats():
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint8 * 128)()
    attr[0] = BPF_STATS_RUN_TIME
    fd = libc.syscall(NR_BPF, BPF_ENABLE_STATS, attr, 4)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "BPF_ENABLE_STATS: "
                      + os.strerror(ctypes.get_errno()))
    return fd


def cpu_ns(pid):
    """CPU of a process so far: the scheduler's ns of each of its threads."""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def measure(argv, n):
    """Run the tracer argv ([binary, tool, options...]), do n execs of
    /bin/true, return {"n", "programs": [{name, runs, ns_per_run,
    ns_per_exec}], "ns_per_exec", "cpu_ns_per_exec"} (the total leaves
    PER_SYSCALL out; cpu: the tracer process's own)."""
    return measure_all([argv], n)


def measure_all(argvs, n):
    """measure() of several tracers running at once (exec and exit: what
    trace replaces), their programs and CPU summed."""
    fd = enable_stats()
    ts = []
    try:
        for argv in argvs:
            extra = ["-P", str(os.getpid())] if argv[1] in TAKES_P and len(argvs) == 1 else []
            # into a file: a pipe nobody reads would stall the tracer (and its CPU)
            out = tempfile.TemporaryFile()
            t = subprocess.Popen(argv + extra, stdout=out, stderr=subprocess.DEVNULL)
            t.out = out
            ts.append(t)
            while os.pread(out.fileno(), 1 << 16, 0).find(b"\n") < 0:  # the ready line
                if t.poll() is not None:
                    raise RuntimeError(f"{' '.join(argv)}: exited before its ready line")
                time.sleep(0.01)
        mine = set()
        for t in ts:
            for f in os.listdir(f"/proc/{t.pid}/fdinfo"):
                try:
                    with open(f"/proc/{t.pid}/fdinfo/{f}") as fi:
                        for ln in fi:
                            if ln.startswith("prog_id:"):
                                mine.add(int(ln.split()[1]))
                except OSError:
                    pass
        s0 = {i: p for i, p in progs().items() if i in mine}
        c0 = sum(cpu_ns(t.pid) for t in ts)
        for _ in range(n):
            subprocess.run(["/bin/true"])
        s1 = progs()
        c1 = sum(cpu_ns(t.pid) for t in ts)
    finally:
        for t in ts:
            t.send_signal(2)
            t.wait()
            t.out.close()
        os.close(fd)
    res = {"n": n, "programs": [], "ns_per_exec": 0.0, "cpu_ns_per_exec": (c1 - c0) / n}
    for i, p in sorted(s0.items()):
        q = s1.get(i, p)
        dt = q.get("run_time_ns", 0) - p.get("run_time_ns", 0)
        dc = q.get("run_cnt", 0) - p.get("run_cnt", 0)
        if dc == 0:
            continue
        res["programs"].append({"name": p["name"], "runs": dc, "ns_per_run": dt / dc,
                                "ns_per_exec": dt / n})
        if p["name"] not in PER_SYSCALL:
            res["ns_per_exec"] += dt / n
    return res


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "procsnoop")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    tools = os.environ.get("TOOL", "exec").split("+")
    try:
        r = measure_all([[binary, t, "--json", *os.environ.get("ARGS", "").split()]
                         for t in tools], n)
    except (OSError, RuntimeError) as e:
        sys.exit(f"bpfcost: {e}")
    for p in r["programs"]:
        print(f"{p['name']:24s} runs {p['runs']:8d} {p['ns_per_run']:8.0f} ns/run "
              f"{p['ns_per_exec']:8.0f} ns/exec")
    print(f"BPF run time per exec (without {', '.join(PER_SYSCALL)}): {r['ns_per_exec']:.0f} ns")
    print(f"tracer CPU per exec (its own process): {r['cpu_ns_per_exec']:.0f} ns")


if __name__ == "__main__":
    main()
