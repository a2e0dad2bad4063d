# SPDX-License-Identifier: GPL-2.0
"""procsnoop probe / bashreadline against the usdt_demo target (tests/helpers/usdt_demo.c).

The demo waits for a line on stdin before doing anything, so each test
starts the tracer, waits for its ready line, and only then releases the
demo. Every value the demo passes is a function of the round number i and
its STRING argument; the tests assert every hit, field by field.
"""
import os
import pty
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lib import Failure, Tracer, check, eq, helper, only, run, wait_exit, BIN  # noqa: E402


def demo_path():
    return helper("usdt_demo")


class Demo:
    """A usdt_demo process, started and waiting for its release line."""

    def __init__(self, n, s, env=None, thread=False):
        self.n = n
        self.s = s
        self.thread = thread
        self.worker = None
        argv = [demo_path(), str(n), s] + (["thread"] if thread else [])
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.pid = self.proc.pid

    def release(self):
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.close()
        return self

    def wait(self):
        out = self.proc.stdout.read()
        rc = wait_exit(self.proc)
        self.proc.stdout.close()
        self.proc.stderr.close()
        eq(rc, 0, "usdt_demo exit status")
        if self.thread:
            first, _, out = out.partition(b"\n")
            check(first.startswith(b"worker "), f"usdt_demo worker line: {first!r}")
            self.worker = int(first.split()[1])
        eq(out, b"done %d\n" % self.n, "usdt_demo output")
        return self

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def hits(t, pid, probe):
    return [e for e in t.events("probe") if e["pid"] == pid and e["probe"] == probe]


def check_common(e, pid, what):
    eq(e["tid"], pid, f"{what}: tid (single-threaded demo)")
    eq(e["comm"], "usdt_demo", f"{what}: comm")
    eq(e["uid"], os.getuid(), f"{what}: uid")
    check(e["ktime_ns"] > 0 and e["time"].endswith("Z"), f"{what}: time fields: {e}")


def test_entry_args_typed():
    D = demo_path()
    n, s = 5, "hello world"
    specs = [f"u:{D}:add:%d:%d", f"u:{D}:greet:%s:%d", f"u:{D}:mul64:%ld:%lx", f"u:{D}:sub:%d:%u"]
    with Tracer(["probe", "--json"] + specs) as t:
        # started after the tracer: "every process running that binary, including later ones"
        d = Demo(n, s).release().wait()
    eq(t.rc, 0, "exit status")
    eq([p["probe"] for p in t.ready["probes"]],
       [f"u:{D}:add", f"u:{D}:greet", f"u:{D}:mul64", f"u:{D}:sub"], "ready line probes")
    for name, want in [
        ("add", [[i, 2 * i] for i in range(n)]),
        ("greet", [[s, i] for i in range(n)]),
        ("mul64", [[i, "0x%x" % (1 << 40)] for i in range(n)]),
        ("sub", [[i, 1000] for i in range(n)]),
    ]:
        hs = hits(t, d.pid, f"u:{D}:{name}")
        eq([h["args"] for h in hs], want, f"{name}: args of every hit, in order")
        for h in hs:
            check_common(h, d.pid, name)
            eq(h["ret"], None, f"{name}: ret of an entry probe")
            check("truncated" not in h and "unreadable" not in h, f"{name}: flags: {h}")
    check(not t.events("lost"), "no losses")


def test_entry_default_six_ints():
    D = demo_path()
    with Tracer(["probe", "--json", f"u:{D}:add", f"ur:{D}:mul64"]) as t:
        d = Demo(3, "x").release().wait()
    # (an int return needs %d: the upper half of the register is not part of it)
    eq([h["ret"] for h in hits(t, d.pid, f"ur:{D}:mul64")], [0, 1 << 40, 2 << 40],
       "ur: without a format: the return value as a 64-bit integer")
    hs = hits(t, d.pid, f"u:{D}:add")
    eq(len(hs), 3, "hits")
    for i, h in enumerate(hs):
        eq(len(h["args"]), 6, "arg0..arg5 by default")
        eq(h["args"][:2], [i, 2 * i], "arg0, arg1")
        check(all(isinstance(a, int) for a in h["args"]), f"integers: {h['args']}")


