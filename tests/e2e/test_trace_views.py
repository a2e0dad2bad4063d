# SPDX-License-Identifier: GPL-2.0
"""The views of procsnoop trace (--tree, --timeline, --svg), parsed as their
consumers parse them.

The test_unit_* tests read the files that build/tests/unit_view --dump writes
from synthetic lives it knows (hostile argv included), and check them against
those lives with a JSON parser and an XML parser: every life one complete
event with ts/dur in microseconds, one bar per life, nothing that makes the
XML invalid.
"""
import fcntl
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import tempfile
import termios
import xml.etree.ElementTree as ET

from lib import BIN, HELPERS, Failure, Tracer, check, eq, helper, run, wait_exit

SVG = "{http://www.w3.org/2000/svg}"


def _dump():
    d = tempfile.mkdtemp(prefix="ps-views-")
    exe = os.path.join(HELPERS, "unit_view")
    if not os.path.exists(exe):
        raise Failure(f"{exe} is not built (make unit)")
    run([exe, "--dump", d])
    return d


def _lives(d):
    """The synthetic lives: pid -> (start ns from T0, duration ns, parent entity id)."""
    out = {}
    with open(os.path.join(d, "lives.tsv")) as f:
        for ln in f:
            pid, start, dur, parent = ln.rstrip("\n").split("\t")
            out[int(pid)] = (int(start), int(dur), None if parent == "-" else parent)
    return out


def check_timeline(doc, lives):
    """The Chrome trace-event format: X events with ts/dur in µs, M metadata."""
    check(isinstance(doc, dict) and isinstance(doc.get("traceEvents"), list), "traceEvents list")
    evs = doc["traceEvents"]
    xs = [e for e in evs if e["ph"] == "X"]
    eq(sorted(e["args"]["pid"] for e in xs), sorted(lives), "one complete event per life")
    tids = {}
    for e in evs:
        check(e["ph"] in ("X", "M"), f"phase {e['ph']}")
        check(isinstance(e["pid"], int) and isinstance(e["tid"], int), "pid/tid are integers")
        if e["ph"] == "M" and e["name"] == "thread_name":
            tids[(e["pid"], e["tid"])] = e["args"]["name"]
    t0 = min(s for s, _, _ in lives.values())
    for e in xs:
        start, dur, _ = lives[e["args"]["pid"]]
        check(e["dur"] >= 0, f"dur >= 0: {e}")
        eq(round(e["ts"] * 1000), start - t0, f"ts of {e['args']['pid']} in µs")
        eq(round(e["dur"] * 1000), dur, f"dur of {e['args']['pid']} in µs")
        eq(e["args"]["duration_ns"], dur, "duration_ns")
        check((e["pid"], e["tid"]) in tids, f"track of {e['args']['pid']} named")
        check(tids[(e["pid"], e["tid"])].endswith(f"[{e['args']['pid']}]"), "track name has pid")
    eq(len({(e["pid"], e["tid"]) for e in xs}), len(xs), "one track per life")
    return xs


def check_svg(path, nlives):
    root = ET.parse(path).getroot()  # raises on anything not well-formed
    eq(root.tag, SVG + "svg", "root element")
    bars = [r for r in root.iter(SVG + "rect") if "life" in r.get("class", "").split()]
    eq(len(bars), nlives, "one bar per life")
    for b in bars:
        check(float(b.get("width")) >= 1, "a bar is at least a pixel wide")
    return root, bars


def test_unit_timeline_parsed():
    d = _dump()
    try:
        lives = _lives(d)
        with open(os.path.join(d, "timeline.json"), "rb") as f:
            raw = f.read()
        check(b"\x1b" not in raw and b"\x07" not in raw, "no raw control bytes")
        xs = check_timeline(json.loads(raw), lives)
        echo = only_pid(xs, 114)
        # the hostile argument, byte for byte after the surrogateescape decoding
        eq(echo["args"]["args"][1].encode("utf-8", "surrogateescape"),
           b"\033]0;pwned\a\n<b>&\"'\xff\xfe\xef\xbf\xbe\xe2\x80\xae", "hostile arg round trip")
        eq([p["pid"] for p in only_pid(xs, 102)["args"]["parents"]], [101, 100], "parent chain")
        eq(only_pid(xs, 111)["args"]["signal"], "KILL", "signal")
        eq(only_pid(xs, 110)["args"]["exit_code"], 1, "exit code")
        eq(only_pid(xs, 300)["args"]["running"], True, "running")
    finally:
        shutil.rmtree(d)


