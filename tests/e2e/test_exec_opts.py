# SPDX-License-Identifier: GPL-2.0
"""execsnoop options and table mode: every option of the issue, checked on
what the tool printed for processes this test started."""
import errno
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from test_exec_lib import (TRANSPORTS, TmpDir, Tracer, check, check_exec, eq, execs,  # noqa: E402
                           helper_out, make_file, marker, my_comm, now, only, run_exec)

ME = os.getpid()
NOBODY = 65534
HEADER = re.compile(r"^(?P<pre>.*?)PCOMM +PID +PPID +RET +ARGS$")
ROW = re.compile(r"^(?P<comm>.*?) +(?P<pid>\d+) +(?P<ppid>\d+) +(?P<ret>-?\d+) (?P<args>.*)$")


def rows(t, mark):
    """Table rows (bytes) that mention @mark."""
    return [ln for ln in t.lines if mark.encode() in ln]


def row(t, mark, what):
    ln = only(rows(t, mark), f"{what}: table row")
    m = ROW.match(ln.decode())
    check(m, f"{what}: row does not parse: {ln!r}")
    return m


def test_exec_table_default_columns():
    """Header PCOMM PID PPID RET ARGS once attached; one row per exec, both transports."""
    for tr in TRANSPORTS:
        m1, m2 = marker(), marker()
        # -P: only the test's own children, so other activity on the machine
        # cannot fill the buffer under this test's "0 lost" assertion
        with Tracer(["exec", "--transport", tr, "-P", str(ME)]) as t:
            pid, _ = run_exec(["/bin/true", m1, "two words"])
            run_exec(["/nonexistent/" + m2, m2])
        eq(t.rc, 0, "exit status")
        check(HEADER.match(t.ready) and HEADER.match(t.ready).group("pre") == "",
              f"header line: {t.ready!r}")
        check(not any(HEADER.match(ln.decode("utf-8", "replace")) for ln in t.lines),
              "header printed again")
        r = row(t, m1, f"{tr} success")
        eq((r["comm"], int(r["pid"]), int(r["ppid"]), int(r["ret"]), r["args"]),
           ("true", pid, ME, 0, f"/bin/true {m1} two words"), f"{tr}: success row")
        r = row(t, m2, f"{tr} failure")
        eq((r["comm"], int(r["ppid"]), int(r["ret"]), r["args"]),
           (my_comm().decode(), ME, -errno.ENOENT, f"/nonexistent/{m2} {m2}"), f"{tr}: failure row")
        check(re.search(rb"exec: \d+ events, 0 lost", t.stderr), f"summary on stderr: {t.stderr!r}")


HOSTILE_COMM = b"\x1b]0;pwned\x07"


def test_exec_table_hostile_escaped():
    """A process named ESC ]0;pwned BEL, args with newlines, CR, C1, bidi,
    invalid UTF-8: no raw control bytes in any row, one row per exec."""
    args = [b"line1\nline2", b"cr\rhere", b"\x1b[31mred", b"c1 \xc2\x9b2J", "rlo \u202e".encode(),
            b"bad \xff", b"bell\x07", b"back\\slash"]
    with TmpDir() as d:
        path = os.path.join(d.encode(), HOSTILE_COMM)
        os.symlink("/bin/true", path)
        for quote in ([], ["-q"]):
            m, m2 = marker(), marker()
            with Tracer(["exec"] + quote) as t:
                run_exec([path, m.encode()] + args)
                run_exec([b"/nonexistent/\x1b[2J", m2.encode(), b"x\ny"])
            for ln in t.lines:
                for bad in (b"\x1b", b"\x07", b"\r", b"\xc2\x9b", "\u202e".encode(), b"\xff"):
                    check(bad not in ln, f"{quote}: raw {bad!r} in a table row: {ln!r}")
            r = row(t, m, f"{quote} hostile")
            eq(r["comm"], "\\e]0;pwned\\x07", f"{quote}: escaped comm")
            q = (lambda s: '"' + s.replace('"', '\\"') + '"') if quote else (lambda s: s)
            want = " ".join(q(s) for s in [
                path.decode("utf-8", "surrogateescape").replace("\x1b", "\\e").replace("\x07", "\\x07"),
                m, "line1\\nline2", "cr\\rhere", "\\e[31mred", "c1 \\u009b2J", "rlo \\u202e",
                "bad \\xff", "bell\\x07", "back\\\\slash"])
            eq(r["args"], want, f"{quote}: escaped args")
            r = row(t, m2, f"{quote} hostile failure")
            eq(r["args"], " ".join(q(s) for s in ["/nonexistent/\\e[2J", m2, "x\\ny"]),
               f"{quote}: escaped failure args")


