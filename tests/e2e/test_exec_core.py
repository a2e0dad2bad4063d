# SPDX-License-Identifier: GPL-2.0
"""execsnoop: what one exec event says, field by field, for every kind of
exec attempt, with the ring buffer and with the perf buffer."""
import errno
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_exec_lib import (TRANSPORTS, TmpDir, Tracer, b, check, check_exec,  # noqa: E402
                           check_whole_or_counted, eq,
                           execs, expect_capture, helper_out, make_file, marker, my_comm,
                           now, only, run_exec)

ME = os.getpid()

# Arguments that must come through byte for byte.
HOSTILE = [
    b"", b"two words", b"  lead and trail  ", b"'single' \"double\"", b"new\nline\r\n",
    b"tab\there", b"back\\slash \\n \\x41 \\u0041", b"\x1b]0;pwned\x07\x1b[2J", b"\x7f\x01\x02",
    "caf\u00e9 \u65e5\u672c \U0001f600".encode(), "bidi \u202eevil\u202c \u2028\u2029".encode(),
    b"bad \xff \xfe end", b"overlong \xc0\xaf \xe0\x80\xaf", b"surrogate \xed\xa0\x80",
    b"cut \xe6\x97", b"\xc3", b"c1 \xc2\x9b31m", b"%s %n {} $HOME `id` $(id)",
]


def _fail_checks(t, mark, what, **want):
    e = only(execs(t, mark), f"{what} event")
    check_exec(e, what, pid=e["tid"], ppid=ME, uid=0, gid=0, comm=my_comm(), pcomm=my_comm(),
               **want)
    check(e.get("error") == errno.errorcode[-want["ret"]],
          f"{what}: error {e.get('error')!r}, want {errno.errorcode[-want['ret']]}")
    return e


def test_exec_fields_success_and_failures():
    """Success and ENOENT, EACCES, ENOEXEC, E2BIG: every field, both transports."""
    for tr in TRANSPORTS:
        with TmpDir() as d:
            noexec = make_file(os.path.join(d, "noexec"), b"#!/bin/true\n", 0o644)
            garbage = make_file(os.path.join(d, "garbage"), b"\x00\x01\x02garbage\n", 0o755)
            t = Tracer(["exec", "--json", "--transport", tr]).start()
            eq(t.ready.get("transport"), tr, "ready transport")
            m = [marker() for _ in range(5)]
            t0 = now()
            pid, rc = run_exec(["/bin/true", m[0], "x y"])
            t1 = now()
            _, enoent = run_exec(["/nonexistent/" + m[1], m[1]])
            _, eacces = run_exec([noexec, m[2]])
            _, enoexec = run_exec([garbage, m[3], "z"])
            big = "A" * 131072  # one string of MAX_ARG_STRLEN chars + NUL: E2BIG
            _, e2big = run_exec(["/bin/true", m[4], big])
            t2 = now()
            t.stop()
        eq(rc, 0, "true exit status")
        eq((enoent, eacces, enoexec, e2big), (-errno.ENOENT, -errno.EACCES, -errno.ENOEXEC,
                                               -errno.E2BIG), "errnos seen by the test")
        eq(t.rc, 0, f"{tr}: tracer exit status")
        w = f"{tr}: success"
        e = only(execs(t, m[0]), w)
        check_exec(e, w, before=t0, after=t1, pid=pid, tid=pid, ppid=ME, uid=0, gid=0,
                   comm=b"true", pcomm=my_comm(), filename=b"/bin/true",
                   args=[b"/bin/true", m[0].encode(), b"x y"], args_truncated=False,
                   args_cut_bytes=0, ret=0)
        check("error" not in e, f"{w}: error member on a success: {e}")
        for i, (path, args, ret, what) in enumerate([
                ("/nonexistent/" + m[1], ["/nonexistent/" + m[1], m[1]], -errno.ENOENT, "ENOENT"),
                (noexec, [noexec, m[2]], -errno.EACCES, "EACCES"),
                (garbage, [garbage, m[3], "z"], -errno.ENOEXEC, "ENOEXEC")]):
            e = _fail_checks(t, m[i + 1], f"{tr}: {what}", filename=path.encode(),
                             args=[a.encode() for a in args], args_truncated=False,
                             args_cut_bytes=0, ret=ret)
            check_exec(e, f"{tr}: {what}", before=t1, after=t2)
        argv = [b"/bin/true", m[4].encode(), big.encode()]
        want, trunc, cut = expect_capture(argv, 128 * 1024)
        e = _fail_checks(t, m[4], f"{tr}: E2BIG", filename=b"/bin/true", args=want,
                         args_truncated=True, args_cut_bytes=cut, ret=-errno.E2BIG)
        eq(len(b"\0".join(want)), 128 * 1024,
           "E2BIG: expected capture is exactly the default limit (last arg cut, no NUL)")
        summ = only(t.events("summary"), "summary")
        check(summ["events"] >= 5, f"{tr}: summary counts {summ['events']} events")


