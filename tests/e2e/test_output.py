# SPDX-License-Identifier: GPL-2.0
"""Output robustness shared by every tool (src/lib/out.c): code points that
terminals and JSON consumers act on are escaped in JSON; a closed output
pipe is noticed with no event to write; write errors are reported, never
leave a cut line, and end with status 1; closed fds 0-2 at start."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from test_exec_lib import (TRANSPORTS, TmpDir, Tracer, b, check, check_exec, eq,  # noqa: E402
                           execs, marker, only, run_exec)

ME = os.getpid()

# C1 controls (NEL among them), bidi marks, embeddings, overrides and
# isolates, line/paragraph separators, zero-width characters.
DANGEROUS = [0x80, 0x85, 0x9b, 0x9f, 0x061c, 0x200b, 0x200e, 0x200f, 0x2028, 0x2029,
             0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0xfeff]


def test_json_escapes_bidi_and_c1():
    """Each dangerous code point in args, filename and comm: the JSON line
    holds \\uNNNN, never the raw character, and decodes to the exact bytes."""
    m = marker()
    args = [f"x{chr(c)}y".encode() for c in DANGEROUS]
    name = "a\u202eb\u0085c".encode()           # 9 bytes: all of it is the comm
    with TmpDir() as d:
        path = os.path.join(d.encode(), name)
        os.symlink("/bin/true", path)
        with Tracer(["exec", "--json", "-P", str(ME)]) as t:
            pid, rc = run_exec([path, m.encode()] + args)
    eq(rc, 0, "exit status of the traced program")
    e = only(execs(t, m), "event")
    check_exec(e, "dangerous code points", pid=pid, comm=name, filename=path,
               args=[path, m.encode()] + args, ret=0)
    line = only([ln for ln in t.lines if m.encode() in ln], "raw JSON line")
    for c in DANGEROUS:
        esc = b"\\u%04x" % c
        check(line.count(esc) >= 1, f"U+{c:04X}: no {esc!r} in the line")
        check(chr(c).encode() not in line, f"U+{c:04X} is raw in the JSON line")
    eq(line.count(b"\\u202e"), 4, "U+202E escaped in argv[0], an arg, the filename and the comm")
    eq(b(json.loads(line)["filename"]), path, "filename decoded from the raw line")