def test_exec_table_comm_with_spaces():
    """A comm with spaces ("a b c") is one token in the table (spaces as \\x20):
    the PID, PPID and RET columns stay where they belong, both transports."""
    with TmpDir() as d:
        path = os.path.join(d, "a b  c")
        os.symlink("/bin/true", path)
        for tr in TRANSPORTS:
            m = marker()
            with Tracer(["exec", "--transport", tr, "-P", str(ME)]) as t:
                pid, _ = run_exec([path, m])
            ln = only(rows(t, m), f"{tr}: row").decode()
            f = ln.split()
            eq(f[:4], ["a\\x20b\\x20\\x20c", str(pid), str(ME), "0"], f"{tr}: columns of {ln!r}")


def test_exec_opt_time_columns():
    """-T: TIME HH:MM:SS of the exec (TZ=UTC here); -t: seconds since start."""
    env = dict(os.environ, TZ="UTC")
    m = marker()
    t0 = time.time()
    with Tracer(["exec", "-T"], env=env) as t:
        b0 = time.time()
        run_exec(["/bin/true", m])
        b1 = time.time()
    check(t.ready.startswith("TIME     PCOMM"), f"-T header: {t.ready!r}")
    ln = only(rows(t, m), "-T row").decode()
    allowed = {time.strftime("%H:%M:%S", time.gmtime(s)) for s in range(int(b0), int(b1) + 1)}
    check(ln[:8] in allowed and ln[8] == " ", f"-T time {ln[:8]!r} not in {sorted(allowed)}")
    check(ROW.match(ln[9:]), f"-T row: {ln!r}")

    m = marker()
    t0 = time.time()
    with Tracer(["exec", "-t"]) as t:
        run_exec(["/bin/true", m])
        t1 = time.time()
    check(t.ready.startswith("TIME(s)  PCOMM"), f"-t header: {t.ready!r}")
    ln = only(rows(t, m), "-t row").decode()
    secs = float(ln.split()[0])
    check(0 <= secs <= t1 - t0, f"-t: {secs} s since start, the test ran {t1 - t0:.3f} s")
    p = lib.run([lib.BIN, "exec", "-T", "-t"])
    eq(p.returncode, 2, "-T -t together: exit status")


def test_exec_opt_print_uid_and_uid_filter():
    """-U prints the uid; -u UID and -u NAME keep only that user's execs
    (successes and failures), with uid/gid in JSON."""
    with TmpDir() as d:
        os.chmod(d, 0o755)
        secret = make_file(os.path.join(d, "rootonly"), b"#!/bin/true\n", 0o700)
        for sel in (str(NOBODY), "nobody"):
            m_n, m_f, m_r = marker(), marker(), marker()
            with Tracer(["exec", "--json", "-u", sel]) as t:
                pid, rc = run_exec(["/bin/true", m_n], user=NOBODY, group=NOBODY,
                                   extra_groups=[])
                _, err = run_exec([secret, m_f], user=NOBODY, group=NOBODY, extra_groups=[])
                run_exec(["/bin/true", m_r])
            eq((rc, err), (0, -errno.EACCES), "exit statuses")
            e = only(execs(t, m_n), f"-u {sel}: nobody's exec")
            check_exec(e, f"-u {sel}", pid=pid, uid=NOBODY, gid=NOBODY, ret=0)
            e = only(execs(t, m_f), f"-u {sel}: nobody's failed exec")
            check_exec(e, f"-u {sel} failure", uid=NOBODY, gid=NOBODY, ret=-errno.EACCES,
                       filename=secret.encode())
            eq(execs(t, m_r), [], f"-u {sel}: root's exec is filtered out")
    m = marker()
    with Tracer(["exec", "-U"]) as t:
        run_exec(["/bin/true", m], user=NOBODY, group=NOBODY, extra_groups=[])
    check(t.ready.startswith("UID    PCOMM"), f"-U header: {t.ready!r}")
    ln = only(rows(t, m), "-U row").decode()
    eq(ln.split()[0], str(NOBODY), "-U column")


