#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make soak: a storm at the machine's full rate for SOAK_SECONDS (default
600) with every procsnoop tracer running together (exec, exit, and trace and
top when the binary has them), each writing JSON with -o. Every 10 s: each
tracer's RSS and the entries of its BPF hash maps (bpftool map dump). At the
end: every line of every file must be valid JSON; captured execs against the
storm's ground truth; losses (kernel and user space). Prints a markdown table
(also in OUT/soak/report.md, raw samples in OUT/soak/results.json).

  make soak                      10 minutes
  make soak SOAK_SECONDS=60      a short run
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_S = 10


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return 0


def bpftool(*args):
    p = subprocess.run(["bpftool", "-j"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=60)
    return json.loads(p.stdout or b"null")


def map_entries(pids):
    """{pid: {map name: entries}} for the hash-type maps each tracer holds
    (its map fds: /proc/PID/fdinfo has map_id)."""
    out = {pid: {} for pid in pids}
    info = {m["id"]: m for m in bpftool("map", "show") or []}
    for pid in pids:
        fds = os.listdir(f"/proc/{pid}/fd")
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:bpf-map":
                    continue
                fdinfo = open(f"/proc/{pid}/fdinfo/{fd}").read()
            except OSError:
                continue
            mid = [int(ln.split()[1]) for ln in fdinfo.splitlines() if ln.startswith("map_id:")]
            m = info.get(mid[0]) if mid else None
            if not m or "hash" not in m.get("type", ""):
                continue
            n = len(bpftool("map", "dump", "id", str(m["id"])) or [])
            name = f"{m.get('name', m['id'])}/{m['max_entries']}"
            out[pid][name] = max(out[pid].get(name, 0), n)
    return out


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build"))
    seconds = int(os.environ.get("SOAK_SECONDS", "600"))
    out_dir = os.path.join(build, "soak")
    binary, storm = os.path.join(build, "procsnoop"), os.path.join(build, "bench", "storm")
    if os.geteuid() != 0:
        print("soak: needs root", file=sys.stderr)
        return 1
    helptext = subprocess.run([binary, "--help"], stdout=subprocess.PIPE).stdout.decode()
    tools = ["exec", "exit"] + [t for t in ("trace", "top") if f"\n  {t} " in helptext]
    work = tempfile.mkdtemp(prefix="ps-soak-")
    tracers = {}
    for t in tools:
        path = os.path.join(work, f"{t}.jsonl")
        err = open(os.path.join(work, f"{t}.err"), "wb")
        p = subprocess.Popen([binary, t, "--json", "-o", path], stdout=subprocess.DEVNULL,
                             stderr=err)
        tracers[t] = {"proc": p, "path": path, "err": err.name}
    for t, tr in tracers.items():
        deadline = time.monotonic() + 60
        while not (os.path.exists(tr["path"]) and b"\n" in open(tr["path"], "rb").read(65536)):
            if tr["proc"].poll() is not None or time.monotonic() > deadline:
                print(f"soak: {t} did not start: {open(tr['err']).read()[-500:]}", file=sys.stderr)
                return 1
            time.sleep(0.1)
    print(f"soak: {', '.join(tools)} ready; storm for {seconds} s", file=sys.stderr)
    samples, rounds, truth_n, execs_s = [], 0, 0, []
    t0 = time.monotonic()
    next_sample = t0
    storm_p = None
    while True:
        now = time.monotonic()
        if now >= next_sample:
            pids = [tr["proc"].pid for tr in tracers.values()]
            maps = map_entries(pids)
            samples.append({"t": round(now - t0), **{
                t: {"rss_kib": rss_kib(tr["proc"].pid), "maps": maps[tr["proc"].pid]}
                for t, tr in tracers.items()}})
            next_sample += SAMPLE_S
        if now - t0 >= seconds and storm_p is None:
            break
        if storm_p is None:
            # full rate: 4 workers of short execs; every 4th round 100 KiB argv
            big = rounds % 4 == 3
            truth = os.path.join(work, f"truth{rounds}")
            storm_p = subprocess.Popen(
                [storm, "-n", "300" if big else "2000", "-P", "4", "-k", "50" if big else "4",
                 "-l", "2047" if big else "100", "-m", f"SK{rounds}-", "-t", truth],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        elif storm_p.poll() is not None:
            res = storm_p.stdout.read().decode().strip().splitlines()
            if res:
                execs_s.append(json.loads(res[-1])["execs_per_s"])
            truth_n += sum(1 for _ in open(os.path.join(work, f"truth{rounds}")))
            rounds += 1
            storm_p = None
            continue
        time.sleep(0.2)
    for tr in tracers.values():
        tr["proc"].send_signal(signal.SIGINT)
    for t, tr in tracers.items():
        tr["rc"] = tr["proc"].wait(timeout=120)
    results = {"seconds": seconds, "rounds": rounds, "storm_execs": truth_n,
               "storm_execs_per_s_median": sorted(execs_s)[len(execs_s) // 2] if execs_s else 0,
               "tools": {}, "samples": samples}
    for t, tr in tracers.items():
        lines = invalid = 0
        summary, markers = None, set()
        with open(tr["path"], "rb") as f:
            for ln in f:
                lines += 1
                try:
                    r = json.loads(ln)
                except ValueError:
                    invalid += 1
                    continue
                if r.get("type") == "summary":
                    summary = r
                elif t == "exec" and r.get("type") == "exec":
                    a = r.get("args", [])
                    if len(a) > 1 and a[1].startswith("SK"):
                        markers.add(a[1])
        st = (summary or {}).get("stats", {})
        rss = [s[t]["rss_kib"] for s in samples]
        maps = {}
        for s in samples:
            for name, n in s[t]["maps"].items():
                maps[name] = max(maps.get(name, 0), n)
        results["tools"][t] = {
            "rc": tr["rc"], "lines": lines, "invalid_lines": invalid, "events": st.get("events"),
            "records_lost": st.get("records_lost"), "events_lost": st.get("events_lost"),
            "output_dropped": st.get("output_dropped"), "output_lost": st.get("output_lost"),
            "rss_kib_start": rss[1] if len(rss) > 1 else rss[0], "rss_kib_end": rss[-1],
            "rss_kib_max": max(rss), "map_entries_max": maps,
            "storm_captured": len(markers) if t == "exec" else None,
            "stderr": open(tr["err"]).read()[-300:]}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    md = [f"soak: {seconds} s, {rounds} storm rounds, {truth_n} storm execs "
          f"(median {results['storm_execs_per_s_median']} execs/s), tracers together: "
          f"{', '.join(tools)}; RSS start = first sample after 10 s of warm-up", "",
          "| tool | RSS KiB start / end / max | BPF hash map entries (max) | events | lines "
          "| invalid lines | records lost | events lost | output dropped | storm execs captured | exit |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for t, r in results["tools"].items():
        maps = ", ".join(f"{k} {v}" for k, v in sorted(r["map_entries_max"].items())) or "-"
        cap = f"{r['storm_captured']} / {truth_n}" if t == "exec" else "-"
        md.append(f"| {t} | {r['rss_kib_start']} / {r['rss_kib_end']} / {r['rss_kib_max']} | {maps} "
                  f"| {r['events']} | {r['lines']} | {r['invalid_lines']} | {r['records_lost']} "
                  f"| {r['events_lost']} | {r['output_dropped']} | {cap} | {r['rc']} |")
    text = "\n".join(md) + "\n"
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write(text)
    print(text)
    shutil.rmtree(work, ignore_errors=True)
    bad = any(r["invalid_lines"] or r["rc"] for r in results["tools"].values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
