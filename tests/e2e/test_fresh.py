# SPDX-License-Identifier: GPL-2.0
"""The README's two commands on a minimal Debian 12 (tests/fresh/run.sh, also
`make test-fresh`): debootstrap minbase + git, clone HEAD into /root, then as root
in the chroot `./make.sh run` (execsnoop's header, SIGINT, exit 0) and
`./make.sh check` (every test, none failed). Inside, PS_FRESH_INSIDE keeps the
suite from running this test again."""
import os
import re
import shutil
import subprocess

from lib import BUILD, ROOT, Skip, check, eq

TIMEOUT = 3000   # per test, for tests/run.py (a cold debootstrap, then a whole suite inside)


def test_fresh():
    if os.environ.get("PS_FRESH_INSIDE"):
        raise Skip("inside the fresh-machine test already (PS_FRESH_INSIDE)")
    if not shutil.which("debootstrap"):
        raise Skip("debootstrap not installed (scripts/deps.sh --test installs it)")
    p = subprocess.run([os.path.join(ROOT, "tests", "fresh", "run.sh"), BUILD],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=3000)
    out = p.stdout.decode(errors="replace")
    lines = out.splitlines()
    if p.returncode == 77:
        raise Skip(lines[-1] if lines else "Debian mirror unreachable")
    eq(p.returncode, 0, f"tests/fresh/run.sh exit status; its output:\n{out[-3000:]}")
    check("fresh: cloned " in out and "/root mode 700)" in out, f"clone into a 0700 /root: {out}")
    check("fresh: ./make.sh run: execsnoop printed its header and exited 0 on SIGINT" in lines,
          f"./make.sh run: {out}")
    m = re.fullmatch(r"fresh: ok: (\d+) passed, 0 failed, (\d+) skipped", lines[-1])
    check(m and int(m.group(1)) > 0, f"./make.sh check: last line {lines[-1]!r}")
    with open(os.path.join(os.environ.get("PS_FRESH_CACHE", os.path.join(BUILD, "fresh")),
                           "check.log")) as f:
        inner = f.read().splitlines()
    skips = [ln for ln in inner if ln.startswith("SKIP test_fresh:")]
    eq(len(skips), 1, f"the suite inside skips test_fresh once: {skips}")
    check(skips[0].startswith("SKIP test_fresh:test_fresh [") and
          skips[0].endswith("(inside the fresh-machine test already (PS_FRESH_INSIDE))"),
          f"the suite inside does not recurse: {skips[0]!r}")

