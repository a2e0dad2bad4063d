# SPDX-License-Identifier: GPL-2.0
"""-o/--output FILE (every tool) and the writer thread (src/lib/out.c):
the file is appended to and has mode 0600; SIGHUP reopens it after a rename
(logrotate's way); size rotation during a storm never loses or tears a
line; a full filesystem ends the tool with a clear error and status 1; a
reader that stops makes the writer's queue overflow, and every line dropped
is counted (output_dropped), apart from kernel losses."""
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import check, eq  # noqa: E402

# tests/run.py skips this module inside test_fresh's chroot, saying why (CI time)
FRESH_INSIDE_SKIP = "file output, rotation and a full disk are not about the machine; the suite outside runs them"
from test_bench_smoke import STORM, build_storm  # noqa: E402
from test_exec_lib import TmpDir, marker, run_exec  # noqa: E402
from test_output import QuietBash, SmallTmpfs, quiet_tools, wait_first_line  # noqa: E402

ME = os.getpid()


def lines_of(path):
    """Every line of @path, each decoded as JSON (a torn or garbled line fails)."""
    with open(path, "rb") as f:
        data = f.read()
    check(data == b"" or data.endswith(b"\n"), f"{path} ends in a cut line: {data[-120:]!r}")
    out = []
    for i, ln in enumerate(data.split(b"\n")[:-1]):
        try:
            out.append(json.loads(ln))
        except ValueError:
            raise lib.Failure(f"{path} line {i + 1} is not JSON: {ln[:200]!r}")
    return out


