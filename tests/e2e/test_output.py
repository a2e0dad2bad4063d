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
    eq(line.count(b"\\u202e"), 5,
       "U+202E escaped in argv[0], an arg, the filename, comm and thread_comm")
    eq(b(json.loads(line)["filename"]), path, "filename decoded from the raw line")


# ---- a tool with nothing to write ----

class QuietBash:
    """A bash of the test's own that never calls readline (a non-interactive
    `read` from a pipe): bashreadline -p on it has no line to report."""

    def __enter__(self):
        self.p = subprocess.Popen(["bash", "-c", "read -r x; :"], stdin=subprocess.PIPE)
        return self.p.pid

    def __exit__(self, *a):
        self.p.stdin.close()
        lib.wait_exit(self.p)


def quiet_uid():
    """A uid no process has (the exec -u filter then never matches)."""
    uid = 4242
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                st = f.read()
        except OSError:
            continue
        if re.search(rf"^Uid:.*\b{uid}\b", st, re.M):
            raise lib.Skip(f"process {pid} runs as uid {uid}")
    return uid


def quiet_tools(bash_pid):
    """(tool name, argv) of each tool, with filters that nothing matches while
    the test runs: the tool has no event, ever, to write."""
    uid = str(quiet_uid())
    return [("exec", ["exec", "-u", uid, "--transport", tr]) for tr in TRANSPORTS] + [
        ("exit", ["exit", "-n", "psx-no-such"]),
        # nobody runs this build's usdt_demo while this test runs
        ("probe", ["probe", f"u:{lib.helper('usdt_demo')}:main"]),
        ("bashreadline", ["bashreadline", "-p", str(bash_pid)]),
    ]


def first_line(p, what, timeout=30):
    """The first stdout line of @p, waiting on the pipe (never past @timeout)."""
    import select
    import time
    fd, buf = p.stdout.fileno(), b""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        r = select.select([fd], [], [], max(left, 0))[0] if left > 0 else []
        chunk = os.read(fd, 65536) if r else b""
        if not chunk:
            p.kill()
            p.wait()
            raise lib.Failure(f"{what}: no first line; stderr {p.stderr.read()[-500:]!r}")
        buf += chunk
    return buf.split(b"\n", 1)[0]


def test_closed_pipe_without_events():
    """| head -1 when no event ever comes: the reader closes after the first
    line (ready, or the header) and the tool must notice it with nothing to
    write: exit 0, silently. The generous timeout is the failure condition."""
    with QuietBash() as bash:
        for name, args in quiet_tools(bash):
            for mode in (["--json"], []):
                what = f"{' '.join(args + mode)}"
                p = subprocess.Popen([lib.BIN] + args + mode, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
                line = first_line(p, what)
                if mode:
                    eq(json.loads(line)["type"], "ready", f"{what}: first line")
                p.stdout.close()           # what head does after its line
                try:
                    rc = p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    raise lib.Failure(f"{what}: still running 20 s after its reader closed")
                eq(rc, 0, f"{what}: exit status")
                eq(p.stderr.read(), b"", f"{what}: stderr")
    # stdout a stream socket whose peer closes: POLLHUP
    import socket
    for typ in (socket.SOCK_STREAM, socket.SOCK_SEQPACKET):
        ours, theirs = socket.socketpair(socket.AF_UNIX, typ)
        p = subprocess.Popen([lib.BIN, "exec", "-u", str(quiet_uid())], stdout=theirs,
                             stderr=subprocess.PIPE)
        theirs.close()
        what = f"exec into a socket ({typ.name})"
        check(ours.recv(4096).startswith(b"PCOMM"), f"{what}: header")
        ours.close()
        try:
            rc = p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise lib.Failure(f"{what}: still running 20 s after the peer closed")
        eq(rc, 0, f"{what}: exit status")
        eq(p.stderr.read(), b"", f"{what}: stderr")
    # the issue's own command line, its status as the shell sees it
    uid = quiet_uid()
    sh = subprocess.Popen(["sh", "-c", f'{{ "{lib.BIN}" exec -u {uid}; echo "rc=$?" >&2; }} | head -1'],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = sh.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        sh.kill()
        sh.communicate()
        raise lib.Failure(f"exec -u {uid} | head -1: still running after 20 s")
    check(out.startswith(b"PCOMM"), f"head -1 got {out!r}")
    eq(err, b"rc=0\n", "exit status and stderr of exec behind | head -1")


# ---- write errors ----

ENOSPC_LINE = "{}: write error: No space left on device"


def test_write_error_dev_full():
    """stdout on /dev/full: one clear line, the summary on stderr, exit 1,
    for every tool and both output modes (with nothing to trace, the only
    line not written is the ready line or the header); and for the paths
    that print without tracing (--help, --version, probe --list)."""
    with QuietBash() as bash:
        for name, args in quiet_tools(bash):
            for mode in (["--json"], []):
                what = " ".join(args + mode)
                with open("/dev/full", "wb") as full:
                    p = subprocess.run([lib.BIN] + args + mode, stdout=full,
                                       stderr=subprocess.PIPE, timeout=60)
                eq(p.returncode, 1, f"{what}: exit status")
                eq(p.stderr.decode().splitlines(),
                   [ENOSPC_LINE.format(name), f"{name}: 0 events, 0 lost, 1 line not written"],
                   f"{what}: stderr")
    for name, args in [("procsnoop", ["--help"]), ("procsnoop", ["--version"]),
                       ("exec", ["exec", "--help"]), ("exit", ["exit", "--help"]),
                       ("probe", ["probe", "--list", lib.helper("usdt_demo")])]:
        with open("/dev/full", "wb") as full:
            p = subprocess.run([lib.BIN] + args, stdout=full, stderr=subprocess.PIPE,
                               timeout=60)
        eq(p.returncode, 1, f"{' '.join(args)} > /dev/full: exit status")
        eq(p.stderr.decode(), ENOSPC_LINE.format(name) + "\n",
           f"{' '.join(args)} > /dev/full: stderr")


class SmallTmpfs:
    """A 64 KiB tmpfs on a temporary directory, unmounted at the end."""

    def __enter__(self):
        import tempfile
        self.path = tempfile.mkdtemp(prefix="psxfull")
        p = lib.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "psxfull", self.path])
        if p.returncode:
            os.rmdir(self.path)
            raise lib.Skip(f"cannot mount a tmpfs: {p.stderr.decode().strip()}")
        return self.path

    def __exit__(self, *a):
        lib.run(["umount", self.path])
        os.rmdir(self.path)