def test_return_values():
    D = demo_path()
    n, s = 4, "abc"
    specs = [f"ur:{D}:add:%ld", f"ur:{D}:sub:%d", f"ur:{D}:mul64:%lx", f"ur:{D}:name_of",
             f"ur:{D}:greet:%d"]
    # --ret-str turns the one ur: spec without a format (name_of) into a string
    with Tracer(["probe", "--json", "--ret-str"] + specs) as t:
        d = Demo(n, s).release().wait()
    for name, want in [
        ("add", [3 * i for i in range(n)]),
        ("sub", [i - 1000 for i in range(n)]),
        ("mul64", ["0x%x" % (i << 40) for i in range(n)]),
        ("name_of", ["odd" if i & 1 else "even" for i in range(n)]),
        ("greet", [len(s) + i for i in range(n)]),
    ]:
        hs = hits(t, d.pid, f"ur:{D}:{name}")
        eq([h["ret"] for h in hs], want, f"{name}: return values")
        for h in hs:
            check_common(h, d.pid, name)
            eq(h["args"], [], f"{name}: a return probe has no args")


def test_usdt_args():
    D = demo_path()
    n, s = 4, "order-string"
    specs = [f"usdt:{D}:demo:tick", f"usdt:{D}:demo:order:%d:%s", f"usdt:{D}:demo:neg",
             f"usdt:{D}:fixed", f"usdt:{D}:demo:order"]
    with Tracer(["probe", "--json"] + specs) as t:
        d = Demo(n, s).release().wait()
    eq([h["args"] for h in hits(t, d.pid, f"usdt:{D}:demo:tick")],
       [[i, i * 1000] for i in range(n)], "tick (int, long)")
    eq([h["args"] for h in hits(t, d.pid, f"usdt:{D}:demo:neg")],
       [[-i, -1] for i in range(n)], "neg (signed 4-byte register, signed 1-byte constant)")
    eq([h["args"] for h in hits(t, d.pid, f"usdt:{D}:fixed")], [[42]] * n,
       "fixed (constant operand; provider omitted)")
    # the same probe twice, with and without formats: both fire, each decoded its way
    typed = [e for e in hits(t, d.pid, f"usdt:{D}:demo:order") if isinstance(e["args"][1], str)]
    raw = [e for e in hits(t, d.pid, f"usdt:{D}:demo:order") if isinstance(e["args"][1], int)]
    eq([h["args"] for h in typed], [[i, s] for i in range(n)], "order:%d:%s")
    eq([h["args"][0] for h in raw], list(range(n)), "order default: arg0")
    check(all(h["args"][1] > 0 for h in raw), "order default: arg1 is the pointer, unsigned")
    for h in typed + raw:
        check_common(h, d.pid, "order")


HOSTILE = b"caf\xc3\xa9 \x1b[31mred\x1b]0;title\x07 \n\xff\xfe end \xe2\x80\xae"


def test_hostile_strings_json_and_table():
    D = demo_path()
    n = 2
    with Tracer(["probe", "--json", f"u:{D}:greet:%s:%d", f"usdt:{D}:demo:order:%d:%s"]) as t:
        d = Demo(n, HOSTILE).release().wait()
    for probe, idx in [(f"u:{D}:greet", 0), (f"usdt:{D}:demo:order", 1)]:
        hs = hits(t, d.pid, probe)
        eq(len(hs), n, f"{probe}: hits")
        for h in hs:
            eq(h["args"][idx].encode("utf-8", "surrogateescape"), HOSTILE,
               f"{probe}: exact bytes back from JSON (surrogateescape)")
    with Tracer(["probe", f"u:{D}:greet:%s:%d"]) as t:
        d = Demo(n, HOSTILE).release().wait()
    check(t.ready.startswith("TIME "), f"table header: {t.ready!r}")
    mine = [ln for ln in t.lines if (b" %d " % d.pid) in ln]
    eq(len(mine), n, "one table line per hit: a newline in the string cannot forge lines")
    for ln in mine:
        for bad in (b"\x1b", b"\x07", b"\xff", b"\xe2\x80\xae"):
            check(bad not in ln, f"raw {bad!r} reached the terminal: {ln!r}")
        check(b"\\e[31mred" in ln and b"\\n" in ln and b"\\xff" in ln, f"escaped: {ln!r}")


