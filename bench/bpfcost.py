#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""BPF run time per exec of `procsnoop exec`, per program, from the kernel's
own accounting (BPF_ENABLE_STATS, held by an fd for the run so a concurrent
`sysctl kernel.bpf_stats_enabled=0` cannot switch it off).

  python3 bench/bpfcost.py [BINARY] [N]     (root; default build/procsnoop, 2000)
  ARGS='--no-compat' python3 bench/bpfcost.py

Only the tracer's own programs are counted (found through its fds), and it
traces only this script's children (-P), so other execs on the machine do
not mix in. compat_sys_exit runs at every syscall of the machine: shown, but
left out of the per-exec total."""
import ctypes
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "procsnoop")
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
ARGS = os.environ.get("ARGS", "").split()
NR_BPF, BPF_ENABLE_STATS, BPF_STATS_RUN_TIME = 321, 32, 0


def progs():
    out = subprocess.check_output(["bpftool", "prog", "show", "-j"])
    return {p["id"]: p for p in json.loads(out)}


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint8 * 128)()
    attr[0] = BPF_STATS_RUN_TIME
    fd = libc.syscall(NR_BPF, BPF_ENABLE_STATS, attr, 4)
    if fd < 0:
        sys.exit(f"bpfcost: BPF_ENABLE_STATS: {os.strerror(ctypes.get_errno())}")
    t = subprocess.Popen([BIN, "exec", "--json", "-P", str(os.getpid()), *ARGS],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    t.stdout.readline()  # the ready line: every program is attached
    mine = set()
    for f in os.listdir(f"/proc/{t.pid}/fdinfo"):
        try:
            with open(f"/proc/{t.pid}/fdinfo/{f}") as fi:
                for ln in fi:
                    if ln.startswith("prog_id:"):
                        mine.add(int(ln.split()[1]))
        except OSError:
            pass
    s0 = {i: p for i, p in progs().items() if i in mine}
    for _ in range(N):
        subprocess.run(["/bin/true"])
    s1 = progs()
    t.send_signal(2)
    t.stdout.read()
    t.wait()
    total = 0
    for i, p in sorted(s0.items()):
        q = s1[i]
        dt = q.get("run_time_ns", 0) - p.get("run_time_ns", 0)
        dc = q.get("run_cnt", 0) - p.get("run_cnt", 0)
        if dc == 0:
            continue
        print(f"{p['name']:24s} runs {dc:8d} {dt / dc:8.0f} ns/run {dt / N:8.0f} ns/exec")
        if p["name"] != "compat_sys_exit":
            total += dt
    print(f"BPF run time per exec (without compat_sys_exit): {total / N:.0f} ns")


if __name__ == "__main__":
    main()