def test_exec_hostile_argv_exact():
    """Empty args, spaces, quotes, newlines, escapes, UTF-8, invalid UTF-8:
    exact bytes in JSON (\\udcNN), for a success and a failure, both transports."""
    for tr in TRANSPORTS:
        m1, m2 = marker(), marker()
        with Tracer(["exec", "--json", "--transport", tr]) as t:
            pid, rc = run_exec([b"/bin/true", m1.encode()] + HOSTILE)
            _, err = run_exec([b"/nonexistent/x", m2.encode()] + HOSTILE)
        eq((rc, err), (0, -errno.ENOENT), "exit statuses")
        e = only(execs(t, m1), f"{tr}: success event")
        check_exec(e, tr, pid=pid, args=[b"/bin/true", m1.encode()] + HOSTILE, ret=0,
                   args_truncated=False)
        e = only(execs(t, m2), f"{tr}: failure event")
        check_exec(e, tr, args=[b"/nonexistent/x", m2.encode()] + HOSTILE,
                   filename=b"/nonexistent/x", ret=-errno.ENOENT, args_truncated=False)


def test_exec_hostile_filename_and_comm():
    """A program whose name is hostile: comm and filename come through exactly."""
    name = b"\x1b]0;pwned\x07\xff\n"
    with TmpDir() as d:
        path = os.path.join(d.encode(), name)
        os.symlink("/bin/true", path)
        m = marker()
        with Tracer(["exec", "--json"]) as t:
            pid, rc = run_exec([path, m.encode()])
    e = only(execs(t, m), "event")
    check_exec(e, "hostile name", pid=pid, comm=name, filename=path, ret=0)


def test_exec_argc0():
    """execve(path, {NULL}) and execve(path, NULL): argc 0, args [], filename kept."""
    for mode in ("argc0", "argvnull"):
        with Tracer(["exec", "--json"]) as t:
            helper_out([mode, "/bin/true"])
        # the exec'd /bin/true has no marker: find it by filename and parent
        ev = [e for e in t.events("exec") if e["ppid"] == ME and e["filename"] == "/bin/true"]
        e = only(ev, f"{mode} event")
        check_exec(e, mode, comm=b"true", args=[], args_truncated=False, ret=0)
        eq(e.get("argc"), 0, f"{mode}: argc")


def test_exec_default_limit_128k():
    """At least 128 KiB of argv captured exactly by default; past it, cut and counted."""
    for tr in TRANSPORTS:
        cases = {}
        with Tracer(["exec", "--json", "--transport", tr]) as t:
            for total in (128 * 1024, 128 * 1024 + 1, 200000):
                m = marker()
                argv = _argv_of(m, total)
                pid, rc = run_exec(argv)
                eq(rc, 0, "exit status")
                cases[m] = (argv, pid, total)
            # the failure path reads argv back from user memory: same rules
            m = marker()
            argv = [b"/nonexistent/y"] + _argv_of(m, 200000)[1:]
            run_exec(argv)
            cases[m] = (argv, None, 200000)
        for m, (argv, pid, total) in cases.items():
            want, trunc, cut = expect_capture(argv, 128 * 1024)
            e = only(execs(t, m), f"{tr}: {total}-byte argv")
            check_exec(e, f"{tr}: {total}-byte argv, pid {pid}", args=want,
                       args_truncated=trunc, args_cut_bytes=cut,
                       ret=0 if pid else -errno.ENOENT)


def test_exec_max_args_bytes():
    """--max-args-bytes raises the limit to 1 MiB (exact) and lowers it (exact cut).

    Each exec waits for its event in the tracer's output before the next one
    starts: three 1 MiB events back to back could otherwise outrun the consumer
    and fill a per-CPU perf buffer (2 MiB: one such event and most of another),
    a reported loss, but not what this test is about. -P: only the test's own
    children, so other people's execs cannot fill the buffer either."""
    for tr in TRANSPORTS:
        for limit, opt, totals in ((1 << 20, "1M", (1 << 20, (1 << 20) + 5000)),
                                   (100, "100", (100, 101, 5000))):
            cases = {}
            with Tracer(["exec", "--json", "--transport", tr, "--max-args-bytes", opt,
                         "-P", str(ME)]) as t:
                eq(t.ready.get("max_args_bytes"), limit, "ready max_args_bytes")
                for total in totals:
                    m = marker()
                    argv = _argv_of(m, total)
                    pid, rc = run_exec(argv)
                    eq(rc, 0, "exit status")
                    cases[m] = (argv, total)
                    t.wait_output(m.encode())
                m = marker()
                argv = [b"/nonexistent/z"] + _argv_of(m, totals[-1])[1:]
                run_exec(argv)
                cases[m] = (argv, totals[-1])
                t.wait_output(m.encode())
            summ = only(t.events("summary"), f"{tr}: summary")
            losses = f"lost lines {t.events('lost')}, summary stats {summ['stats']}"
            for m, (argv, total) in cases.items():
                want, trunc, cut = expect_capture(argv, limit)
                what = f"{tr}: limit {limit}, {total}-byte argv, {argv[0]}"
                e = only(execs(t, m), what)
                check_whole_or_counted(e, summ, what, want)
                check(not e.get("incomplete"),
                      f"{what}: incomplete (nothing should be lost: {losses})")
                check_exec(e, what, args=want, args_truncated=trunc, args_cut_bytes=cut)
            eq(summ["lost"], 0, f"{tr}: limit {limit}: lost ({losses})")