def test_str_max_truncation_boundary():
    D = demo_path()
    with Tracer(["probe", "--json", "--str-max", "4", f"u:{D}:greet:%s:%d"]) as t:
        exact = Demo(1, "abcd").release().wait()
        longer = Demo(1, "abcde").release().wait()
    e = only(hits(t, exact.pid, f"u:{D}:greet"), "hit of the 4-byte string")
    eq(e["args"], ["abcd", 0], "exactly --str-max bytes")
    check("truncated" not in e, f"a string of exactly --str-max bytes is not truncated: {e}")
    e = only(hits(t, longer.pid, f"u:{D}:greet"), "hit of the 5-byte string")
    eq(e["args"], ["abcd", 0], "cut to --str-max")
    eq(e.get("truncated"), ["arg0"], "marked truncated")
    eq(t.ready["str_max"], 4, "ready line str_max")


def test_count_exact_per_pid():
    D = demo_path()
    n1, n2 = 1500, 700
    a = Demo(n1, "a")
    b = Demo(n2, "b")
    try:
        with Tracer(["probe", "--json", "--count", "--per-pid", "-i", "50ms",
                     f"u:{D}:add", f"usdt:{D}:demo:tick", f"ur:{D}:name_of"]) as t:
            a.release()
            b.release()
            a.wait()
            b.wait()
    finally:
        a.kill()
        b.kill()
    eq(t.events("probe"), [], "no per-hit records in --count mode")
    eq(t.ready["mode"], "count", "ready mode")
    for name in (f"u:{D}:add", f"usdt:{D}:demo:tick", f"ur:{D}:name_of"):
        for d, n in ((a, n1), (b, n2)):
            got = sum(c["count"] for c in t.events("count")
                      if c["probe"] == name and c["pid"] == d.pid)
            eq(got, n, f"{name}: hits counted for pid {d.pid}")
        total = only([c for c in t.events("count_total") if c["probe"] == name], "total")
        allpids = sum(c["count"] for c in t.events("count") if c["probe"] == name)
        eq(total["count"], allpids, f"{name}: count_total is the sum of the intervals")
    check(not t.events("count_missed"), "nothing missed")


def test_count_table_mode():
    D = demo_path()
    d = Demo(300, "t")
    try:
        with Tracer(["probe", "--count", "-p", str(d.pid), f"u:{D}:add"]) as t:
            d.release().wait()
    finally:
        d.kill()
    eq(t.ready.split(), ["TIME", "COUNT", "PROBE"], "count header")
    totals = [ln.split() for ln in t.text() if ln.startswith("total")]
    eq(totals, [["total", "300", f"u:{D}:add"]], "total line")


def test_pid_filter_excludes_other_instance():
    D = demo_path()
    n = 6
    a = Demo(n, "mine")
    b = Demo(n, "other")
    try:
        with Tracer(["probe", "--json", "-p", str(a.pid), f"u:{D}:add:%d:%d",
                     f"usdt:{D}:demo:order:%d:%s"]) as t:
            b.release()
            a.release()
            b.wait()
            a.wait()
    finally:
        a.kill()
        b.kill()
    eq(t.ready["target_pid"], a.pid, "ready target_pid")
    probes = t.events("probe")
    eq(sorted({e["pid"] for e in probes}), [a.pid], "only the -p process")
    eq([e["args"] for e in probes if e["probe"] == f"u:{D}:add"],
       [[i, 2 * i] for i in range(n)], "add hits of the -p process")
    eq([e["args"] for e in probes if e["probe"] == f"usdt:{D}:demo:order"],
       [[i, "mine"] for i in range(n)], "order hits of the -p process")