def wait_for(cond, what, timeout=30):
    """Poll @cond (the tool's output, a file appearing) until true; fail after @timeout."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise lib.Failure(f"{what}: not within {timeout}s")
        time.sleep(0.02)


def has(path, needle):
    try:
        with open(path, "rb") as f:
            return needle in f.read()
    except FileNotFoundError:
        return False


class FileTool:
    """A tool run with -o PATH: ready when its ready line is in the file."""

    def __init__(self, path, args):
        self.path, self.args = path, list(args)

    def __enter__(self):
        self.p = subprocess.Popen([lib.BIN] + self.args + ["-o", self.path],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: os.path.exists(self.path) or self.p.poll() is not None,
                 f"{self.args}: {self.path} created")
        if self.p.poll() is not None:
            raise lib.Failure(f"{self.args}: exited at start: {self.p.stderr.read()!r}")
        # the ready line of this run (an appended file has lines before it)
        ready = b'{"type":"ready","tool":"%s"' % self.args[0].encode()
        pid = b',"pid":%d,' % self.p.pid
        wait_for(lambda: any(ln.startswith(ready) and pid in ln
                             for ln in open(self.path, "rb").read().split(b"\n"))
                 or self.p.poll() is not None, f"{self.args}: the ready line")
        if self.p.poll() is not None:
            raise lib.Failure(f"{self.args}: exited at start: {self.p.stderr.read()!r}")
        return self

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        try:
            self.out, err = self.p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.communicate()
            raise lib.Failure(f"{self.args}: did not stop within 30 s of SIGINT")
        self.err = err.decode()
        self.rc = self.p.returncode
        return self

    def __exit__(self, *a):
        if self.p.returncode is None:
            self.p.kill()
            self.p.wait()


def markers_in(records, prefix):
    """The markers (argv[1] starting with @prefix) of the exec records."""
    return [r["args"][1] for r in records
            if r.get("type") == "exec" and len(r["args"]) > 1 and r["args"][1].startswith(prefix)]


def test_output_file_mode_and_append():
    """A new file is created with mode 0600 even under umask 0; an existing
    one is appended to (its lines stay first) and a wider mode is narrowed
    to 0600 with a message; the events land in the file, not on stdout."""
    with TmpDir() as d:
        new, old = os.path.join(d, "new.jsonl"), os.path.join(d, "old.jsonl")
        with open(old, "w") as f:
            f.write('{"type":"before"}\n')
        os.chmod(old, 0o644)
        prev = os.umask(0)
        try:
            for path in (new, old):
                m = marker()
                with FileTool(path, ["exec", "--json", "-P", str(ME)]) as t:
                    pid, rc = run_exec(["/bin/true", m, "two words"])
                    wait_for(lambda: has(path, m.encode()), f"{m} in {path}")
                    t.stop()
                eq(t.rc, 0, f"{path}: exit status (stderr {t.err!r})")
                eq(t.out, b"", f"{path}: stdout")
                eq(stat.S_IMODE(os.stat(path).st_mode), 0o600, f"{path}: mode")
                recs = lines_of(path)
                if path == old:
                    eq(recs[0], {"type": "before"}, "the old file's line, first")
                    recs = recs[1:]
                    eq(t.err, f"exec: {old} had mode 0644: set to 0600 (records hold command "
                       "lines)\n", "stderr for a 0644 file")
                else:
                    eq(t.err, "", "stderr for a new file")
                eq([r["type"] for r in recs], ["ready", "exec", "summary"], f"{path}: records")
                e = recs[1]
                eq((e["pid"], e["args"], e["ret"]), (pid, ["/bin/true", m, "two words"], 0),
                   f"{path}: the exec")
                eq(recs[2]["stats"]["output_dropped"], 0, f"{path}: output_dropped")
        finally:
            os.umask(prev)


def test_output_every_tool():
    """Each tool takes -o: its ready line and summary go to the file (mode
    0600), nothing to stdout, exit 0."""
    with QuietBash() as bash, TmpDir() as d:
        for name, args in quiet_tools(bash):
            path = os.path.join(d, f"{name}-{len(os.listdir(d))}.jsonl")
            with FileTool(path, args + ["--json"]) as t:
                # capabilities are per thread: the writer started after the drop
                caps = {}
                for tid in os.listdir(f"/proc/{t.p.pid}/task"):
                    st = open(f"/proc/{t.p.pid}/task/{tid}/status").read()
                    caps[tid] = re.search(r"^CapEff:\s*(\S+)", st, re.M).group(1)
                t.stop()
            check(len(caps) >= 2 and len(set(caps.values())) == 1,
                  f"{' '.join(args)}: threads' CapEff differ: {caps}")
            what = " ".join(args)
            eq((t.rc, t.out, t.err), (0, b"", ""), f"{what}: status, stdout, stderr")
            recs = lines_of(path)
            eq([(r["type"], r["tool"]) for r in recs], [("ready", name), ("summary", name)],
               f"{what}: records")
            eq(stat.S_IMODE(os.stat(path).st_mode), 0o600, f"{what}: mode")


def test_output_usage_errors():
    """Bad output options: exit 2 with a specific message; an unopenable file: exit 1."""
    cases = [(["-o", ""], "--output needs a non-empty FILE"),
             (["-o", "/tmp/a", "-o", "/tmp/b"], "--output given twice"),
             (["-o", "/tmp/psx-x", "--output-keep", "3"], "--output-keep needs --output-max-size"),
             (["--output-max-size", "1M"], "rotate the file of -o FILE"),
             (["-o", "/tmp/psx-x", "--output-max-size", "1k"], "invalid --output-max-size '1k'"),
             (["-o", "/tmp/psx-x", "--output-max-size", "1M", "--output-keep", "0"],
              "invalid --output-keep '0'"),
             (["--output-queue", "10"], "invalid --output-queue '10'")]
    for args, msg in cases:
        p = lib.run([lib.BIN, "exec"] + args)
        eq(p.returncode, 2, f"exec {args}: exit status")
        check(msg in p.stderr.decode(), f"exec {args}: stderr {p.stderr!r} lacks {msg!r}")
    check(not os.path.exists("/tmp/psx-x"), "a refused command line created its -o file")
    p = lib.run([lib.BIN, "exec", "-o", "/nonexistent-psx/x"])
    eq((p.returncode, p.stderr.decode()),
       (1, "exec: cannot open the output file /nonexistent-psx/x: No such file or directory\n"),
       "an -o FILE in a missing directory")


def test_output_sighup_reopen():
    """logrotate's way: rename the file, SIGHUP; the tool creates a new file
    (0600) and writes on there. The execs before the rename are in the
    renamed file, those after it in the new one, each once, every line JSON."""
    with TmpDir() as d:
        path = os.path.join(d, "x.jsonl")
        before, after = [marker() for _ in range(20)], [marker() for _ in range(20)]
        with FileTool(path, ["exec", "--json", "-P", str(ME)]) as t:
            for m in before:
                run_exec(["/bin/true", m])
            wait_for(lambda: has(path, before[-1].encode()), "the last exec before the rename")
            os.rename(path, path + ".1")
            t.p.send_signal(signal.SIGHUP)
            wait_for(lambda: os.path.exists(path), "a new file after SIGHUP")
            for m in after:
                run_exec(["/bin/true", m])
            wait_for(lambda: has(path, after[-1].encode()), "the last exec after the rename")
            t.stop()
        eq(t.rc, 0, f"exit status (stderr {t.err!r})")
        eq(stat.S_IMODE(os.stat(path).st_mode), 0o600, "the new file's mode")
        old, new = lines_of(path + ".1"), lines_of(path)
        eq(old[0]["type"], "ready", "the renamed file starts with the ready line")
        eq(new[-1]["type"], "summary", "the new file ends with the summary")
        eq(markers_in(old, "psx"), before, "execs in the renamed file")
        eq(markers_in(new, "psx"), after, "execs in the new file")


def rotation_storm(d, tr, max_size, keep, n):
    """A storm of @n execs (8 workers) with -o FILE --output-max-size; returns
    (prefix, {file: records}, summary, tool)."""
    path = os.path.join(d, "r.jsonl")
    prefix = f"ROT{os.getpid()}{tr}{keep}-"
    with FileTool(path, ["exec", "--json", "--transport", tr, "-l", prefix,
                         "--output-max-size", str(max_size), "--output-keep", str(keep)]) as t:
        p = lib.run([STORM, "-n", str(n), "-P", "8", "-k", "4", "-l", "300", "-m", prefix,
                     "-t", os.path.join(d, "truth")], timeout=120)
        eq(p.returncode, 0, f"storm (stderr {p.stderr!r})")
        t.stop()        # SIGINT: what the kernel buffered is still delivered
    eq(t.rc, 0, f"{tr}: exit status (stderr {t.err!r})")
    files = {f: lines_of(os.path.join(d, f)) for f in os.listdir(d) if f.startswith("r.jsonl")}
    summary = files["r.jsonl"][-1]
    eq(summary["type"], "summary", f"{tr}: the last line of the current file")
    for f in files:
        eq(stat.S_IMODE(os.stat(os.path.join(d, f)).st_mode), 0o600, f"{tr}: {f} mode")
    return prefix, files, summary


def test_output_rotation_storm():
    """--output-max-size 64K during a storm of 8 workers: every line of every
    file is valid JSON, each of the storm's markers is in exactly one line of
    exactly one file, every rotated file is at most 64 KiB and ends where a
    line ends; FILE.1 is the newest. Both transports."""
    build_storm()
    n = 400
    for tr in ("ringbuf", "perf"):
        with TmpDir() as d:
            prefix, files, summary = rotation_storm(d, tr, 65536, 100, n)
            rotated = sorted((f for f in files if f != "r.jsonl"),
                             key=lambda f: -int(f.rsplit(".", 1)[1]))
            check(len(rotated) >= 4, f"{tr}: only {len(rotated)} rotations of ~2 KiB x {n} lines")
            eq(rotated, [f"r.jsonl.{i}" for i in range(len(rotated), 0, -1)], f"{tr}: file names")
            seen = []
            for f in rotated + ["r.jsonl"]:
                size = os.path.getsize(os.path.join(d, f))
                # a line that does not fit goes whole into the next file
                if f != "r.jsonl":
                    check(0 < size <= 65536, f"{tr}: {f} is {size} bytes (max 65536)")
                seen += markers_in(files[f], prefix)
            eq(files[rotated[0]][0]["type"], "ready", f"{tr}: the oldest file starts with ready")
            kernel_lost = summary["stats"]["events_lost"]
            eq(summary["stats"]["output_dropped"], 0, f"{tr}: output_dropped")
            eq(len(seen), len(set(seen)), f"{tr}: a marker in two lines")
            eq(len(seen) + kernel_lost, n, f"{tr}: markers in the files + events lost in the kernel")


def test_output_rotation_keep():
    """--output-keep 2: only FILE, FILE.1 and FILE.2 remain; the oldest files went."""
    build_storm()
    with TmpDir() as d:
        prefix, files, summary = rotation_storm(d, "ringbuf", 16384, 2, 300)
        eq(sorted(files), ["r.jsonl", "r.jsonl.1", "r.jsonl.2"], "files kept")
        check(files["r.jsonl.2"][0]["type"] != "ready", "the ready line's file was not removed")
        got = [int(m[len(prefix):]) for f in ("r.jsonl.2", "r.jsonl.1", "r.jsonl")
               for m in markers_in(files[f], prefix)]
        # 8 workers run at most a few execs out of order: the first ones are gone
        check(got and min(got) > 150, f"the newest markers are kept: {sorted(got)[:5]}")


def test_output_file_full_filesystem():
    """-o FILE on a 64 KiB tmpfs that the events fill: a clear error that names
    the file, the summary with the lines not written, exit 1, and every line in
    the file whole."""
    pad = "p" * 400
    with SmallTmpfs() as d:
        path = os.path.join(d, "out.jsonl")
        p = subprocess.Popen([lib.BIN, "exec", "--json", "-P", str(ME), "-o", path],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: os.path.exists(path), "the file")
        wait_first_line(path, p, "exec -o")
        made = 0
        while p.poll() is None and made < 1000:
            run_exec(["/bin/true", marker(), pad])
            made += 1
        try:
            out, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise lib.Failure(f"still running after {made} execs into a full tmpfs")
        recs = lines_of(path)
    eq(p.returncode, 1, "exit status")
    lines = err.decode().splitlines()
    eq(lines[0], f"exec: write error on {path}: No space left on device", "the error line")
    s = re.fullmatch(r"exec: (\d+) events, (\d+) lost, (\d+) lines? not written", lines[-1])
    check(s, f"summary line {lines[-1]!r}")
    events, _, unwritten = (int(x) for x in s.groups())
    check(unwritten >= 1, "no line counted as not written")
    eq(len(recs) + unwritten, 1 + events, "lines written + not written = ready + events")


def test_output_queue_overflow():
    """The reader stops (it reads nothing) while 100 KiB-argv execs come: the
    writer blocks on the full pipe, its queue (--output-queue 1M) fills, and
    the run loop drops whole lines, counted: every line read is valid JSON,
    lines read + output_dropped = events, and the lost line says so. In table
    mode (perf), stderr says how many lines were dropped."""
    big = ["a" * 2047] * 50
    for tr, mode in (("ringbuf", ["--json"]), ("perf", [])):
        what = f"{tr} {mode}"
        p = subprocess.Popen([lib.BIN, "exec", "-P", str(ME), "--transport", tr,
                              "--output-queue", "1M"] + mode,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        fd = p.stdout.fileno()
        first = b""
        while b"\n" not in first:
            chunk = os.read(fd, 1)      # the ready line (or header), no more
            if not chunk:
                raise lib.Failure(f"{what}: no first line: {p.stderr.read()!r}")
            first += chunk
        marks = [marker() for _ in range(60)]   # ~6 MiB of lines into a 64 KiB pipe + 1 MiB
        for m in marks:
            run_exec(["/bin/true", m] + big)
        # the lines the run loop took are all queued or dropped: wait for the
        # tool's own account of it (the lost line, 100 ms later), then read
        p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise lib.Failure(f"{what}: did not stop after SIGINT")
        eq(p.returncode, 0, f"{what}: exit status (stderr {err[-500:]!r})")
        rows = out.split(b"\n")
        eq(rows[-1], b"", f"{what}: output ends with a whole line")
        rows = rows[:-1]
        if mode:
            recs = [json.loads(r) for r in rows]    # a torn line fails here
            summary = recs[-1]
            eq(summary["type"], "summary", f"{what}: last line")
            st = summary["stats"]
            got = [r["args"][1] for r in recs if r["type"] == "exec"]
            lost = [r for r in recs if r["type"] == "lost"]
            check(st["output_dropped"] > 0, f"{what}: nothing dropped: {st}")
            check(lost and lost[-1]["output_dropped"] == st["output_dropped"],
                  f"{what}: the last lost line {lost[-1:]} against {st['output_dropped']}")
            eq(len(got) + st["output_dropped"], st["events"], f"{what}: read + dropped = events")
            eq(st["events"] + st["events_lost"], len(marks), f"{what}: events + kernel losses")
            eq(len(set(got)), len(got), f"{what}: a line twice")
            for r in recs:
                if r["type"] == "exec":
                    eq(r["args"], ["/bin/true", r["args"][1]] + big, f"{what}: argv of a line")
        else:
            got = [r for r in rows if b"/bin/true psx" in r]  # the header was read above
            s = re.search(r"exec: (\d+) events, (\d+) lost, (\d+) lines dropped \(the output "
                          r"did not keep up\)\n", err.decode())
            check(s, f"{what}: summary on stderr: {err.decode()!r}")
            events, klost, dropped = (int(x) for x in s.groups())
            check(dropped > 0, f"{what}: nothing dropped")
            check(re.search(r"exec: dropped \d+ lines: the output did not keep up", err.decode()),
                  f"{what}: no drop message: {err.decode()!r}")
            eq(len(got) + dropped, events, f"{what}: rows + dropped = events")
            for r in got:
                check(r.endswith(b" " + b" ".join(x.encode() for x in big)), f"{what}: a cut row")


def test_output_two_tools_one_file():
    """Two tracers append to one file while 600 KiB-argv execs come (each line
    spans several 256 KiB buffers): each write ends a line, so the lines of
    the two never interleave: every line is JSON, each exec is in the file
    twice (once per tracer), whole."""
    big = ["b" * 2047] * 300
    with TmpDir() as d:
        path = os.path.join(d, "both.jsonl")
        marks = [marker() for _ in range(30)]
        args = ["exec", "--json", "-P", str(ME), "--max-args-bytes", "1M"]
        with FileTool(path, args) as t1, FileTool(path, args + ["--transport", "perf"]) as t2:
            for m in marks:
                run_exec(["/bin/true", m] + big)
            t1.stop()
            t2.stop()
        eq((t1.rc, t2.rc), (0, 0), f"exit status ({t1.err!r} {t2.err!r})")
        recs = lines_of(path)
        lost = sum(r["stats"]["events_lost"] for r in recs if r["type"] == "summary")
        got = markers_in(recs, "psx")
        eq(sorted(set(got)), sorted(marks) if not lost else sorted(set(got)), "markers")
        eq(len(got) + lost, 2 * len(marks), "each exec once per tracer (+ kernel losses)")
        for r in recs:
            if r["type"] == "exec" and r["args"][1:2] and r["args"][1].startswith("psx"):
                eq(r["args"], ["/bin/true", r["args"][1]] + big, "argv of a line")