def wait_first_line(path, p, what, timeout=30):
    """Wait (inotify on the file, no sleeps) until the tool has written its
    first line into @path."""
    import ctypes
    import select
    import time
    libc = ctypes.CDLL(None, use_errno=True)
    ino = libc.inotify_init1(os.O_CLOEXEC)
    check(ino >= 0, "inotify_init1 failed")
    try:
        check(libc.inotify_add_watch(ino, path.encode(), 0x2) >= 0, "inotify_add_watch")  # IN_MODIFY
        deadline = time.monotonic() + timeout
        while True:
            with open(path, "rb") as f:
                if b"\n" in f.read(65536):
                    return
            left = deadline - time.monotonic()
            if left <= 0 or p.poll() is not None:
                raise lib.Failure(f"{what}: no first line in the file (rc {p.poll()})")
            if select.select([ino], [], [], min(left, 1.0))[0]:
                os.read(ino, 4096)
    finally:
        os.close(ino)


def test_write_error_full_filesystem():
    """stdout on a small tmpfs that the events fill: every line in the file
    is whole (the one the error cut is cut off again), the tool says why it
    stopped and how many lines did not reach the file, and lines written +
    lines not written = ready/header + events. Both transports."""
    pad = "p" * 400                      # ~1 KiB lines: some 60 fill 64 KiB
    for tr, mode in [("ringbuf", ["--json"]), ("perf", ["--json"]), ("ringbuf", [])]:
        what = f"{tr} {mode}"
        marks = [marker() for _ in range(600)]
        with SmallTmpfs() as d:
            path = os.path.join(d, "out")
            with open(path, "wb") as out:
                p = subprocess.Popen([lib.BIN, "exec", "-P", str(ME), "--transport", tr] + mode,
                                     stdout=out, stderr=subprocess.PIPE)
            wait_first_line(path, p, what)
            made = 0
            for m in marks:
                if p.poll() is not None:
                    break
                run_exec(["/bin/true", m, pad])
                made += 1
            try:
                err = p.communicate(timeout=60)[1].decode()
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                raise lib.Failure(f"{what}: still running after {made} execs into a full tmpfs")
            with open(path, "rb") as f:
                data = f.read()
        eq(p.returncode, 1, f"{what}: exit status")
        lines = err.splitlines()
        eq(len(lines), 2, f"{what}: stderr lines {lines}")
        eq(lines[0], ENOSPC_LINE.format("exec"), f"{what}: the error line")
        s = re.fullmatch(r"exec: (\d+) events, (\d+) lost, (\d+) lines? not written", lines[1])
        check(s, f"{what}: summary line {lines[1]!r}")
        events, lost, unwritten = (int(x) for x in s.groups())
        check(len(data) > 60000, f"{what}: only {len(data)} bytes reached the 64 KiB tmpfs")
        check(data.endswith(b"\n"), f"{what}: the file ends in a cut line: {data[-80:]!r}")
        rows = data.split(b"\n")[:-1]
        eq(lost, 0, f"{what}: records lost")
        check(events <= made and unwritten >= 1, f"{what}: {events} events of {made} execs, "
              f"{unwritten} not written")
        eq(len(rows) + unwritten, 1 + events, f"{what}: lines written + not written")
        seen = set()
        for i, row in enumerate(rows[1:]):
            got = [m for m in (row.split(b'"')[1::2] if mode else row.split())
                   if m.startswith(b"psx") and len(m) == 15]
            check(len(got) == 1 and got[0].decode() in marks and got[0] not in seen,
                  f"{what}: row {i + 1} is not one of the test's execs: {row[:200]!r}")
            seen.add(got[0])
            if mode:
                e = json.loads(row)
                eq(e["args"], ["/bin/true", got[0].decode(), pad], f"{what}: row {i + 1} args")