def test_pid_exit_ends_tracing():
    D = demo_path()
    d = Demo(2, "bye")
    t = Tracer(["probe", "--json", "-p", str(d.pid), f"u:{D}:add:%d:%d"]).start()
    try:
        d.release().wait()
        # the tool notices the process is gone and ends on its own
        try:
            t.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise Failure("probe -p did not end after its process exited")
    finally:
        d.kill()
    t.stop()
    eq(t.rc, 0, "exit status")
    check(b"process %d exited" % d.pid in t.stderr, f"stderr: {t.stderr!r}")
    eq([e["args"] for e in t.events("probe")], [[0, 0], [1, 2]], "hits before the exit")
    eq(len(t.events("summary")), 1, "summary line")


def test_thread_tid():
    D = demo_path()
    with Tracer(["probe", "--json", f"u:{D}:add:%d:%d", f"usdt:{D}:demo:tick"]) as t:
        d = Demo(3, "t", thread=True).release().wait()
    check(d.worker and d.worker != d.pid, f"worker thread {d.worker} vs pid {d.pid}")
    for probe in (f"u:{D}:add", f"usdt:{D}:demo:tick"):
        hs = hits(t, d.pid, probe)
        eq(len(hs), 3, f"{probe}: hits")
        eq({h["tid"] for h in hs}, {d.worker}, f"{probe}: tid is the worker thread's")


def test_loss_accounting_exact():
    """A tiny buffer and a test that does not read until the end: every hit is either
    delivered or counted as lost, on both transports (ringbuf: sleepable programs;
    perf: plain ones)."""
    D = demo_path()
    n = 3000
    for transport, sleepable in (("ringbuf", True), ("perf", False)):
        d = Demo(n, "lossy")
        try:
            with Tracer(["probe", "--json", "--transport", transport, "--buffer-size", "64K",
                         "-p", str(d.pid), f"u:{D}:greet:%s:%d",
                         f"usdt:{D}:demo:order:%d:%s", f"ur:{D}:name_of:%s"]) as t:
                d.release().wait()
        finally:
            d.kill()
        eq(t.ready["transport"], transport, "transport")
        eq(t.ready["sleepable"], sleepable, f"{transport}: sleepable programs")
        got = t.events("probe")
        lost = sum(e["count"] for e in t.events("lost"))
        summary = only(t.events("summary"), "summary")
        eq(len(got) + lost, 3 * n, f"{transport}: delivered + lost = hits")
        eq(summary["lost"], lost, f"{transport}: summary lost = sum of lost lines")
        for e in got:  # what was delivered is intact
            if e["probe"] == f"u:{D}:greet":
                eq(e["args"][0], "lossy", "greet arg0")
            elif e["probe"] == f"usdt:{D}:demo:order":
                eq(e["args"][1], "lossy", "order arg1")
            else:
                check(e["ret"] in ("even", "odd"), f"name_of ret {e['ret']!r}")


def test_libc_short_name():
    env = dict(os.environ, USDT_DEMO_MARKER="1")
    d = Demo(1, "x", env=env)
    try:
        with Tracer(["probe", "--json", "-p", str(d.pid), "u:libc:getenv:%s"]) as t:
            d.release().wait()
    finally:
        d.kill()
    check(t.ready["probes"][0]["binary"].split("/")[-1].startswith("libc.so"),
          f"libc resolved: {t.ready['probes']}")
    got = [e["args"] for e in t.events("probe") if e["pid"] == d.pid]
    check(["USDT_DEMO_MARKER"] in got, f"getenv(\"USDT_DEMO_MARKER\") seen: {got}")


