# SPDX-License-Identifier: GPL-2.0
"""The test runner itself (tests/run.py): a hung test fails with its name; without
root the end-to-end tests are not silently skipped into a pass. Runs a copy of
run.py and lib.py over a fixture test module in a temp dir."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lib  # noqa: E402
from lib import ROOT, check, eq  # noqa: E402

FIXTURE = '''
import os


def test_hangs():
    r, w = os.pipe()
    os.read(r, 1)      # nobody ever writes: hangs until the runner's timeout


def test_passes():
    assert True
'''


class Tree:
    """A temp tests/ tree: the real run.py and lib.py, the fixture as its only e2e module."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="ps-runner-")
        os.chmod(self.dir, 0o755)
        t = os.path.join(self.dir, "tests")
        os.makedirs(os.path.join(t, "e2e"))
        for f in ("run.py", "lib.py"):
            shutil.copy(os.path.join(ROOT, "tests", f), t)
        with open(os.path.join(t, "e2e", "test_fixture.py"), "w") as f:
            f.write(FIXTURE)
        for dp, dns, fns in os.walk(self.dir):
            for n in dns + fns:
                os.chmod(os.path.join(dp, n), 0o755)
        self.run_py = os.path.join(t, "run.py")
        return self

    def run(self, pats, env_extra=None, python=sys.executable, **kw):
        env = dict(os.environ, PS_BUILD=os.path.join(self.dir, "nobuild"), **(env_extra or {}))
        return subprocess.run([python, self.run_py] + pats, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env, timeout=120, **kw)

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)


def test_runner_timeout_names_the_hung_test():
    with Tree() as t:
        p = t.run(["test_fixture"], {"PS_TEST_TIMEOUT": "2"})
    out = p.stdout.decode()
    lines = out.splitlines()
    eq(p.returncode, 1, f"exit status ({out[-500:]!r})")
    fails = [ln for ln in lines if ln.startswith("FAIL ")]
    eq(len(fails), 1, f"one failure ({out[-800:]!r})")
    check(fails[0].startswith("FAIL test_fixture:test_hangs "), f"failure line {fails[0]!r}")
    check("timed out after 2 s" in out, f"timeout reason missing: {out[-800:]!r}")
    check(any(ln.startswith("OK   test_fixture:test_passes ") for ln in lines),
          f"the next test still runs: {out[-800:]!r}")
    eq(lines[-1], "1 passed, 1 failed, 0 skipped", "last line")


def test_runner_not_root_fails_and_says_why():
    if not os.access("/usr/bin/python3", os.X_OK):
        raise lib.Skip("no /usr/bin/python3 for the unprivileged run")
    with Tree() as t:
        p = t.run(["test_fixture:test_passes"], python="/usr/bin/python3",
                  preexec_fn=lambda: os.setresuid(65534, 65534, 65534))
    out = p.stdout.decode()
    lines = out.splitlines()
    eq(p.returncode, 1, f"exit status without root ({out[-500:]!r})")
    check(any("end-to-end tests need root" in ln for ln in lines), f"no clear reason: {out!r}")
    eq(lines[-1], "0 passed, 0 failed, 1 skipped", "last line")
