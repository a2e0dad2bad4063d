# SPDX-License-Identifier: GPL-2.0
"""The libFuzzer targets (tests/fuzz/fuzz_*.c), each run for PS_FUZZ_SECONDS
(default 20) from its committed corpus: any crash, leak or sanitizer report
fails the target's test, which names the input it kept. Each test prints
the target's executions (the figure the issue asks for)."""
import concurrent.futures
import os
import subprocess

from lib import BUILD, ROOT, check

# tests/run.py skips this module inside test_fresh's chroot, saying why
FRESH_INSIDE_SKIP = "the suite outside fuzzes every target for PS_FUZZ_SECONDS"

SECONDS = int(os.environ.get("PS_FUZZ_SECONDS", "20"))
# the first test builds the targets; a test may wait for the others sharing the CPUs
TIMEOUT = 8 * SECONDS + 300
FUZZ = os.path.join(BUILD, "fuzz")
_built = []


def _build():
    if not _built:
        p = subprocess.run(["make", "-C", ROOT, f"OUT={BUILD}", "fuzz-build"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        check(p.returncode == 0, "make fuzz-build failed:\n" + p.stdout.decode()[-3000:])
        _built.append(True)


def _run(name):
    p = subprocess.run([os.path.join(ROOT, "tests/fuzz/run.sh"), FUZZ, str(SECONDS),
                        f"fuzz_{name}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=SECONDS + 120)
    return p.returncode, p.stdout.decode("utf-8", "replace").strip()


_runs = {}


def _fuzz(name):
    """Every target runs SECONDS, one per CPU at a time (libFuzzer uses one):
    the first test starts them all, each test waits for its own (CI time)."""
    _build()
    if not _runs:
        here = os.path.join(ROOT, "tests", "fuzz")
        targets = sorted(f[5:-2] for f in os.listdir(here)
                         if f.startswith("fuzz_") and f.endswith(".c"))
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1))
        _runs.update({t: pool.submit(_run, t) for t in targets})
        pool.shutdown(wait=False)
    rc, out = _runs[name].result()
    print(f"     {out}", flush=True)
    check(rc == 0 and out.endswith(": ok"), f"{out}\n(log: {FUZZ}/{name}.log)")


def test_fuzz_stream():
    _fuzz("stream")


def test_fuzz_elf():
    _fuzz("elf")


def test_fuzz_opts():
    _fuzz("opts")


def test_fuzz_spec():
    _fuzz("spec")


def test_fuzz_encode():
    _fuzz("encode")


def test_fuzz_cgroup():
    _fuzz("cgroup")


def test_fuzz_procstat():
    _fuzz("procstat")


def test_fuzz_procparse():
    _fuzz("procparse")


def test_every_target_has_a_test_and_a_corpus():
    here = os.path.join(ROOT, "tests", "fuzz")
    targets = sorted(f[5:-2] for f in os.listdir(here)
                     if f.startswith("fuzz_") and f.endswith(".c"))
    tests = sorted(n[10:] for n in globals() if n.startswith("test_fuzz_"))
    check(targets == tests, f"targets {targets}, tests {tests}")
    for t in targets:
        d = os.path.join(here, "corpus", t)
        check(os.path.isdir(d) and os.listdir(d), f"no seed corpus in {d}")