def test_list():
    D = demo_path()
    p = run([BIN, "probe", "--list", D])
    eq(p.returncode, 0, "exit status")
    out = p.stdout.decode()
    for probe in ("demo:tick  (2 args", "demo:order  (2 args", "demo:neg  (2 args",
                  "demo:fixed  (1 arg: -4@$42)"):
        check(f"usdt:{D}:{probe}" in out, f"--list shows {probe}: {out}")
    for fn in ("add", "sub", "mul64", "greet", "name_of", "round_probes", "main"):
        check(f"  u:{D}:{fn}\n" in out, f"--list shows function {fn}")
    p = run([BIN, "probe", "--list", D, "--json"])
    import json
    recs = [json.loads(ln) for ln in p.stdout.decode().splitlines()]
    usdt = {r["name"]: r for r in recs if r["type"] == "usdt"}
    eq(sorted(usdt), ["fixed", "neg", "order", "tick"], "USDT probes")
    eq({k: v["nargs"] for k, v in usdt.items()}, {"fixed": 1, "neg": 2, "order": 2, "tick": 2},
       "USDT arg counts")
    eq(usdt["fixed"]["args"], "-4@$42", "arg spec")
    funcs = {r["name"]: r for r in recs if r["type"] == "function"}
    check(funcs["add"]["size"] > 0, "function size")


def expect_error(args, rc, *needles):
    p = run([BIN, "probe"] + args)
    err = p.stderr.decode(errors="replace")
    eq(p.returncode, rc, f"exit status of {args} (stderr: {err})")
    eq(p.stdout, b"", f"{args}: nothing on stdout")
    for n in needles:
        check(n in err, f"{args}: stderr should mention {n!r}: {err}")
    return err


def test_errors():
    D = demo_path()
    expect_error(["u:no_such_binary_xyz:foo"], 1, "binary 'no_such_binary_xyz' not found")
    expect_error([f"u:{D}:no_such_fn"], 1, "symbol 'no_such_fn' not found", "--list")
    expect_error([f"usdt:{D}:demo:nope"], 1, "USDT probe 'demo:nope' not found",
                 "demo:order (", "demo:tick (", "demo:fixed (")
    expect_error([f"usdt:{D}:demo:order:%d:%s:%d"], 1, "has 2 arguments, 3 formats given")
    expect_error([f"u:{D}:add+100000"], 1, "past the end of 'add'")
    gone = subprocess.Popen(["true"])
    gone.wait()
    expect_error(["-p", str(gone.pid), f"u:{D}:add"], 1, f"process {gone.pid} not found")
    expect_error(["-p", str(os.getpid()), f"u:{D}:add"], 1,
                 f"process {os.getpid()} does not map")
    # usage errors: exit 2
    expect_error([f"x:{D}:add"], 2, "unknown probe type 'x'")
    expect_error([f"u:{D}:add:%q"], 2, "unknown format '%q'")
    expect_error([f"ur:{D}:add+4"], 2, "+OFFSET is for entry probes")
    expect_error([f"ur:{D}:add:%d:%d"], 2, "one format at most")
    expect_error([f"u:{D}:add", "--ret-str"], 2, "--ret-str is for return probes", f"ur:{D}:add")
    expect_error([f"u:{D}:add", "--str-max", "5000"], 2, "invalid --str-max '5000'")
    expect_error([f"u:{D}:add", "--per-pid"], 2, "--per-pid goes with --count")
    expect_error([f"u:{D}:add", "--count", "-i", "soon"], 2, "invalid --interval 'soon'")
    expect_error([f"u:{D}"], 2, "expected u:BINARY:FUNCTION")
    expect_error([], 2, "no SPEC given")
    expect_error(["--list", "no_such_binary_xyz"], 1, "binary 'no_such_binary_xyz' not found")


