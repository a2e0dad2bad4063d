# SPDX-License-Identifier: GPL-2.0
"""execsnoop, tried as a hostile user would: 32-bit (compat) execs, i386
syscall numbers that are execve in the x86-64 table, an unreadable argv,
millions of empty arguments, and threads racing to exec. Every tracer
filters on the test's own children (-P), on both transports."""
import errno
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from test_exec_lib import (TRANSPORTS, Tracer, check, check_exec, eq, execs,  # noqa: E402
                           expect_capture, marker, my_comm, only, run_exec)

ME = os.getpid()
# The syscall-side hook sets that run here (fentry is refused by this kernel).
SYS_SETS = (None, "raw-sys")
# What the ready line lists (fentry refused here: the default is sys-tp +
# exec-btf + compat-raw; raw-sys sees compat syscalls itself: no compat side).
SYS_TP = ["tracepoint/syscalls/sys_enter_execve", "tracepoint/syscalls/sys_enter_execveat",
          "tracepoint/syscalls/sys_exit_execve", "tracepoint/syscalls/sys_exit_execveat"]
RAW_SYS = ["raw_tracepoint/sys_enter", "raw_tracepoint/sys_exit"]
EXEC_BTF = ["tp_btf/sched_process_exec"]
COMPAT_RAW = ["raw_tracepoint/sys_exit"]
READY_HOOKS = {None: SYS_TP + EXEC_BTF + COMPAT_RAW, "raw-sys": RAW_SYS + EXEC_BTF}


def _tracer(tr, hook, extra=()):
    args = ["exec", "--json", "--transport", tr, "-P", str(ME)] + list(extra)
    if hook:
        args += ["--hook", hook]
    return Tracer(args).start()


def _out(argv):
    p = lib.run(argv)
    eq(p.returncode, 0, f"{argv[:3]}: exit status ({p.stderr[-300:]!r})")
    return p.stdout.decode().split()


def _mine(t, mark):
    """The exec events carrying @mark, but not the helpers' own execs."""
    return [e for e in execs(t, mark) if not e["filename"].endswith("/tests/exec32")]


def _is_amd64():
    return os.uname().machine == "x86_64"


def test_exec_compat_failures_and_successes():
    """Failed 32-bit execs (a -m32 -static program; int $0x80 from 64-bit code;
    a compat execveat) are reported, marked compat; 64-bit ones say compat false."""
    if not _is_amd64():
        raise lib.Skip("x86-64 only")
    e32 = lib.helper("exec32")
    edo = lib.helper("exec_do")
    for tr in TRANSPORTS:
        for hook in SYS_SETS:
            what = f"{tr} {hook or 'default hooks'}"
            m = [marker() for _ in range(5)]
            t = _tracer(tr, hook)
            # exactly one program that sees compat failures: never two reports
            eq(t.ready.get("hooks"), READY_HOOKS[hook], f"{what}: ready hooks")
            r1 = _out([e32, "exec", f"/nonexistent/{m[0]}", "a0", m[0], ""])
            r2 = _out([edo, "int80", f"/nonexistent/{m[1]}", "b0", m[1]])
            r3 = _out([e32, "execveat", "/bin", f"no-{m[2]}", "c0", m[2]])
            _out([e32, "exec", "/bin/true", "true", m[3]])
            _, r5 = run_exec([f"/nonexistent/{m[4]}", m[4]])
            t.stop()
            eq(t.rc, 0, f"{what}: tracer exit status")
            eq((r1, r2, r3[1], r5), (["-2"], ["-2"], "-2", -errno.ENOENT),
               f"{what}: what the callers saw")
            e = only(_mine(t, m[0]), f"{what}: -m32 failed execve")
            check_exec(e, what + " -m32 execve", ppid=ME, comm=b"exec32", pcomm=my_comm(),
                       filename=f"/nonexistent/{m[0]}".encode(),
                       args=[b"a0", m[0].encode(), b""], argc=3, args_truncated=False,
                       args_cut_bytes=0, ret=-errno.ENOENT, error="ENOENT", compat=True,
                       args_unreadable=False, args_cut_bytes_exact=True)
            check("execveat" not in e, f"{what}: execveat member on an execve: {e}")
            e = only(_mine(t, m[1]), f"{what}: int $0x80 failed execve")
            check_exec(e, what + " int80", ppid=ME, comm=b"exec_do",
                       filename=f"/nonexistent/{m[1]}".encode(), args=[b"b0", m[1].encode()],
                       ret=-errno.ENOENT, compat=True, args_unreadable=False)
            e = only(_mine(t, m[2]), f"{what}: -m32 failed execveat")
            check_exec(e, what + " -m32 execveat", ppid=ME, comm=b"exec32",
                       filename=f"no-{m[2]}".encode(), args=[b"c0", m[2].encode()],
                       ret=-errno.ENOENT, compat=True)
            eq(e.get("execveat"), {"fd": int(r3[0]), "flags": 0}, f"{what}: execveat member")
            e = only(_mine(t, m[3]), f"{what}: -m32 successful execve")
            check_exec(e, what + " -m32 success", ppid=ME, comm=b"true", filename=b"/bin/true",
                       args=[b"true", m[3].encode()], ret=0)
            # raw-sys sees the compat entry; sys-tp + compat-raw only the exec itself
            eq(e.get("compat"), True if hook == "raw-sys" else None,
               f"{what}: compat of a 32-bit caller's success")
            e = only(_mine(t, m[4]), f"{what}: 64-bit failed execve")
            check_exec(e, what + " 64-bit", ppid=ME, ret=-errno.ENOENT, compat=False,
                       args=[f"/nonexistent/{m[4]}".encode(), m[4].encode()])


