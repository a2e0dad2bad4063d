# SPDX-License-Identifier: GPL-2.0
"""The benchmark cannot rot: a tiny run of bench/run.py end to end, checked
for correctness only (complete capture, full argv, drain on SIGINT), never
for speed; and the storm generator's ground truth, checked against the
processes it really ran."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import BUILD, ROOT, Failure, Tracer, check, eq, run  # noqa: E402

# tests/run.py skips this module inside test_fresh's chroot, saying why (CI time)
FRESH_INSIDE_SKIP = "the benchmark is not about the machine it runs on; the suite outside runs it"

STORM = os.path.join(BUILD, "bench", "storm")


def build_storm():
    p = run(["make", "-s", "-C", os.path.join(ROOT, "bench"), f"OUT={BUILD}", "storm"],
            timeout=120)
    if p.returncode != 0:
        raise Failure(f"building the storm generator failed: {p.stderr.decode()[-1000:]}")


def test_storm_ground_truth():
    """Every child the storm reports ran once, with its marker and args."""
    build_storm()
    d = tempfile.mkdtemp(prefix="ps-storm-")
    try:
        truth = os.path.join(d, "truth")
        mark = f"SMK{os.getpid()}-"
        with Tracer(["exec", "--json"]) as t:
            p = run([STORM, "-n", "20", "-P", "3", "-k", "2", "-l", "5", "-m", mark, "-t", truth])
        eq(p.returncode, 0, f"storm exit status (stderr {p.stderr!r})")
        res = json.loads(p.stdout)
        eq((res["n"], res["workers"], res["failed"]), (20, 3, 0), "storm n, workers, failed")
        check(res["child_cpu_ns_per_exec"] > 0 and res["execs_per_s"] > 0,
              f"storm measurements missing: {res}")
        rows = [ln.split() for ln in open(truth)]
        eq(sorted(int(r[0]) for r in rows), list(range(20)), "truth indexes")
        check(all(int(r[1]) > 0 and r[2] == "0" for r in rows), f"truth rows: {rows[:3]}")
        by_pid = {e["pid"]: e for e in t.events("exec")
                  if len(e["args"]) > 1 and e["args"][1].startswith(mark)}
        eq(len(by_pid), 20, "storm children seen by procsnoop")
        for i, pid, _ in rows:
            e = by_pid.get(int(pid))
            check(e is not None, f"child {i} (pid {pid}) not traced")
            eq(e["args"], ["/bin/true", mark + i, "abcde", "bcdef"], f"child {i} argv")
            eq(e["ppid"], res["pid"], f"child {i} ppid")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_bench_smoke():
    """bench/run.py --smoke: report files, 100% capture untraced and by procsnoop exec."""
    build_storm()
    out = tempfile.mkdtemp(prefix="ps-bench-")
    try:
        p = run([sys.executable, os.path.join(ROOT, "bench", "run.py"), "--smoke",
                 "--build", BUILD, "--out", out, "--configs", "short,args30x200"], timeout=600)
        if p.returncode != 0:
            raise Failure(f"bench exit status {p.returncode}: {p.stderr.decode()[-2000:]}")
        md = open(os.path.join(out, "report.md")).read()
        res = json.load(open(os.path.join(out, "results.json")))
        for cfg in ("short", "args30x200"):
            check(f"## {cfg}:" in md and "| ps-exec | " in md, f"report.md lacks {cfg}: {md[:500]}")
            rows = res["summary"][cfg]
            for t in ("none", "ps-exec"):
                check("unavailable" not in rows[t], f"{cfg}/{t}: {rows[t]}")
                eq(rows[t]["captured_pct_min"], 100.0, f"{cfg}/{t}: % of storm execs captured")
            eq(rows["ps-exec"]["argv_complete_pct"], 100.0, f"{cfg}: % of execs with full argv")
            eq(rows["ps-exec"]["lost_reported"], 0, f"{cfg}: losses procsnoop reported")
        eq(res["summary"]["short"]["ps-exec"]["drained_pct"], 100.0,
           "% of buffered execs procsnoop printed after SIGINT")
        # the BPF run-time table (bench/bpfcost.py): every exec (every exit) of the
        # 100 ran the tool's programs, so one of them ran at least 100 times
        check("## BPF run time per exec" in md, f"report.md lacks the BPF run-time table: {md}")
        for t in ("ps-exec", "ps-exit"):
            c = res["bpf_cost"].get(t, {})
            check("unavailable" not in c and c.get("n") == 100 and c.get("ns_per_exec", 0) > 0,
                  f"{t}: BPF run time: {c}")
            check(max(p["runs"] for p in c["programs"]) >= 100,
                  f"{t}: no program ran once per exec: {c['programs']}")
            check(f"| {t} | {c['ns_per_exec']:.0f} | " in md, f"report.md lacks {t}'s BPF cost")
        runs = [r for r in res["runs"] if r["tracer"] == "ps-exec" and not r["drain_test"]]
        check(runs and all(r["events"] >= r["n"] for r in runs),
              f"ps-exec printed fewer events than the storm's execs: {runs}")
    finally:
        shutil.rmtree(out, ignore_errors=True)