def _argv_of(mark, total):
    """/bin/true, MARK, then 'x' args (at most 100000 each): exactly @total bytes."""
    argv = [b"/bin/true", mark.encode()]
    used = sum(len(a) + 1 for a in argv)
    n = 0
    while used < total:
        k = min(100000, total - used - 1)
        # vary the bytes so a misplaced chunk cannot compare equal
        argv.append(bytes((0x41 + (n + i) % 26) for i in range(k)))
        used += k + 1
        n += 1
    assert used == total
    return argv


def test_exec_from_thread():
    """A non-leader thread execs: pid is the tgid, tid the thread; success and failure."""
    for path, ret in (("/bin/true", 0), ("/nonexistent/t", -errno.ENOENT)):
        m = marker()
        with Tracer(["exec", "--json"]) as t:
            words = helper_out(["thread", path, path, m], ok_rc=(0, 127))
        pid, tid = int(words[0]), int(words[1])
        check(pid != tid, "the helper's exec thread is not the leader")
        e = only(execs(t, m), f"thread exec {path}")
        check_exec(e, f"thread exec {path}", pid=pid, tid=tid, ppid=ME, ret=ret,
                   filename=path.encode(), args=[path.encode(), m.encode()],
                   comm=b"true" if ret == 0 else b"exec_do")


def test_exec_script():
    """A #! script: filename and comm are the script's; args are what the
    interpreter got (interpreter, optional arg, script path, the arguments)."""
    with TmpDir() as d:
        script = make_file(os.path.join(d, "psx-script.sh"), b"#!/bin/sh -e\nexit 0\n", 0o755)
        m = marker()
        with Tracer(["exec", "--json"]) as t:
            pid, rc = run_exec([script, m, "a b"])
    eq(rc, 0, "script exit status")
    e = only(execs(t, m), "script event")
    check_exec(e, "script", pid=pid, tid=pid, ppid=ME, comm=b"psx-script.sh",
               filename=script.encode(), ret=0,
               args=[b"/bin/sh", b"-e", script.encode(), m.encode(), b"a b"])


def test_exec_execveat():
    """fexecve (execveat(fd, "", AT_EMPTY_PATH)) and execveat(dirfd, name)."""
    m1, m2, m3 = marker(), marker(), marker()
    with Tracer(["exec", "--json"]) as t:
        fd1 = int(helper_out(["fexecve", "/bin/true", "true", m1])[0])
        fd2 = int(helper_out(["execveat", "/bin", "true", "true", m2])[0])
        fd3 = int(helper_out(["execveat", "/bin", "psx-none", "x", m3], ok_rc=(126,))[0])
    e = only(execs(t, m1), "fexecve event")
    check_exec(e, "fexecve", ppid=ME, ret=0, args=[b"true", m1.encode()],
               filename=f"/dev/fd/{fd1}".encode(), comm=b"true")
    eq(e.get("execveat"), {"fd": fd1, "flags": 0x1000}, "fexecve: execveat member")
    e = only(execs(t, m2), "execveat event")
    check_exec(e, "execveat", ppid=ME, ret=0, args=[b"true", m2.encode()],
               filename=f"/dev/fd/{fd2}/true".encode(), comm=b"true")
    eq(e.get("execveat"), {"fd": fd2, "flags": 0}, "execveat: execveat member")
    e = only(execs(t, m3), "failed execveat event")
    check_exec(e, "failed execveat", ppid=ME, ret=-errno.ENOENT, args=[b"x", m3.encode()],
               filename=b"psx-none", comm=b"exec_do")
    eq(e.get("execveat"), {"fd": fd3, "flags": 0}, "failed execveat: execveat member")


def test_exec_pid_namespace():
    """An exec inside a new pid namespace is reported with host pids."""
    m = marker()
    with Tracer(["exec", "--json"]) as t:
        words = helper_out(["pidns", "/bin/true", "true", m])
    host = int(words[0])
    check(host != 1, "host pid of the namespaced child")
    e = only(execs(t, m), "pidns event")
    # its parent is the helper (a child of ours)
    check_exec(e, "pidns", pid=host, tid=host, ret=0, comm=b"true", pcomm=b"exec_do")