def only_pid(xs, pid):
    got = [e for e in xs if e["args"]["pid"] == pid]
    eq(len(got), 1, f"events of pid {pid}")
    return got[0]


def test_unit_svg_parsed():
    d = _dump()
    try:
        lives = _lives(d)
        root, bars = check_svg(os.path.join(d, "view.svg"), len(lives))
        titles = [t.text for g in root.iter(SVG + "g") for t in g.findall(SVG + "title")]
        # XML decoding gives back the terminal encoding of the hostile argument
        check(any(t.startswith("echo \\e]0;pwned\\x07\\n<b>&\"'\\xff\\xfe\\ufffe\\u202e")
                  for t in titles), f"hostile hover text: {titles}")
        classes = sorted(b.get("class") for b in bars)
        eq(classes.count("life ok"), 10, "ok bars")
        eq(classes.count("life failed"), 2, "non-zero bars")
        eq(classes.count("life signal"), 1, "signal bars")
        eq(classes.count("life running"), 1, "running bars")
        # bounded: 6001 lives, 5000 rows and a note that says so
        root, _ = check_svg(os.path.join(d, "big.svg"), 5000)
        notes = [t.text for t in root.iter(SVG + "text") if t.get("class") == "note"]
        eq(notes, ["1001 more processes not drawn (at most 5000 rows); "
                   "the --timeline file has them all"], "the limit's note")
    finally:
        shutil.rmtree(d)


# ---------------------------------------------------------------- the real tool

def _trace_known_tree(transport, extra=(), pty_cols=None):
    """Run `procsnoop trace --tree ... -- views_tree PIDS`; returns (rc, stderr text, roles).

    roles: ROLE -> [pids] as the helper itself wrote them (the ground truth).
    With pty_cols, stderr (where the tree goes with -- CMD) is a terminal that wide.
    """
    d = tempfile.mkdtemp(prefix="ps-views-")
    pids = os.path.join(d, "pids")
    argv = [BIN, "trace", "--transport", transport, "--tree",
            "--timeline", os.path.join(d, "timeline.json"), "--svg", os.path.join(d, "view.svg"),
            *extra, "--", helper("views_tree"), pids]
    try:
        if pty_cols:
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, pty_cols, 0, 0))
            p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=slave)
            os.close(slave)
            chunks = []
            while True:
                try:
                    b = os.read(master, 65536)
                except OSError:  # EIO: the last holder of the terminal closed it
                    break
                if not b:
                    break
                chunks.append(b)
            os.close(master)
            rc = wait_exit(p)
            err = b"".join(chunks).replace(b"\r\n", b"\n")
        else:
            r = run(argv, timeout=120)
            rc, err = r.returncode, r.stderr
        roles = {}
        with open(pids) as f:
            for ln in f:
                role, pid = ln.split()
                roles.setdefault(role, []).append(int(pid))
        return rc, err.decode("utf-8", "replace"), roles, d
    except BaseException:
        shutil.rmtree(d, ignore_errors=True)
        raise


def _tree_lines(err):
    """The tree in the tool's stderr: [(mark, pid, status, command)], the header, the footer."""
    lines = err.split("\n")
    hdr = [i for i, ln in enumerate(lines) if ln.startswith("     PID  DURATION      CPU  STATUS")]
    check(len(hdr) == 1, f"one tree header in:\n{err}")
    h = lines[hdr[0]]
    st, cmd = h.index("STATUS"), h.index("COMMAND")
    rows = []
    i = hdr[0] + 1
    while i < len(lines) and not re.match(r"^\d+ processes, ", lines[i]):
        ln = lines[i]
        rows.append((ln[0], int(ln[1:8]), ln[st:cmd].rstrip(), ln[cmd:]))
        i += 1
    check(i < len(lines), f"tree footer in:\n{err}")
    return rows, h, lines[i]