def test_bad_elf_files():
    """probe on a file that is not a usable ELF: what is wrong with the file,
    exit 1, for a spec and for --list ("symbol not found" and "0 functions"
    named the wrong problem)."""
    import tempfile
    good = open(demo_path(), "rb").read()
    cases = [
        ("garbage", b"\x00garbage, not an ELF" * 8, "is not an ELF file"),
        ("magic-only", b"\x7fELF", "is a truncated ELF file: 4 bytes, shorter than its ELF header"),
        ("short-header", good[:40], "is a truncated ELF file: 40 bytes, shorter than its 64-byte "
         "ELF header"),
        ("bad-class", b"\x7fELF\x09\x01\x01" + b"\x00" * 120,
         "is not a valid ELF file: bad ELF header (class 9, data 1, version 1)"),
        ("cut", good[:3000], "is a truncated ELF file: 3000 bytes, its section headers end at "),
    ]
    with tempfile.TemporaryDirectory(prefix="psx") as d:
        for name, data, msg in cases:
            f = os.path.join(d, name)
            with open(f, "wb") as fp:
                fp.write(data)
            os.chmod(f, 0o755)
            for args in ([f"u:{f}:main"], ["--list", f], ["--json", "--list", f]):
                err = expect_error(args, 1, f"'{f}' {msg}")
                check("not found" not in err and "functions" not in err,
                      f"{name} {args}: misleading message {err!r}")
                eq(len(err.splitlines()), 1, f"{name} {args}: one line ({err!r})")
            p = run([BIN, "bashreadline", "--shell", f], timeout=15)
            eq(p.returncode, 1, f"bashreadline --shell {name}: exit status")
            check(f"'{f}' {msg}" in p.stderr.decode(), f"bashreadline --shell {name}: {p.stderr!r}")


def test_bashreadline_shell_needs_readline():
    """--shell PROGRAM: readline in the program itself, or in the libreadline
    it links; a program with neither (/bin/true) is refused (it was silently
    attached to the system's libreadline, which /bin/true never calls)."""
    import shutil
    import tempfile
    p = run([BIN, "bashreadline", "--shell", "/bin/true"], timeout=15)
    err = p.stderr.decode()
    eq(p.returncode, 1, f"--shell /bin/true: exit status ({err!r})")
    eq(p.stdout, b"", "--shell /bin/true: stdout")
    eq(err, f"bashreadline: {os.path.realpath('/bin/true')} has no readline() symbol of its "
       "own and does not link libreadline: is it bash?\n", "--shell /bin/true: message")
    if not shutil.which("gcc") or not os.path.exists("/usr/include/readline/readline.h"):
        raise Failure("gcc and libreadline-dev are needed (scripts/deps.sh --test)")
    with tempfile.TemporaryDirectory(prefix="psx") as d:
        prog = os.path.join(d, "rl")
        src = b'#include <stdio.h>\n#include <readline/readline.h>\n' \
              b'int main(void) { char *l = readline(""); if (l) puts(l); return 0; }\n'
        c = subprocess.run(["gcc", "-x", "c", "-", "-o", prog, "-lreadline"], input=src,
                           capture_output=True)
        eq(c.returncode, 0, f"compiling a libreadline user: {c.stderr!r}")
        ldd = run(["ldd", prog]).stdout.decode()
        lib = [ln.split("=>")[1].split()[0] for ln in ldd.splitlines() if "libreadline" in ln]
        with Tracer(["bashreadline", "--json", "--shell", prog]) as t:
            pass
        probe = only(t.ready["probes"], "probes of --shell rl")
        eq(probe["binary"], os.path.realpath(only(lib, "libreadline in ldd")),
           "--shell rl: the libreadline it links")


def test_help():
    p = run([BIN, "probe", "--help"])
    eq(p.returncode, 0, "probe --help exit status")
    check(b"Examples:" in p.stdout and b"usdt:BINARY" in p.stdout, "probe help")
    p = run([BIN, "bashreadline", "--help"])
    eq(p.returncode, 0, "bashreadline --help exit status")
    check(b"Examples:" in p.stdout, "bashreadline help")


# ---- bashreadline ----

PROMPT = b"ps_prompt$ "


def wait_prompts(fd, buf, count, deadline):
    """Read the pty until @count prompts have been shown in all."""
    while buf.count(PROMPT) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure(f"bash pty: prompt #{count} not seen; got {buf[-500:]!r}")
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            raise Failure(f"bash pty closed before prompt #{count}; got {buf[-500:]!r}")
        buf += chunk
    return buf


