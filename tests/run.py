#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run all tests: C unit tests (build/tests/unit_*), then end-to-end tests
(tests/e2e/test_*.py, every function named test_*). Ends with the line
'N passed, N failed, N skipped'. Exit 1 if anything failed, or if end-to-end
tests were selected without root (they need it: skipped, and said so).

  python3 tests/run.py [PATTERN...]   run tests whose name contains a PATTERN

A test running longer than PS_TEST_TIMEOUT seconds (default 300) fails with its
name; a module may allow more with TIMEOUT = SECONDS, a function with a
`timeout` attribute.
"""
import glob
import importlib.util
import os
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lib  # noqa: E402

passed = failed = skipped = 0
failures = []
need_root = 0
costs = {}   # module (or unit binary): wall seconds, for the cost table at the end
TIMEOUT = float(os.environ.get("PS_TEST_TIMEOUT", "300"))


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def selected(name, pats):
    return not pats or any(p in name for p in pats)


def report(name, status, detail="", dt=0.0):
    global passed, failed, skipped
    # make SAN=1: a sanitizer report (ASan, UBSan, a leak at exit) fails the test
    # that produced it, whatever it asserted
    san = lib.san_reports()
    if san and status != "fail":
        status, detail = "fail", ""
    if san:
        detail = (detail + "\n" if detail else "") + "sanitizer report:\n" + "\n".join(san)
    if status == "ok":
        passed += 1
    elif status == "skip":
        skipped += 1
    else:
        failed += 1
        failures.append((name, detail))
    extra = f" ({detail})" if status == "skip" and detail else ""
    print(f"{status.upper():4} {name} [{dt:.2f}s]{extra}", flush=True)
    if status == "fail":
        print("     " + detail.replace("\n", "\n     "), flush=True)


def run_unit(pats):
    for exe in sorted(glob.glob(os.path.join(lib.HELPERS, "unit_*"))):
        base = os.path.basename(exe)
        # the compiler's dependency files (unit_x.d) sit next to the binaries
        if not selected(base, pats) or "." in base or not os.access(exe, os.X_OK):
            continue
        t0 = time.monotonic()
        try:
            p = subprocess.run([exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=min(TIMEOUT, 120))
        except subprocess.TimeoutExpired as e:
            report(base, "fail", f"timed out after {e.timeout:.0f} s", time.monotonic() - t0)
            continue
        dt = time.monotonic() - t0
        costs["unit"] = costs.get("unit", 0.0) + dt
        seen = 0
        for ln in p.stdout.decode("utf-8", "replace").splitlines():
            if ln.startswith("ok "):
                report(f"{base}:{ln[3:]}", "ok", dt=dt)
                seen += 1
            elif ln.startswith("FAIL "):
                name, _, msg = ln[5:].partition(": ")
                report(f"{base}:{name}", "fail", msg, dt)
                seen += 1
        if p.returncode != 0 and not any(n.startswith(base) for n, _ in failures):
            report(base, "fail", f"exit status {p.returncode}")
        elif seen == 0:
            report(base, "fail", "printed no results")


def run_e2e(pats):
    global need_root
    signal.signal(signal.SIGALRM, _alarm)
    for path in sorted(glob.glob(os.path.join(HERE, "e2e", "test_*.py"))):
        modname = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(modname, path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:
            report(modname, "fail", traceback.format_exc())
            continue
        for fname in [f for f in dir(mod) if f.startswith("test_")]:
            name = f"{modname}:{fname}"
            if not selected(name, pats):
                continue
            costs.setdefault(modname, 0.0)
            # inside test_fresh's chroot, parts that test nothing about a fresh
            # machine and that the run outside it does in full (CI time)
            why = getattr(mod, "FRESH_INSIDE_SKIP", None)
            if why and os.environ.get("PS_FRESH_INSIDE"):
                report(name, "skip", f"inside the fresh-machine test: {why}")
                continue
            if os.geteuid() != 0:
                report(name, "skip", "not root")
                need_root += 1
                continue
            fn = getattr(mod, fname)
            limit = getattr(fn, "timeout", getattr(mod, "TIMEOUT", TIMEOUT))
            t0 = time.monotonic()
            try:
                signal.setitimer(signal.ITIMER_REAL, limit)
                try:
                    fn()
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                report(name, "ok", dt=time.monotonic() - t0)
            except lib.Skip as e:
                report(name, "skip", str(e), time.monotonic() - t0)
            except Timeout:
                report(name, "fail", f"timed out after {limit:.0f} s (PS_TEST_TIMEOUT)\n" +
                       traceback.format_exc(), time.monotonic() - t0)
            except Exception as e:
                detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
                report(name, "fail", detail, time.monotonic() - t0)
            costs[modname] += time.monotonic() - t0


def main():
    pats = sys.argv[1:]
    t0 = time.monotonic()
    run_unit(pats)
    run_e2e(pats)
    if failures:
        print("\nFailed:")
        for n, _ in failures:
            print("  " + n)
    if need_root:
        print(f"\nerror: the end-to-end tests need root: {need_root} not run "
              "(run as root, e.g. sudo make check)", flush=True)
    if costs:
        print("\ntime per part (s): " + ", ".join(
            f"{m.removeprefix('test_')} {c:.0f}" for m, c in
            sorted(costs.items(), key=lambda kv: -kv[1]) if c >= 0.5))
    print(f"\n{time.monotonic() - t0:.1f}s")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or need_root else 0


if __name__ == "__main__":
    sys.exit(main())