def test_exec_opt_fails():
    """-x/--fails keeps its libbpf-tools meaning, "include failed execs" (our
    default): successes and failures both show. --fails-only: only failures."""
    for tr in TRANSPORTS:
        for flag in ("-x", "--fails"):
            m1, m2 = marker(), marker()
            with Tracer(["exec", "--json", flag, "--transport", tr, "-P", str(ME)]) as t:
                pid, _ = run_exec(["/bin/true", m1])
                run_exec(["/nonexistent/x", m2])
            eq(t.rc, 0, f"{tr} {flag}: exit status")
            check_exec(only(execs(t, m1), f"{tr} {flag}: success"), f"{flag} success",
                       pid=pid, ret=0)
            check_exec(only(execs(t, m2), f"{tr} {flag}: failure"), f"{flag} failure",
                       ret=-errno.ENOENT, filename=b"/nonexistent/x")
        m1, m2 = marker(), marker()
        with Tracer(["exec", "--json", "--fails-only", "--transport", tr, "-P", str(ME)]) as t:
            run_exec(["/bin/true", m1])
            run_exec(["/nonexistent/x", m2])
        eq(execs(t, m1), [], f"{tr}: --fails-only shows a successful exec")
        check_exec(only(execs(t, m2), "failure"), "--fails-only failure", ret=-errno.ENOENT)


def test_exec_opt_name():
    """-n NAME: comm contains NAME."""
    with TmpDir() as d:
        tag = marker()[3:11]
        prog = os.path.join(d, f"zz{tag}zz")
        os.symlink("/bin/true", prog)
        m1, m2 = marker(), marker()
        with Tracer(["exec", "--json", "-n", tag]) as t:
            run_exec([prog, m1])
            run_exec(["/bin/true", m2])
        check_exec(only(execs(t, m1), "-n match"), "-n", comm=f"zz{tag}zz".encode())
        eq(execs(t, m2), [], "-n: other comm filtered out")


def test_exec_opt_line():
    """-l TEXT: the command line contains TEXT, also across an argument boundary."""
    m1, m2, m3 = marker(), marker(), marker()
    with Tracer(["exec", "--json", "-l", f"{m1}-left right-"]) as t:
        run_exec(["/bin/true", f"{m1}-left", "right-side"])
        run_exec(["/bin/true", f"{m1}-left"])
    only(execs(t, m1), "-l across arguments")
    with Tracer(["exec", "--json", "-l", m2]) as t:
        run_exec(["/bin/true", "x", f"a{m2}b"])
        run_exec(["/nonexistent/l", f"{m2}"])
        run_exec(["/bin/true", m3])
    eq(len(execs(t, m2)), 2, "-l: success and failure containing TEXT")
    eq(execs(t, m3), [], "-l: other command lines filtered out")


def test_exec_opt_ppid():
    """-P PID: only children of PID (a grandchild is not one)."""
    m1, m2 = marker(), marker()
    with Tracer(["exec", "--json", "-P", str(ME)]) as t:
        pid, _ = run_exec(["/bin/true", m1])
        helper_out(["burst", "1", "/bin/true", "true", m2])
    check_exec(only(execs(t, m1), "-P child"), "-P", pid=pid, ppid=ME)
    eq(execs(t, m2), [], "-P: grandchild filtered out")


