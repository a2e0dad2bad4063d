# SPDX-License-Identifier: GPL-2.0
"""execsnoop as a command: signals and draining, closed pipes, privileges,
bad options, the binary's own --help/--version/links, and loss accounting
(nothing lost silently; small events cost small slots)."""
import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from test_exec_lib import (TRANSPORTS, Tracer, b, check, check_exec,  # noqa: E402
                           check_whole_or_counted, eq, execs, marker, only, run_exec)

ME = os.getpid()


def test_exec_signals_drain():
    """SIGINT and SIGTERM: exit 0 with everything already buffered printed, then
    the summary. The tracer is stopped (SIGSTOP) while the execs happen, so
    they can only reach the output through the final drain."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        for mode in (["--json"], []):
            marks = [marker() for _ in range(20)]
            # -P: the test's own children only; while the tracer is stopped the
            # rest of the machine must not be able to fill its buffer
            t = Tracer(["exec", "-P", str(os.getpid())] + mode).start()
            t.proc.send_signal(signal.SIGSTOP)
            try:
                for m in marks:
                    run_exec(["/bin/true", m])
                t.proc.send_signal(sig)
            finally:
                t.proc.send_signal(signal.SIGCONT)
            t.stop(sig=sig)
            what = f"{signal.Signals(sig).name} {mode}"
            eq(t.rc, 0, f"{what}: exit status")
            if mode:
                for m in marks:
                    only(execs(t, m), f"{what}: event of an exec made while stopped")
                summ = only(t.events("summary"), f"{what}: summary")
                eq(t.records()[-1]["type"], "summary", f"{what}: summary is the last line")
                check(summ["events"] >= len(marks) and summ["lost"] == 0,
                      f"{what}: summary {summ}")
            else:
                for m in marks:
                    eq(len([ln for ln in t.lines if m.encode() in ln]), 1, f"{what}: row of {m}")
                check(re.search(rb"^exec: \d+ events, 0 lost$", t.stderr, re.M),
                      f"{what}: summary on stderr: {t.stderr!r}")


def test_exec_closed_pipe():
    """Output to a closed pipe (| head -1): exit 0 at once, no error text."""
    for mode in (["--json"], []):
        p = subprocess.Popen([lib.BIN, "exec"] + mode, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        first = p.stdout.readline()
        check(first, f"{mode}: no first line")
        p.stdout.close()           # what head does after its line
        # make events until the tool writes, meets EPIPE and leaves (bounded)
        for _ in range(2000):
            if p.poll() is not None:
                break
            run_exec(["/bin/true", "psx-pipe"])
        else:
            p.kill()
            raise lib.Failure(f"{mode}: still running after 2000 execs into a closed pipe")
        err = p.stderr.read()
        eq(p.wait(), 0, f"{mode}: exit status")
        eq(err, b"", f"{mode}: stderr")
    # and a real shell pipeline: the tool's own exit status, captured by sh
    m = marker()
    sh = subprocess.Popen(["sh", "-c", f'{{ "{lib.BIN}" exec 2>&1; echo "rc=$?" >&2; }} | head -1'],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for _ in range(2000):
        if sh.poll() is not None:
            break
        run_exec(["/bin/true", m])
    out, err = sh.communicate(timeout=30)
    check(out.startswith(b"PCOMM"), f"head -1 got {out!r}")
    eq(err, b"rc=0\n", "tool exit status and stderr behind | head -1")


def test_exec_not_root():
    """Without privileges: one clear line, exit 1. (A copy of the binary: uid 65534
    cannot reach the build dir of a clone in /root.)"""
    with lib.PublicBin() as d:
        exe = os.path.join(d, "procsnoop")
        cmds = [
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
             exe, "exec"],
            ["capsh", "--drop=cap_sys_admin,cap_bpf,cap_perfmon", "--", "-c",
             f'exec "{exe}" exec --json'],
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
             os.path.join(d, "execsnoop")],
        ]
        for argv in cmds:
            _not_root_one(argv)


def _not_root_one(argv):
    if not shutil.which(argv[0]):
        raise lib.Skip(f"{argv[0]} not installed")
    p = lib.run(argv, timeout=30)
    err = p.stderr.decode()
    eq(p.returncode, 1, f"{argv[:2]}: exit status ({err!r})")
    eq(p.stdout, b"", f"{argv[:2]}: stdout")
    eq(len(err.splitlines()), 1, f"{argv[:2]}: stderr lines ({err!r})")
    check(err.startswith("execsnoop: ") and "permission" in err and "CAP_BPF" in err,
          f"{argv[:2]}: message {err!r}")


def test_no_btf_one_line():
    """A kernel without BTF: one clear line, exit 1, for every tool. Simulated
    by hiding /sys/kernel/btf under a tmpfs in a private mount namespace."""
    if not shutil.which("unshare"):
        raise lib.Skip("unshare not installed")
    for tool in ("exec", "exit", "bashreadline"):
        p = lib.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                     f'mount -t tmpfs none /sys/kernel/btf && exec "{lib.BIN}" {tool} --json'],
                    timeout=30)
        err = p.stderr.decode()
        eq(p.returncode, 1, f"{tool}: exit status ({err!r})")
        eq(p.stdout, b"", f"{tool}: stdout")
        eq(len(err.splitlines()), 1, f"{tool}: stderr lines ({err!r})")
        check("BTF" in err and "/sys/kernel/btf/vmlinux" in err,
              f"{tool}: message {err!r}")


BAD = [
    (["--bogus"], "unknown option '--bogus'"),
    (["-Z"], "unknown option '-Z'"),
    (["-u"], "'-u' needs a value"),
    (["-u", "psx-no-such-user"], "invalid uid 'psx-no-such-user'"),
    (["-u", "-5"], "invalid uid '-5'"),
    (["-P", "0"], "invalid ppid '0'"),
    (["-P", "abc"], "invalid ppid 'abc'"),
    (["-P", "99999999999"], "invalid ppid '99999999999'"),
    (["-n", ""], "--name"),
    (["-l", ""], "--line"),
    (["-c", ""], "--cgroup needs a non-empty PATH"),
    (["-c", "a", "-c", "b"], "--cgroup given twice"),
    (["-n", "sixteen-bytes-xx"], "--name 'sixteen-bytes-xx' can never match"),
    (["-n", "a", "-n", "b"], "--name given twice ('a', 'b')"),
    (["-l", "a", "--line", "b"], "--line given twice ('a', 'b')"),
    # -u/-P twice: refused like -n/-l/-c, never only the last one silently
    (["-u", "0", "-u", "1"], "--uid given twice ('0', '1')"),
    (["-P", "1", "--ppid", "2"], "--ppid given twice ('1', '2')"),
    (["--max-args", "0"], "invalid --max-args '0'"),
    (["--max-args", "x"], "invalid --max-args 'x'"),
    (["--max-args-bytes", "0"], "invalid --max-args-bytes '0'"),
    (["--max-args-bytes", "5M"], "invalid --max-args-bytes '5M'"),
    (["--max-args-bytes", "1X"], "invalid --max-args-bytes '1X'"),
    (["--max-args-bytes", "-1"], "invalid --max-args-bytes '-1'"),
    (["--max-args-bytes", "1.5"], "invalid --max-args-bytes '1.5'"),
    (["--max-args-bytes", "0x10"], "invalid --max-args-bytes '0x10'"),
    (["--max-args-bytes", "1e3"], "invalid --max-args-bytes '1e3'"),
    (["--buffer-size", "100K"], "invalid --buffer-size '100K'"),
    (["--buffer-size", "32K"], "invalid --buffer-size '32K'"),
    (["--buffer-size", "2G"], "invalid --buffer-size '2G'"),
    (["--transport", "foo"], "invalid --transport 'foo'"),
    (["--hook", "foo"], "unknown hook 'foo'"),
    (["--hook", "sys-tp,raw-sys"], "both syscall-side hooks"),
    (["--hook", "exec-btf,exec-tp"], "both exec-side hooks"),
    (["--hook", ","], "--hook needs a LIST"),
    (["-T", "-t"], "-T and -t are exclusive"),
    (["stray"], "unexpected argument 'stray'"),
]


def test_exec_bad_options():
    """Bad options and values: a specific usage error, exit 2, nothing on stdout."""
    for args, msg in BAD:
        p = lib.run([lib.BIN, "exec"] + args, timeout=10)
        err = p.stderr.decode()
        eq(p.returncode, 2, f"{args}: exit status ({err!r})")
        eq(p.stdout, b"", f"{args}: stdout")
        first = err.splitlines()[0] if err else ""
        check(first.startswith("execsnoop: ") and msg in first, f"{args}: message {err!r}")
        check(len(err.splitlines()) <= 2 and "--help" in err, f"{args}: stderr {err!r}")


def test_exec_binary_help_version_links():
    """procsnoop --help / --version; the execsnoop link is 'procsnoop exec'."""
    p = lib.run([lib.BIN, "--help"])
    eq(p.returncode, 0, "--help exit status")
    check(b"exec" in p.stdout and b"execsnoop" in p.stdout, f"--help: {p.stdout[:300]!r}")
    p = lib.run([lib.BIN, "--version"])
    eq(p.returncode, 0, "--version exit status")
    check(re.match(rb"^procsnoop \S+\n$", p.stdout), f"--version: {p.stdout!r}")
    version = p.stdout.split()[1].decode()
    for argv, rc in (([], 2), (["psx-no-such-tool"], 2)):
        p = lib.run([lib.BIN] + argv)
        eq(p.returncode, rc, f"procsnoop {argv}: exit status")
        check(p.stderr, f"procsnoop {argv}: no message")
    link = os.path.join(lib.BUILD, "execsnoop")
    eq(os.readlink(link), "procsnoop", "build/execsnoop is a link to procsnoop")
    p = lib.run([link, "--help"])
    check(p.returncode == 0 and p.stdout.startswith(b"Usage: execsnoop"),
          f"execsnoop --help: {p.stdout[:100]!r}")
    m = marker()
    with Tracer(["--json"], argv0="execsnoop") as t:
        pid, _ = run_exec(["/bin/true", m])
    eq(t.ready.get("tool"), "exec", "link: ready tool")
    eq(t.ready.get("version"), version, "link: ready version")
    check_exec(only(execs(t, m), "link event"), "execsnoop link", pid=pid, ppid=ME, ret=0)


def _gated(args):
    """exec_do waiting on stdin, so the tracer can filter on its pid (-P) in the
    kernel: the counts below are then the test's own, not other people's."""
    return subprocess.Popen([lib.helper("exec_do"), "gate"] + args, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _min_buffer(tr, max_bytes):
    """The smallest --buffer-size the tool accepts for --max-args-bytes @max_bytes,
    as its refusal of a 64K buffer says."""
    p = lib.run([lib.BIN, "exec", "--transport", tr, "--max-args-bytes", max_bytes,
                 "--buffer-size", "64K"], timeout=10)
    err = p.stderr.decode()
    m = re.search(r"the smallest buffer that works is (\d+[KM])", err)
    check(p.returncode == 2 and m, f"{tr}: 64K for {max_bytes} of argv: rc {p.returncode} {err!r}")
    return m.group(1)


def _stopped_burst(args, n, size, m, path="/bin/true"):
    """A burst of @n execs of @path with @size bytes of argv while the tracer is
    stopped (SIGSTOP): nothing is consumed meanwhile, so a buffer that holds one
    event whole must lose records, whatever the speed of the machine. A @path
    that does not exist: @n failed execs (argv read back by the syscall exit)."""
    h = _gated(["bigburst", str(n), str(size), path, m])
    t = Tracer(args + ["-P", str(h.pid)]).start()
    t.proc.send_signal(signal.SIGSTOP)
    try:
        h.stdin.write(b"g")
        h.stdin.close()
        eq(lib.wait_exit(h), 0, "burst helper exit status")
    finally:
        t.proc.send_signal(signal.SIGCONT)
    return t.stop()


def test_exec_losses_reported():
    """The smallest buffer that holds one 1 MiB-argv exec, under a burst of 30
    such execs while the tracer is stopped: losses are reported (lost lines,
    summary) and account exactly for every event that is missing or flagged
    incomplete; delivered events are flagged, never silently short."""
    n, size = 30, 1 << 20
    for tr, path in ((tr, path) for tr in TRANSPORTS
                     for path in ("/bin/true", "/nonexistent/psx-burst")):
        m = marker()
        t = _stopped_burst(["exec", "--json", "--transport", tr, "--buffer-size",
                            _min_buffer(tr, "1M"), "--max-args-bytes", "1M"], n, size, m, path)
        tr = f"{tr} {path}"
        eq(t.rc, 0, f"{tr}: exit status")
        ev = execs(t, m)
        lost = t.events("lost")
        summ = only(t.events("summary"), "summary")
        total = summ["lost"]
        check(total > 0, f"{tr}: no loss reported for {n} x 1 MiB events into a stopped tracer")
        eq(sum(x["count"] for x in lost), total, f"{tr}: lost counts add up to the summary")
        check(all(x["total"] <= total for x in lost), f"{tr}: lost totals {lost}")
        bad = [e for e in ev if e.get("incomplete")]
        whole = [e for e in ev if not e.get("incomplete")]
        check(whole, f"{tr}: not even the first event arrived whole ({len(ev)} events)")
        for e in ev:
            eq(e["filename"], path, f"{tr}: filename")
            full = (not e.get("incomplete") and not e["args_truncated"] and
                    sum(len(a.encode("utf-8", "surrogateescape")) + 1 for a in e["args"]) == size)
            check(full or (e.get("incomplete") and e["args_truncated"]),
                  f"{tr}: an event neither whole nor flagged: argc {len(e['args'])}")
            check_whole_or_counted(e, summ, tr)
        # each event that met a full buffer lost exactly one record, then stopped sending
        eq(n - len(ev) + len(bad), total,
           f"{tr}: missing ({n - len(ev)}) + incomplete ({len(bad)}) events vs lost records")
    # table mode: losses on stderr, as they happen and in the summary
    m = marker()
    t = _stopped_burst(["exec", "--buffer-size", _min_buffer("ringbuf", "1M"),
                        "--transport", "ringbuf", "--max-args-bytes", "1M"], n, size, m)
    err = t.stderr.decode()
    said = [int(x) for x in re.findall(r"^exec: lost (\d+) records: the buffer was full", err, re.M)]
    summ = re.search(r"^exec: (\d+) events, (\d+) lost$", err, re.M)
    check(said and summ and sum(said) == int(summ.group(2)) > 0,
          f"table mode: loss lines {said} vs summary {summ and summ.group(0)}: {err!r}")
    rows = [ln for ln in t.lines if m.encode() in ln]
    check(all(ln.endswith(b" ...") or b"bytes cut]" in ln or len(ln) > size for ln in rows),
          "table mode: a short row without a truncation mark")


def test_exec_buffer_fits_max_args_bytes():
    """A --buffer-size that cannot hold one exec of --max-args-bytes is refused
    (exit 2) with the smallest that works; that smallest one delivers such an
    exec whole; and without --buffer-size the default is raised to fit (a 4 MiB
    argv with --max-args-bytes 4M arrived incomplete through the 4M default)."""
    import resource

    def big_stack():
        # execve refuses argv beyond a quarter of the stack limit
        resource.setrlimit(resource.RLIMIT_STACK, (64 << 20, 64 << 20))

    for tr in TRANSPORTS:
        p = lib.run([lib.BIN, "exec", "--transport", tr, "--max-args-bytes", "4M",
                     "--buffer-size", "1M"], timeout=10)
        err = p.stderr.decode()
        eq(p.returncode, 2, f"{tr}: 4M of argv in 1M: exit status ({err!r})")
        check(err.startswith("execsnoop: --buffer-size 1M cannot hold one exec of "
                             "--max-args-bytes 4M: the smallest buffer that works is "),
              f"{tr}: message {err!r}")
        for mb, size, buf in (("1M", 1 << 20, [_min_buffer(tr, "1M")]), ("4M", 4 << 20, [])):
            m = marker()
            h = subprocess.Popen([lib.helper("exec_do"), "gate", "bigburst", "1", str(size),
                                  "/bin/true", m], stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 preexec_fn=big_stack)
            with Tracer(["exec", "--json", "--transport", tr, "--max-args-bytes", mb, "-P",
                         str(h.pid)] + (["--buffer-size"] + buf if buf else [])) as t:
                h.stdin.write(b"g")
                h.stdin.close()
                eq(lib.wait_exit(h), 0, "big exec helper exit status")
            e = only(execs(t, m), f"{tr} {mb} {buf}: the big exec")
            what = f"{tr} --max-args-bytes {mb} --buffer-size {buf or 'default'}"
            check(not e.get("incomplete") and not e["args_truncated"],
                  f"{what}: incomplete {e.get('incomplete')} truncated {e['args_truncated']}")
            eq(sum(len(b(a)) + 1 for a in e["args"]), size, f"{what}: argv bytes")
            eq(only(t.events("summary"), "summary")["lost"], 0, f"{what}: lost")


def test_exec_small_events_small_slots():
    """2000 short execs through a 256K ring: nothing lost (a short command line
    costs a short record, not a 128 KiB slot)."""
    n = 2000
    m = marker()
    h = _gated(["burst", str(n), "/bin/true", "true", m])
    t = Tracer(["exec", "--json", "--buffer-size", "256K", "-P", str(h.pid)]).start()
    h.stdin.write(b"g")
    h.stdin.close()
    eq(lib.wait_exit(h, timeout=120), 0, "burst helper exit status")
    t.stop()
    summ = only(t.events("summary"), "summary")
    eq(t.events("lost"), [], "lost lines")
    eq(summ["lost"], 0, "summary lost")
    ev = execs(t, m)
    eq(len(ev), n, "events")
    # processes, not pids: on a busy machine pids wrap within a burst of 2000
    eq(len({e["entity_id"] for e in ev}), n, "distinct processes (entity_id)")
    check(all(e["ppid"] == h.pid and e["args"] == ["true", m] and e["ret"] == 0 for e in ev),
          "every event is one of the burst's, whole")

