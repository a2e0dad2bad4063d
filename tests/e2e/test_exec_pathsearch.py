# SPDX-License-Identifier: GPL-2.0
"""PATH-search folding: execvp() tries DIR/NAME in each PATH directory; the
misses before the attempt that ends the search are one record's
"path_tried" (table: [+N PATH misses]), not one failed exec each.

The searches are real: coreutils env(1) runs NAME through glibc's execvp()
with a PATH this test builds (missing directories, a directory with a
non-executable NAME, the directory that has it). The children are pinned to
one CPU so the per-CPU perf buffers deliver a thread's attempts in order
(the tool also orders failed attempts by kernel time)."""
import errno
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from test_exec_lib import (TRANSPORTS, TmpDir, Tracer, b, check, check_exec, eq, execs,  # noqa: E402
                           make_file, marker, only, run_exec)

ME = os.getpid()
ENV = "/usr/bin/env"


def pinned():
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def search(dirs, name, mark):
    """env PATH=dirs NAME MARK: glibc's execvp search; returns env's pid."""
    pid, _ = run_exec([ENV, "PATH=" + ":".join(dirs), name, mark], preexec_fn=pinned)
    return pid


def live(t, pred, what, timeout=20):
    """Wait, with the tracer still running, for an output line that @pred
    accepts; the timeout is the failure condition, not a synchronization."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = b"".join(list(t._chunks))
        for ln in data.split(b"\n"):
            if not ln:
                continue
            if t.json_mode:
                try:
                    obj = json.loads(ln)
                except ValueError:
                    continue  # a line still being written
                if pred(obj):
                    return obj
            elif pred(ln):
                return ln
        time.sleep(0.02)
    raise lib.Failure(f"{what}: not printed within {timeout}s while the tracer ran")


def tree(d):
    """PATH directories under @d: 5 missing, one with a non-executable NAME, one with NAME."""
    miss = [os.path.join(d, f"m{i}") for i in range(5)]
    noexec = os.path.join(d, "noexec")
    good = os.path.join(d, "good")
    os.mkdir(noexec)
    os.mkdir(good)
    return miss, noexec, good


def mine(t, m):
    return [e for e in execs(t, m) if e["filename"] != ENV]


def test_pathsearch_folded_json():
    """Found in the 6th directory after 5 missing ones; in the 4th (one entry twice); found
    nowhere; found after ENOTDIR and EACCES misses: each search is one record, the final
    attempt, with the exact path_tried (and path_tried_errors when one miss is
    not ENOENT). The found-nowhere record is printed while the tracer runs."""
    for tr in TRANSPORTS:
        with TmpDir() as d:
            miss, noexec, good = tree(d)
            name = "psx" + marker()[3:11]
            make_file(os.path.join(good, name), b"#!/bin/sh\nexit 0\n", 0o755)
            make_file(os.path.join(noexec, name), b"#!/bin/sh\nexit 0\n", 0o644)
            p = lambda dd: os.path.join(dd, name)  # noqa: E731
            m6, m3, m0, ma = marker(), marker(), marker(), marker()
            with Tracer(["exec", "--json", "--transport", tr, "-P", str(ME)]) as t:
                pid6 = search(miss + [good], name, m6)
                # a PATH entry twice (common: ~/.cargo/bin added by two profiles)
                pid3 = search([miss[0], miss[0], miss[1], good] + miss[2:], name, m3)
                pid0 = search(miss[:4], name, m0)
                # a PATH entry that is a file: DIR/NAME fails with ENOTDIR
                afile = make_file(os.path.join(d, "afile"), b"", 0o644)
                pida = search(miss[:1] + [afile, noexec, good], name, ma)
                live(t, lambda e: e.get("type") == "exec" and m0 in e.get("args", []),
                     f"{tr}: the search that found nothing")
            eq(t.rc, 0, f"{tr}: exit status")
            # a #! script: its record shows the interpreter's argv; the search's
            # attempts passed [NAME, MARK]
            e = only(mine(t, m6), f"{tr}: 6th-directory search")
            check_exec(e, f"{tr} 6th", pid=pid6, ppid=ME, ret=0, filename=p(good).encode(),
                       args=[b"/bin/sh", p(good).encode(), m6.encode()])
            eq(e.get("path_tried"), [p(x) for x in miss], f"{tr}: 6th: path_tried")
            check("path_tried_errors" not in e, f"{tr}: 6th: all ENOENT, no errors list: {e}")
            e = only(mine(t, m3), f"{tr}: 3rd-directory search")
            check_exec(e, f"{tr} 3rd", pid=pid3, ret=0, filename=p(good).encode())
            eq(e.get("path_tried"), [p(miss[0]), p(miss[0]), p(miss[1])], f"{tr}: 3rd: path_tried")
            e = only(mine(t, m0), f"{tr}: found-nowhere search")
            check_exec(e, f"{tr} nowhere", pid=pid0, ret=-errno.ENOENT,
                       filename=p(miss[3]).encode(), args=[name.encode(), m0.encode()])
            eq(e["error"], "ENOENT", f"{tr}: nowhere: error")
            eq(e.get("path_tried"), [p(x) for x in miss[:3]], f"{tr}: nowhere: path_tried")
            e = only(mine(t, ma), f"{tr}: search past an EACCES")
            check_exec(e, f"{tr} eacces", pid=pida, ret=0, filename=p(good).encode())
            eq(e.get("path_tried"), [p(miss[0]), p(afile), p(noexec)], f"{tr}: eacces: path_tried")
            eq(e.get("path_tried_errors"), ["ENOENT", "ENOTDIR", "EACCES"], f"{tr}: eacces: errors")


def test_pathsearch_lone_failure_at_once():
    """A lone failed exec (no search) is printed as before, with no path_tried,
    while the tracer keeps running; so is a failure that is not a search miss."""
    for tr in TRANSPORTS:
        m, m2 = marker(), marker()
        with Tracer(["exec", "--json", "--transport", tr, "-P", str(ME)]) as t:
            run_exec(["/nonexistent/" + m, m])
            e = live(t, lambda e: e.get("type") == "exec" and m in e.get("args", []),
                     f"{tr}: a lone failure")
            # E2BIG is no PATH miss: never held
            _, rc = run_exec(["/bin/true", m2, "x" * (200 * 1024)])
            eq(rc, -errno.E2BIG, "an over-long argument")
            e2 = live(t, lambda e: e.get("type") == "exec" and e.get("ret") == -errno.E2BIG and
                      m2 in e.get("args", []), f"{tr}: an E2BIG failure")
        check_exec(e, f"{tr} lone", ret=-errno.ENOENT, filename=f"/nonexistent/{m}".encode(),
                   args=[f"/nonexistent/{m}".encode(), m.encode()], ppid=ME)
        check("path_tried" not in e and "path_tried" not in e2, f"{tr}: lone: {e} {e2}")
        eq(len(mine(t, m)), 1, f"{tr}: lone failure printed once")


def test_pathsearch_all_attempts():
    """--all-attempts: each directory's attempt is its own record, as before."""
    for tr in TRANSPORTS:
        with TmpDir() as d:
            miss, _, good = tree(d)
            name = "psx" + marker()[3:11]
            os.symlink("/bin/true", os.path.join(good, name))
            m = marker()
            with Tracer(["exec", "--json", "--all-attempts", "--transport", tr,
                         "-P", str(ME)]) as t:
                search(miss[:3] + [good], name, m)
            got = [(x["filename"], x["ret"]) for x in mine(t, m)]
            eq(got, [(os.path.join(x, name), -errno.ENOENT) for x in miss[:3]] +
               [(os.path.join(good, name), 0)], f"{tr}: every attempt")
            check(all("path_tried" not in x for x in mine(t, m)), f"{tr}: no path_tried")