def test_exec_no_compat_drops_32bit_failures_only():
    """--no-compat: no raw sys_exit program at all; a failed 32-bit exec is then
    not reported (the documented trade-off), while 64-bit capture and a 32-bit
    caller's success (seen at sched_process_exec) are unchanged. --hook
    compat-off is the same choice. With raw-sys, 32-bit failures stay (raw-sys
    sees them itself), exactly once."""
    if not _is_amd64():
        raise lib.Skip("x86-64 only")
    e32 = lib.helper("exec32")
    edo = lib.helper("exec_do")
    cases = ((["--no-compat"], SYS_TP + EXEC_BTF, False),
             (["--hook", "compat-off"], SYS_TP + EXEC_BTF, False),
             (["--no-compat", "--hook", "raw-sys"], RAW_SYS + EXEC_BTF, True))
    for tr in TRANSPORTS:
        for extra, hooks, sees32 in cases:
            what = f"{tr} {' '.join(extra)}"
            m = [marker() for _ in range(5)]
            t = _tracer(tr, None, extra)
            eq(t.ready.get("hooks"), hooks, f"{what}: ready hooks")
            r1 = _out([e32, "exec", f"/nonexistent/{m[0]}", "a0", m[0]])
            r2 = _out([edo, "int80", f"/nonexistent/{m[1]}", "b0", m[1]])
            r3 = _out([e32, "execveat", "/bin", f"no-{m[2]}", "c0", m[2]])
            _out([e32, "exec", "/bin/true", "true", m[3]])
            _, r5 = run_exec([f"/nonexistent/{m[4]}", m[4]])
            t.stop()
            eq(t.rc, 0, f"{what}: tracer exit status")
            eq((r1, r2, r3[1], r5), (["-2"], ["-2"], "-2", -errno.ENOENT),
               f"{what}: what the callers saw")
            for i, kind in ((0, "-m32 execve"), (1, "int $0x80 execve"), (2, "-m32 execveat")):
                evs = _mine(t, m[i])
                if not sees32:
                    eq(evs, [], f"{what}: failed {kind} reported without a compat side")
                    continue
                e = only(evs, f"{what}: failed {kind}")
                check_exec(e, f"{what} {kind}", ppid=ME, ret=-errno.ENOENT, compat=True,
                           args=[(b"a0", b"b0", b"c0")[i], m[i].encode()])
            e = only(_mine(t, m[3]), f"{what}: -m32 successful execve")
            check_exec(e, what + " -m32 success", ppid=ME, comm=b"true", filename=b"/bin/true",
                       args=[b"true", m[3].encode()], ret=0)
            eq(e.get("compat"), True if sees32 else None, f"{what}: compat of the success")
            e = only(_mine(t, m[4]), f"{what}: 64-bit failed execve")
            check_exec(e, what + " 64-bit", ppid=ME, ret=-errno.ENOENT, compat=False,
                       filename=f"/nonexistent/{m[4]}".encode(),
                       args=[f"/nonexistent/{m[4]}".encode(), m[4].encode()])


