# SPDX-License-Identifier: GPL-2.0
"""The tree passes its own .clang-format (kernel style): every C file and header
under src/, tests/ and bench/ is already formatted (`make format` fixes it)."""
import os
import shutil
import subprocess

import lib
from lib import ROOT, check


def _c_files():
    p = subprocess.run(["git", "-C", ROOT, "ls-files", "*.c", "*.h"], stdout=subprocess.PIPE,
                       check=True)
    return [f for f in p.stdout.decode().split("\n") if f]


def test_clang_format_clean():
    exe = shutil.which("clang-format")
    if not exe:
        raise lib.Failure("clang-format is not installed (scripts/deps.sh --test installs it)")
    files = _c_files()
    check(len(files) > 20, f"git ls-files found only {files}")
    bad = []
    for f in files:
        p = subprocess.run([exe, "--dry-run", "--Werror", f], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode:
            first = p.stderr.decode(errors="replace").split("\n")[0]
            bad.append(f"{f}: {first}")
    check(not bad, f"{len(bad)} files are not clang-format clean (make format):\n" +
          "\n".join(bad[:20]))