def test_pathsearch_table():
    """Table mode: the final attempt's row ends with [+N PATH misses]; no row
    for a miss; a lone failure's row has no such mark."""
    for tr in TRANSPORTS:
        with TmpDir() as d:
            miss, _, good = tree(d)
            name = "psx" + marker()[3:11]
            os.symlink("/bin/true", os.path.join(good, name))
            m2, m3, m1, ml = marker(), marker(), marker(), marker()
            with Tracer(["exec", "--transport", tr, "-P", str(ME)]) as t:
                pid = search(miss[:2] + [good], name, m2)
                search(miss[:3], name, m3)
                search(miss[:1], name, m1)
                run_exec(["/nonexistent/" + ml, ml])
                live(t, lambda ln: ml.encode() in ln, f"{tr}: lone failure row")
                live(t, lambda ln: m3.encode() in ln and b"PATH=" not in ln,
                     f"{tr}: found-nowhere row")
            rows = [ln.decode() for ln in t.lines if m2.encode() in ln and b"PATH=" not in ln]
            r = only(rows, f"{tr}: found-in-3rd rows")
            check(re.match(rf"^{name} +{pid} +{ME} +0 {name} {m2} \[\+2 PATH misses\]$", r),
                  f"{tr}: found row {r!r}")
            rows = [ln.decode() for ln in t.lines if m3.encode() in ln and b"PATH=" not in ln]
            r = only(rows, f"{tr}: found-nowhere rows")
            check(re.search(rf" -2 {name} {m3} \[\+2 PATH misses\]$", r), f"{tr}: nowhere row {r!r}")
            rows = [ln.decode() for ln in t.lines if m1.encode() in ln and b"PATH=" not in ln]
            r = only(rows, f"{tr}: one-directory search rows")
            check(r.endswith(f" -2 {name} {m1}"), f"{tr}: single miss is a lone failure: {r!r}")
            r = only([ln.decode() for ln in t.lines if ml.encode() in ln], f"{tr}: lone row")
            check(r.endswith(f" -2 /nonexistent/{ml} {ml}"), f"{tr}: lone row {r!r}")