# ---- fds 0-2 closed at start ----

def wchar(pid):
    with open(f"/proc/{pid}/io") as f:
        return int(re.search(r"^wchar: (\d+)$", f.read(), re.M).group(1))


def std_fds(pid):
    return [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in range(3)]


def closing(fd):
    return lambda: os.close(fd)


def test_closed_stdin_stderr_at_start():
    """fd 0 or fd 2 closed at start: the tool gives it /dev/null (no BPF
    object or message lands there), runs, reports the test's exec exactly
    and exits 0 with its summary."""
    for fd in (0, 2):
        for mode in (["--json"], []):
            what = f"fd {fd} closed {mode}"
            m = marker()
            t = Tracer(["exec", "-P", str(ME)] + mode, preexec_fn=closing(fd)).start()
            fds = std_fds(t.proc.pid)
            pid, rc = run_exec(["/bin/true", m])
            t.stop()
            eq(fds[fd], "/dev/null", f"{what}: fd {fd} of the running tool")
            eq(t.rc, 0, f"{what}: exit status")
            if mode:
                e = only(execs(t, m), f"{what}: event")
                check_exec(e, what, pid=pid, args=[b"/bin/true", m.encode()], ret=0)
                eq(t.records()[-1]["type"], "summary", f"{what}: last line")
            else:
                eq(len([ln for ln in t.lines if m.encode() in ln]), 1, f"{what}: row")
                eq(t.stderr, b"" if fd == 2 else b"exec: 1 events, 0 lost\n", f"{what}: stderr")


def test_closed_stdout_at_start():
    """fd 1 closed at start (`>&-`): the ready line goes to /dev/null, not
    into a BPF object; the tool runs and exits 0. Every tool. Its first write
    (wchar, with nothing on stderr) is the ready line: after it, the test's
    execs are counted exactly in the summary on stderr."""
    with QuietBash() as bash:
        tools = [("exec", ["exec", "-P", str(ME)])] + quiet_tools(bash)[2:]
        for name, args in tools:
            what = f"{' '.join(args)} >&-"
            p = subprocess.Popen([lib.BIN] + args, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, preexec_fn=closing(1))
            import time
            deadline = time.monotonic() + 30
            while wchar(p.pid) == 0:       # wait for the first write: the header
                check(p.poll() is None and time.monotonic() < deadline,
                      f"{what}: no header written (rc {p.poll()})")
                time.sleep(0.01)
            fds = std_fds(p.pid)
            if name == "exec":
                for _ in range(3):
                    run_exec(["/bin/true", marker()])
            p.send_signal(2)
            try:
                err = p.communicate(timeout=30)[1]
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                raise lib.Failure(f"{what}: did not exit on SIGINT")
            eq(fds[1], "/dev/null", f"{what}: fd 1 of the running tool")
            eq(p.returncode, 0, f"{what}: exit status")
            n = 3 if name == "exec" else 0
            eq(err.decode(), f"{name}: {n} events, 0 lost\n", f"{what}: stderr")


# tests/run.py skips this module inside test_fresh's chroot, saying why (CI time)
FRESH_INSIDE_SKIP = "stdout handling (pipes, closed readers) is not about the machine; the suite outside runs it"