def test_exec_compat_side_usage():
    """One compat choice, never a double report: contradictions are usage
    errors (exit 2, one clear line); -v says why raw-sys has no compat side."""
    if not _is_amd64():
        raise lib.Skip("x86-64 only")
    for args, words in ((["--hook", "raw-sys,compat-raw"], ["raw-sys", "compat-raw", "twice"]),
                        (["--hook", "compat-fentry,raw-sys"], ["raw-sys", "compat-fentry",
                                                               "twice"]),
                        (["--no-compat", "--hook", "compat-raw"], ["--no-compat", "compat-raw"]),
                        (["--hook", "compat-raw,compat-off"], ["compat-raw", "compat-off",
                                                               "compat-side"])):
        p = lib.run([lib.BIN, "exec"] + args)
        err = p.stderr.decode()
        eq(p.returncode, 2, f"{args}: exit status ({err!r})")
        eq(p.stdout, b"", f"{args}: stdout")
        check(all(w in err.splitlines()[0] for w in words), f"{args}: message {err!r}")
    t = Tracer(["exec", "--json", "-v", "-P", str(ME), "--hook", "raw-sys"]).start()
    t.stop()
    eq(t.rc, 0, "raw-sys -v: exit status")
    err = t.stderr.decode()
    for h in ("compat-fentry", "compat-raw"):
        check(f"hook '{h}': not needed: 'raw-sys' does its work" in err,
              f"raw-sys -v: no reason for skipping {h}: {err[-2000:]!r}")


def test_exec_raw_sys_i386_numbers_are_not_execs():
    """--hook raw-sys: a 32-bit program's syscalls 59 and 322 (oldolduname,
    timerfd_create in the i386 table), failing, are not failed execs."""
    if not _is_amd64():
        raise lib.Skip("x86-64 only")
    e32 = lib.helper("exec32")
    for tr in TRANSPORTS:
        t = _tracer(tr, "raw-sys")
        r = _out([e32, "nr59"]) + _out([e32, "nr322"])
        t.stop()
        eq(r, [str(-errno.EFAULT), str(-errno.EINVAL)], f"{tr}: the syscalls failed as meant")
        evs = t.events("exec")
        eq(sorted((e["filename"], e["ret"]) for e in evs), [(e32, 0), (e32, 0)],
           f"{tr}: exec events (only exec32's own two execs)")


def test_exec_unreadable_argv_is_not_empty():
    """An invalid argv pointer is not argc 0: JSON args_unreadable, table
    [args unreadable]; a real empty argv stays [argc=0]; 64- and 32-bit."""
    edo = lib.helper("exec_do")
    cases = [([edo, "badargv", "/bin/true"], -errno.EFAULT, True, False),
             ([edo, "argc0", "/nonexistent/psx-argc0"], -errno.ENOENT, False, False)]
    if _is_amd64():
        cases.append(([lib.helper("exec32"), "badargv", "/bin/true"], -errno.EFAULT, True, True))
    for tr in TRANSPORTS:
        for hook in SYS_SETS:
            what = f"{tr} {hook or 'default hooks'}"
            t = _tracer(tr, hook)
            tt = Tracer(["exec", "--transport", tr, "-P", str(ME)]
                        + (["--hook", hook] if hook else [])).start()
            for argv, _, _, _ in cases:
                lib.run(argv)
            t.stop()
            tt.stop()
            fails = [e for e in t.events("exec") if e["ret"] != 0]
            eq(len(fails), len(cases), f"{what}: failed execs ({fails})")
            for argv, ret, unreadable, compat in cases:
                # per-CPU perf buffers do not keep order: find each by comm + filename
                comm = os.path.basename(argv[0])
                w = f"{what} {comm} {argv[1]}"
                e = only([e for e in fails if (e["comm"], e["filename"]) == (comm, argv[2])], w)
                check_exec(e, w, ppid=ME, filename=argv[2].encode(), args=[], argc=0,
                           ret=ret, args_unreadable=unreadable,
                           args_truncated=unreadable, args_cut_bytes=0)
                eq(e.get("compat"), compat, f"{w}: compat")
            rows = [ln for ln in tt.text()[1:] if " -14 " in ln or " -2 " in ln]
            eq(len(rows), len(cases), f"{what}: table rows {rows}")
            for argv, ret, unreadable, compat in cases:
                want = f" {ret} " + ("[compat] " if compat else "")
                want += ("[args unreadable] " if unreadable else "[argc=0] ") + argv[2]
                mine = [r for r in rows if r.startswith(os.path.basename(argv[0])[:15] + " ")]
                check(any(r.endswith(want) for r in mine),
                      f"{what}: no table row of {argv[:2]} ends in {want!r}: {mine}")