def test_exec_opt_cgroup():
    """-c PATH: only processes in that cgroup v2 subtree (absolute or relative path)."""
    # found in /proc/self/mounts: a hard-coded /sys/fs/cgroup/unified skipped this test
    # on every machine with the usual layout
    name = "psx-" + marker()
    top = os.path.join(lib.cgroup2_root(), name)
    sub = os.path.join(top, "sub")
    os.mkdir(top)
    try:
        os.mkdir(sub)

        def into(cg):
            def f():
                with open(os.path.join(cg, "cgroup.procs"), "w") as fp:
                    fp.write("0")
            return f

        for spec in (top, name):
            m1, m2, m3 = marker(), marker(), marker()
            with Tracer(["exec", "--json", "-c", spec]) as t:
                p1, _ = run_exec(["/bin/true", m1], preexec_fn=into(top))
                p2, _ = run_exec(["/bin/true", m2], preexec_fn=into(sub))
                p3, _ = run_exec(["/bin/true", m3])
            check_exec(only(execs(t, m1), f"-c {spec}: in the cgroup"), "-c", pid=p1)
            check_exec(only(execs(t, m2), f"-c {spec}: in a child cgroup"), "-c", pid=p2)
            eq(execs(t, m3), [], f"-c {spec}: outside filtered out")
        p = lib.run([lib.BIN, "exec", "-c", name + "-nonexistent"])
        check(p.returncode != 0 and len(p.stderr.decode().splitlines()) == 1 and
              "--cgroup" in p.stderr.decode(), f"-c bad path: rc {p.returncode} {p.stderr!r}")
    finally:
        for cg in (sub, top):
            for _ in range(100):
                try:
                    os.rmdir(cg)
                    break
                except OSError:
                    time.sleep(0.05)  # cleanup only: the exited children leave lazily


def test_exec_opt_max_args():
    """--max-args N: at most N arguments, flagged as truncated; the bytes of the
    arguments it drops are counted in the cut (JSON args_cut_bytes, table
    [N bytes cut]), both transports."""
    for tr in TRANSPORTS:
        m = marker()
        with Tracer(["exec", "--json", "--max-args", "2", "--transport", tr, "-P", str(ME)]) as t:
            run_exec(["/bin/true", m, "3rd", "4th-x"])
        e = only(execs(t, m), "--max-args event")
        check_exec(e, f"{tr} --max-args 2", args=[b"/bin/true", m.encode()], args_truncated=True,
                   args_cut_bytes=len(b"3rd\0") + len(b"4th-x\0"))
        m = marker()
        with Tracer(["exec", "--max-args", "2", "--transport", tr, "-P", str(ME)]) as t:
            run_exec(["/bin/true", m, "3rd", "4th-x"])
        r = row(t, m, "--max-args table")
        eq(r["args"], f"/bin/true {m} ...[10 bytes cut]", f"{tr}: --max-args table row")


def test_exec_opt_help():
    """-h/--help: usage with every option and EXAMPLES on stdout, exit 0."""
    for flag in ("-h", "--help"):
        p = lib.run([lib.BIN, "exec", flag])
        eq(p.returncode, 0, f"{flag}: exit status")
        eq(p.stderr, b"", f"{flag}: stderr")
        out = p.stdout.decode()
        for opt in ("--time", "--timestamp", "--fails", "--fails-only", "--all-attempts", "--uid", "--name", "--line", "--quote",
                    "--print-uid", "--ppid", "--cgroup", "--container", "--max-args", "--max-args-bytes",
                    "--json", "--help", "--transport", "--hook", "--buffer-size", "Examples"):
            check(opt in out, f"{flag}: {opt} not in the help")


# tests/run.py skips this module inside test_fresh's chroot, saying why (CI time)
FRESH_INSIDE_SKIP = "option behaviour, not the machine; the suite outside runs it"