def _expected(roles):
    exe = helper("views_tree")
    r = roles
    return [
        (" ", r["root"][0], "ok", f"{exe} {{pids}}"),
        (" ", r["mid"][0], "ok", f"\u251c\u2500 {exe} --mid {{pids}}"),
        (" ", r["grandchild"][0], "ok", f"\u2502  \u2514\u2500 {exe} --leaf 0 grandchild"),
        (" ", r["same"][0], "ok", f"\u251c\u2500 {exe} --leaf 0 same  x3"),
        ("!", r["three"][0], "exit 3", f"\u251c\u2500 {exe} --leaf 3 three"),
        ("!", r["killed"][0], "SIGKILL", f"\u251c\u2500 {exe} --sleep"),
        ("!", r["noexec"][0], "exit 127",
         "\u251c\u2500 [views_tree] -> /nonexistent/views-nope  [1 exec failed]"),
        (" ", r["forkonly"][0], "ok", "\u251c\u2500 [views_tree]"),
        (" ", r["hostile"][0], "ok", f"\u2514\u2500 {exe} --leaf 0 \\e]0;x\\x07 \\xff"),
    ]


def _check_tree(transport):
    rc, err, roles, d = _trace_known_tree(transport)
    try:
        eq(rc, 0, f"{transport}: trace's exit status (the command's)")
        rows, _, footer = _tree_lines(err)
        want = [(m, p, s, c.replace("{pids}", os.path.join(d, "pids")))
                for m, p, s, c in _expected(roles)]
        eq(len(rows), len(want), f"{transport}: tree lines:\n{err}")
        for got, exp in zip(rows, want):
            eq(got, exp, f"{transport}: tree line of pid {exp[1]}")
        eq(footer, "11 processes, 3 failed, 0 running (9 lines: identical siblings folded, xN)",
           f"{transport}: footer")
        # the folded line is the first of the three, in order of start
        eq(rows[3][1], roles["same"][0], f"{transport}: the group's first member leads it")
        allpids = sorted(p for ps in roles.values() for p in ps)
        with open(os.path.join(d, "timeline.json"), "rb") as f:
            doc = json.loads(f.read())
        xs = [e for e in doc["traceEvents"] if e["ph"] == "X"]
        eq(sorted(e["args"]["pid"] for e in xs), allpids, f"{transport}: one event per life")
        for e in xs:
            check(e["dur"] >= 0 and e["ts"] >= 0, f"{transport}: ts/dur: {e}")
        g = only_pid(xs, roles["grandchild"][0])
        eq([p["pid"] for p in g["args"]["parents"]], [roles["mid"][0], roles["root"][0]],
           f"{transport}: the grandchild's parent chain")
        eq(len({e["pid"] for e in xs}), 1, f"{transport}: one tree, one track group")
        eq(only_pid(xs, roles["killed"][0])["args"]["signal"], "KILL", f"{transport}: signal")
        eq([a.encode("utf-8", "surrogateescape")
            for a in only_pid(xs, roles["hostile"][0])["args"]["args"][1:]],
           [b"--leaf", b"0", b"\033]0;x\a", b"\xff"], f"{transport}: hostile bytes")
        eq(only_pid(xs, roles["noexec"][0])["args"]["failed_exec"], "/nonexistent/views-nope",
           f"{transport}: the failed exec")
        # the tree's order is the timeline's: a track per life, in tree order
        order = [e["args"]["pid"] for e in sorted(xs, key=lambda e: e["tid"])]
        eq(order[:4], [roles["root"][0], roles["mid"][0], roles["grandchild"][0],
                       roles["same"][0]], f"{transport}: tracks in tree order")
        _, bars = check_svg(os.path.join(d, "view.svg"), len(allpids))
        eq(sorted(b.get("class") for b in bars).count("life signal"), 1,
           f"{transport}: one bar of a killed life")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_tree_ringbuf():
    _check_tree("ringbuf")


def test_tree_perf():
    _check_tree("perf")


def _cols(s):
    return len(s)  # the tree's text here is ASCII, box drawing and "…": a column each


