# SPDX-License-Identifier: GPL-2.0
"""The shipped binary: static (no interpreter, no dynamic section), one link per
tool in src/tools/tools.def, and every tool reachable both ways. The Makefile's
README targets: `make OUT=DIR check` tests DIR, not ./build."""
import os
import re
import shutil
import struct
import subprocess
import tempfile

import lib
from lib import BIN, BUILD, ROOT, Skip, check, eq


def _program_headers(path):
    """(p_type, ...) of every ELF64 program header of PATH."""
    with open(path, "rb") as f:
        ehdr = f.read(64)
        check(ehdr[:4] == b"\x7fELF" and ehdr[4] == 2, f"{path} is not an ELF64 file")
        phoff, = struct.unpack_from("<Q", ehdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
        types = []
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            types.append(struct.unpack("<I", f.read(4))[0])
        return types


def test_binary_is_static():
    PT_DYNAMIC, PT_INTERP = 2, 3
    # make check SAN=1: BIN is the sanitizer build (dynamic by design); the
    # shipped one is STATIC_BIN, built beside it
    b = lib.STATIC_BIN
    if _is_san_only(b):
        raise Skip(f"{b} is a make SAN=1 build and no static build was given (PS_STATIC_BUILD)")
    types = _program_headers(b)
    check(PT_INTERP not in types, f"{b} has a PT_INTERP header: it needs a dynamic loader")
    check(PT_DYNAMIC not in types, f"{b} has a PT_DYNAMIC header: it is dynamically linked")
    p = subprocess.run(["ldd", b], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(b"not a dynamic executable" in p.stdout or b"statically linked" in p.stdout,
          f"ldd {b}: {p.stdout!r}")


def _is_san_only(path):
    return lib._is_san(path)


def _tools():
    """(name, link or None) from the one list of tools."""
    out = []
    with open(os.path.join(ROOT, "src", "tools", "tools.def")) as f:
        for ln in f:
            m = re.match(r'TOOL\((\w+),\s*(?:"([\w-]+)"|NULL)', ln)
            if m:
                out.append((m.group(1), m.group(2)))
    check(out, "tools.def lists no tool")
    return out


def test_every_tool_has_its_link_and_help():
    top = lib.run([BIN, "--help"]).stdout.decode()
    for name, link in _tools():
        check(re.search(rf"^  {name} ", top, re.M), f"procsnoop --help does not list {name}")
        p = lib.run([BIN, name, "--help"])
        eq(p.returncode, 0, f"procsnoop {name} --help exit status")
        check(p.stdout.startswith(b"Usage: "), f"procsnoop {name} --help: {p.stdout[:80]!r}")
        if link:
            path = os.path.join(BUILD, link)
            eq(os.readlink(path), "procsnoop", f"{path} is a link to procsnoop")
            q = lib.run([path, "--help"])
            eq(q.returncode, 0, f"{link} --help exit status")
            check(q.stdout.startswith(f"Usage: {link}".encode()),
                  f"{link} --help names itself: {q.stdout[:80]!r}")
            check(link in top, f"procsnoop --help does not mention the link {link}")


MARK = "ok marker_from_out_dir"


def test_make_out_dir_check_tests_that_dir():
    if not shutil.which("make"):
        raise Skip("make not installed")
    d = tempfile.mkdtemp(prefix="ps-out-")
    try:
        out = os.path.join(d, "build")
        # an up-to-date copy of the build (timestamps kept: make rebuilds nothing)...
        shutil.copytree(BUILD, out, symlinks=True,
                        ignore=lambda p, names: {"fresh", "qemu", "fuzz"} & set(names)
                        if os.path.samefile(p, BUILD) else set())
        # ...with one more "unit test" that only this copy has (make does not know it)
        unit = os.path.join(out, "tests", "unit_only_in_out_dir")
        with open(unit, "w") as f:
            f.write(f"#!/bin/sh\necho '{MARK}'\n")
        os.chmod(unit, 0o755)
        san = ["SAN=1"] if lib.SAN else []  # the same build, or make relinks it otherwise
        p = subprocess.run(["make", "-s", "-C", ROOT, f"OUT={out}", "check", "TESTS=unit_only_in_out_dir"] + san,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        text = p.stdout.decode(errors="replace")
        eq(p.returncode, 0, f"make OUT=DIR check: exit status; output:\n{text[-2000:]}")
        lines = text.splitlines()
        check(any(ln.startswith("OK   unit_only_in_out_dir:marker_from_out_dir ") for ln in lines),
              f"make OUT=DIR check did not run DIR's tests:\n{text[-2000:]}")
        eq(lines[-1], "1 passed, 0 failed, 0 skipped", "last line")
    finally:
        shutil.rmtree(d, ignore_errors=True)