def test_exec_nine_million_empty_args_cut_exactly():
    """A failed exec (E2BIG) with 9M empty arguments: args_cut_bytes is exact
    (not stopped at 2^20 arguments or at bpf_loop's 2^23 iterations)."""
    path = "/bin/true"
    n = 9_000_000
    argv = [path.encode()] + [b""] * n
    want, trunc, cut = expect_capture(argv, 128 * 1024)
    for tr in TRANSPORTS:
        t = _tracer(tr, None)
        p = lib.run([lib.helper("exec_do"), "manyargs", str(n), path], timeout=120)
        t.stop()
        check(b"Argument list too long" in p.stderr, f"{tr}: helper: {p.stderr!r}")
        e = only([e for e in t.events("exec") if e["ret"] != 0], f"{tr}: failed exec")
        check_exec(e, tr, ppid=ME, filename=path.encode(), ret=-errno.E2BIG,
                   args_truncated=True, args_cut_bytes=cut, args_cut_bytes_exact=True,
                   args_unreadable=False, argc=len(want))
        eq(e["args"], [a.decode() for a in want], f"{tr}: args")


def test_exec_cut_count_lower_bound_says_so():
    """Beyond the measuring budget (64 MiB of cut argv) the count is a lower
    bound, and the record says so: args_cut_bytes_exact false."""
    arg = b"x" * 100_000
    argv = [b"/bin/true"] + [arg] * 700
    total = sum(len(a) + 1 for a in argv)
    for tr in TRANSPORTS:
        m = marker()
        t = _tracer(tr, None)
        _, ret = run_exec(argv + [m.encode()])
        t.stop()
        eq(ret, -errno.E2BIG, f"{tr}: what the caller saw")
        e = only([e for e in t.events("exec") if e["ret"] != 0], f"{tr}: failed exec")
        check_exec(e, tr, ppid=ME, filename=b"/bin/true", ret=-errno.E2BIG,
                   args_truncated=True, args_cut_bytes_exact=False)
        cut = e["args_cut_bytes"]
        check(64 << 20 <= cut <= total - 128 * 1024,
              f"{tr}: args_cut_bytes {cut} is not a lower bound >= 64 MiB of "
              f"{total - 128 * 1024}")


def test_exec_thread_race_losers_not_reported():
    """Threads racing to exec: the winner's exec is reported; the losers,
    killed by its de_thread, never saw a failure: none is reported, and the
    drop is counted (summary stats exec_failures_killed)."""
    edo = lib.helper("exec_do")
    big = ["y" * 100_000] * 20       # a slow copy_strings() widens the window
    for tr in TRANSPORTS:
        m = marker()
        t = _tracer(tr, None)
        rounds = 20
        for _ in range(rounds):
            p = lib.run([edo, "race", "8", "/bin/true", "true", m] + big)
            eq(p.returncode, 0, f"{tr}: race helper exit status ({p.stderr[-300:]!r})")
        t.stop()
        evs = execs(t, m)
        ok = [e for e in evs if e["ret"] == 0]
        bad = [(e["tid"], e["ret"]) for e in evs if e["ret"] != 0]
        eq(bad, [], f"{tr}: failed execs reported from racing threads")
        eq(len(ok), rounds, f"{tr}: successful execs (one per round)")
        st = only(t.events("summary"), f"{tr}: summary")["stats"]
        check(st["exec_failures_killed"] >= 1,
              f"{tr}: no loser counted in {rounds} rounds of 8 threads: {st}")