def test_pathsearch_fails_only():
    """--fails-only: a search that found its command is no failure (nothing
    printed for it); one that found nothing is one record with path_tried;
    with --all-attempts each failed attempt, and no success."""
    for tr in TRANSPORTS:
        with TmpDir() as d:
            miss, _, good = tree(d)
            name = "psx" + marker()[3:11]
            os.symlink("/bin/true", os.path.join(good, name))
            p = lambda dd: os.path.join(dd, name)  # noqa: E731
            mf, mn = marker(), marker()
            with Tracer(["exec", "--json", "--fails-only", "--transport", tr,
                         "-P", str(ME)]) as t:
                search(miss[:2] + [good], name, mf)
                search(miss[:3], name, mn)
                live(t, lambda e: e.get("type") == "exec" and mn in e.get("args", []),
                     f"{tr}: the search that found nothing")
            eq(mine(t, mf), [], f"{tr}: --fails-only: a successful search")
            e = only(mine(t, mn), f"{tr}: --fails-only: the failed search")
            check_exec(e, f"{tr} --fails-only", ret=-errno.ENOENT, filename=p(miss[2]).encode())
            eq(e.get("path_tried"), [p(miss[0]), p(miss[1])], f"{tr}: --fails-only: path_tried")
            mf = marker()
            with Tracer(["exec", "--json", "--fails-only", "--all-attempts", "--transport", tr,
                         "-P", str(ME)]) as t:
                search(miss[:2] + [good], name, mf)
            eq([(x["filename"], x["ret"]) for x in mine(t, mf)],
               [(p(miss[0]), -errno.ENOENT), (p(miss[1]), -errno.ENOENT)],
               f"{tr}: --fails-only --all-attempts")


def test_pathsearch_held_never_lost():
    """Held failures are printed, never dropped: at exit (the tracer is
    stopped while the failures happen, so they reach it only in the final
    drain, and are still held when it ends), and when more threads hold one
    than there are slots (100 > 64: the oldest are printed early)."""
    import signal
    for tr in TRANSPORTS:
        for mode in (["--json"], []):
            marks = [marker() for _ in range(100)]
            t = Tracer(["exec", "--transport", tr, "-P", str(ME)] + mode).start()
            t.proc.send_signal(signal.SIGSTOP)
            try:
                for m in marks:
                    run_exec([f"/nonexistent/{m}/cmd", m])
                t.proc.send_signal(signal.SIGINT)
            finally:
                t.proc.send_signal(signal.SIGCONT)
            t.stop()
            what = f"{tr} {mode}"
            eq(t.rc, 0, f"{what}: exit status")
            for m in marks:
                if mode:
                    e = only(execs(t, m), f"{what}: failure {m}")
                    check_exec(e, what, ret=-errno.ENOENT, filename=f"/nonexistent/{m}/cmd".encode())
                    check("path_tried" not in e, f"{what}: {e}")
                else:
                    r = only([ln for ln in t.lines if m.encode() in ln], f"{what}: row of {m}")
                    check(r.endswith(f" -2 /nonexistent/{m}/cmd {m}".encode()), f"{what}: {r!r}")
            if mode:
                eq(t.records()[-1]["type"], "summary", f"{what}: the summary comes last")


# tests/run.py skips this module inside test_fresh's chroot, saying why (CI time)
FRESH_INSIDE_SKIP = "PATH-search folding is not about the machine; the suite outside runs it"