def _check_tree_tty(transport):
    rc, err, roles, d = _trace_known_tree(transport, pty_cols=70)
    try:
        eq(rc, 0, f"{transport}: exit status")
        rows, h, footer = _tree_lines(err)
        want = [(m, p, s, c.replace("{pids}", os.path.join(d, "pids")))
                for m, p, s, c in _expected(roles)]
        eq([r[:3] for r in rows], [w[:3] for w in want], f"{transport}: the same lines")
        cmd = h.index("COMMAND")
        for (m, p, s, got), (_, _, _, full) in zip(rows, want):
            line = err.split("\n")[[i for i, ln in enumerate(err.split("\n"))
                                    if ln[1:8].strip() == str(p)][0]]
            check(_cols(line) <= 70, f"{transport}: wider than the terminal: {line!r}")
            if got == full:
                continue
            # cut: the command only, marked; the tree glyphs, xN and notes whole
            keep, _, tail = got.partition("\u2026")
            check(keep and full.startswith(keep), f"{transport}: {got!r} cut from {full!r}")
            check(full.endswith(tail), f"{transport}: {got!r}: the end ({tail!r}) kept")
            check(cmd + len(got) >= 60, f"{transport}: cut although there was room: {got!r}")
        check(any("\u2026" in r[3] for r in rows), f"{transport}: nothing was cut at 70 columns")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_tree_tty_width_ringbuf():
    _check_tree_tty("ringbuf")


def test_tree_tty_width_perf():
    _check_tree_tty("perf")


def test_views_usage():
    r = run([BIN, "trace", "--tree", "--json", "--", "true"])
    eq(r.returncode, 2, "--tree with --json: a usage error")
    check(b"--tree and --json" in r.stderr, f"says why: {r.stderr!r}")
    r = run([BIN, "trace", "--timeline", "/nonexistent/dir/t.json", "--", "true"])
    eq(r.returncode, 1, "--timeline into a missing directory: a runtime failure")
    eq(r.stderr.decode().strip(),
       "procsnoop trace: cannot create /nonexistent/dir/t.json: No such file or directory",
       "the reason, before tracing")
    # a write error at the end is said, and trace fails (not a silently empty file)
    r = run([BIN, "trace", "--svg", "/dev/full", "--", "true"])
    eq(r.returncode, 1, "--svg /dev/full: a runtime failure")
    check(b"procsnoop trace: cannot write /dev/full: No space left on device" in r.stderr,
          f"says why: {r.stderr!r}")
    r = run([BIN, "trace", "--svg"])
    eq(r.returncode, 2, "--svg without FILE")


def _check_sigint(transport):
    """--descendants-of a running shell, stopped by SIGINT: the files have the lives
    ended so far and the shell, still running, whose start was before the tracer."""
    d = tempfile.mkdtemp(prefix="ps-views-")
    sh = subprocess.Popen(["sh", "-c", "read x; /bin/true views-sigint; echo done; read y"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        tl, svg = os.path.join(d, "t.json"), os.path.join(d, "t.svg")
        with Tracer(["trace", "--transport", transport, "--timeline", tl, "--svg", svg,
                     "--descendants-of", str(sh.pid)]) as t:
            sh.stdin.write(b"go\n")
            sh.stdin.flush()
            eq(sh.stdout.readline(), b"done\n", "the shell ran /bin/true")
            t.stop()
        with open(tl) as f:
            xs = [e for e in json.load(f)["traceEvents"] if e["ph"] == "X"]
        check(sh.pid in [e["args"]["pid"] for e in xs], f"{transport}: the shell's life")
        s = only_pid(xs, sh.pid)["args"]
        eq((s["running"], s["start_observed"]), (True, False), f"{transport}: shell running")
        tr = [e["args"] for e in xs if e["args"]["args"][1:] == ["views-sigint"]]
        eq(len(tr), 1, f"{transport}: one life of /bin/true")
        eq((tr[0]["outcome"], tr[0]["parents"][0]["pid"]), ("ok", sh.pid),
           f"{transport}: /bin/true ended, under the shell")
        eq(len(xs), 2, f"{transport}: the shell and /bin/true: {[e['args']['args'] for e in xs]}")
        _, bars = check_svg(svg, 2)
        eq(sorted(b.get("class") for b in bars), ["life ok", "life running"],
           f"{transport}: bars")
    finally:
        sh.kill()
        sh.wait()
        shutil.rmtree(d, ignore_errors=True)


def test_sigint_views_ringbuf():
    _check_sigint("ringbuf")


def test_sigint_views_perf():
    _check_sigint("perf")


# tests/run.py skips this module inside test_fresh's chroot, saying why (CI time)
FRESH_INSIDE_SKIP = "the views are rendering, not the machine; the suite outside runs them"