def interactive_bash(lines):
    """Run bash -i on a pty, type @lines at its prompts, then exit. Returns (pid, screen)."""
    master, slave = pty.openpty()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "TERM": "dumb",
           "PS1": PROMPT.decode()}
    bash = subprocess.Popen(["/bin/bash", "--norc", "--noprofile", "-i"], stdin=slave,
                            stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    try:
        deadline = time.monotonic() + 30
        buf = wait_prompts(master, b"", 1, deadline)
        for i, ln in enumerate(lines):
            os.write(master, ln + b"\n")
            buf = wait_prompts(master, buf, i + 2, deadline)  # the line was read and run
        os.write(master, b"exit\n")
        wait_exit(bash, 30)
    finally:
        if bash.poll() is None:
            bash.kill()
            bash.wait()
        os.close(master)
    return bash.pid, buf


class Bash:
    """An interactive bash on a pty, typed into line by line."""

    def __init__(self, preexec_fn=None):
        self.master, slave = pty.openpty()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "TERM": "dumb",
               "PS1": PROMPT.decode()}
        self.proc = subprocess.Popen(["/bin/bash", "--norc", "--noprofile", "-i"], stdin=slave,
                                     stdout=slave, stderr=slave, env=env, start_new_session=True,
                                     preexec_fn=preexec_fn)
        os.close(slave)
        self.pid = self.proc.pid
        self.deadline = time.monotonic() + 30
        self.buf = wait_prompts(self.master, b"", 1, self.deadline)

    def type(self, line):
        n = self.buf.count(PROMPT)
        os.write(self.master, line + b"\n")
        self.buf = wait_prompts(self.master, self.buf, n + 1, self.deadline)

    def close(self):
        try:
            if self.proc.poll() is None:
                os.write(self.master, b"exit\n")
                wait_exit(self.proc, 30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self.master)


def test_bashreadline_pid_filter():
    a, b = Bash(), Bash()
    try:
        with Tracer(["bashreadline", "--json", "-p", str(a.pid)]) as t:
            b.type(b"echo from_the_other_shell")
            a.type(b"echo from_this_shell")
            b.close()
            a.close()
    finally:
        a.close() if a.proc.poll() is None else None
        b.close() if b.proc.poll() is None else None
    got = t.events("bashreadline")
    eq([(r["pid"], r["line"]) for r in got], [(a.pid, "echo from_this_shell"), (a.pid, "exit")],
       "only the -p shell's lines")


def test_bashreadline_json():
    with Tracer(["bashreadline", "--json"], argv0=None) as t:
        pid, screen = interactive_bash([b"echo probe_marker_123", b"true 'two words'"])
    check(b"probe_marker_123\r\n" in screen, "bash ran the command")
    eq(t.ready["tool"], "bashreadline", "ready tool")
    mine = [r for r in t.events("bashreadline") if r["pid"] == pid]
    eq([r["line"] for r in mine], ["echo probe_marker_123", "true 'two words'", "exit"],
       "every line typed, in order")
    for r in mine:
        eq(r["uid"], os.getuid(), "uid")
        eq(r["comm"], "bash", "comm")
        eq(r["truncated"], False, "not truncated")
        check(r["time"].endswith("Z"), "time")


def test_bashreadline_link_table():
    # the busybox-style link, table output
    with Tracer([], argv0="bashreadline", json_mode=False) as t:
        pid, _ = interactive_bash([b"echo probe_marker_456"])
    eq(t.ready.split(), ["TIME", "PID", "UID", "COMMAND"], "header")
    mine = [ln.split(None, 3) for ln in t.text() if ln.split()[1:2] == [str(pid)]]
    eq([m[2:] for m in mine], [[str(os.getuid()), "echo probe_marker_456"],
                               [str(os.getuid()), "exit"]], "table rows")


def test_pid_given_twice_refused():
    """probe -p / bashreadline -p given twice: a usage error, not the last
    pid silently (as exec and exit do for their filters)."""
    D = demo_path()
    expect_error(["-p", "1", "-p", "2", f"u:{D}:main"], 2, "--pid given twice ('1', '2')")
    p = run([BIN, "bashreadline", "-p", "1", "--pid", "2"])
    eq(p.returncode, 2, f"bashreadline -p twice: exit status ({p.stderr!r})")
    check(b"--pid given twice ('1', '2')" in p.stderr, f"bashreadline: {p.stderr!r}")
