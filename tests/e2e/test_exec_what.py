# SPDX-License-Identifier: GPL-2.0
"""execsnoop: what ran and how. exe (symlink, deleted, memfd, exec -a, #!
script), exe_ino/exe_dev, cwd (plain, past the bound, hostile bytes), tty,
cap_effective, egid/suid and privilege_change, each against ground truth
the test creates, with the ring buffer and with the perf buffer. Only the
test's own children are traced (-P)."""
import fcntl
import os
import shutil
import subprocess
import sys
import termios

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_exec_lib import (TRANSPORTS, TmpDir, Tracer, b, check, eq, execs,  # noqa: E402
                           make_file, marker, only, run_exec)

ME = os.getpid()
TRUE = os.path.realpath("/bin/true")
CAT = os.path.realpath("/bin/cat")
NOBODY = 65534
XPATH_MAX = 4096  # PS_XPATH_MAX


def tracer(tr):
    return Tracer(["exec", "--json", "--transport", tr, "-P", str(ME)]).start()


def status(pid):
    """/proc/PID/status as a dict of the fields we compare with."""
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def blocked_cat(mark, **kw):
    """A cat blocked reading its stdin (a pipe): alive while we read /proc."""
    p = subprocess.Popen([CAT, "-", mark], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, **kw)
    # cat has exec'd once its stdin is read: /proc/PID/exe then names cat
    for _ in range(100000):
        try:
            if os.readlink(f"/proc/{p.pid}/exe") == CAT:
                break
        except OSError:
            pass
    st = status(p.pid)
    p.stdin.close()
    p.wait()
    return p.pid, st


def one(t, mark, what):
    return only(execs(t, mark), what)


def test_exec_exe_paths():
    """exe for a symlink, a deleted binary, a memfd, exec -a and a #! script; exe_ino/dev."""
    for tr in TRANSPORTS:
        with TmpDir() as d:
            d = os.path.realpath(d)
            m = {k: marker() for k in ("link", "del", "memfd", "argv0", "script", "rel")}
            link = os.path.join(d, "link")
            os.symlink("/bin/true", link)
            gone = os.path.join(d, "gone")
            shutil.copy(TRUE, gone)
            fd = os.open(gone, os.O_RDONLY)
            gst = os.fstat(fd)
            os.unlink(gone)
            mfd = os.memfd_create("ew" + m["memfd"], 0)
            with open(TRUE, "rb") as f:
                os.write(mfd, f.read())
            script = make_file(os.path.join(d, "s.sh"), b"#!/bin/sh\nexit 0\n", 0o755)
            t = tracer(tr)
            run_exec([link, m["link"]])
            run_exec(["gone", m["del"]], executable=f"/proc/self/fd/{fd}", pass_fds=[fd])
            run_exec(["mem", m["memfd"]], executable=f"/proc/self/fd/{mfd}", pass_fds=[mfd])
            run_exec(["/bin/bash", "-c", "exec -a '[kthreadd]' /bin/true " + m["argv0"]])
            run_exec([script, m["script"]])
            run_exec(["./s.sh", m["rel"]], cwd=d)
            t.stop()
            os.close(fd)
            os.close(mfd)
            tst = os.stat(TRUE)
        w = f"{tr}: symlink"
        e = one(t, m["link"], w)
        eq(e["filename"], link, f"{w} filename")
        eq(e["exe"], TRUE, f"{w} exe (the target)")
        eq((e["exe_deleted"], e["exe_memfd"], e["exe_truncated"]), (False, False, False),
           f"{w} flags")
        eq((e["exe_ino"], e["exe_dev"]), (tst.st_ino, tst.st_dev), f"{w} exe_ino/exe_dev")
        check("interp" not in e, f"{w}: no interp: {e.get('interp')!r}")
        w = f"{tr}: deleted"
        e = one(t, m["del"], w)
        eq(e["exe"], gone, f"{w} exe (the original path)")
        eq((e["exe_deleted"], e["exe_memfd"]), (True, False), f"{w} flags")
        eq((e["exe_ino"], e["exe_dev"]), (gst.st_ino, gst.st_dev), f"{w} exe_ino/exe_dev")
        w = f"{tr}: memfd"
        e = one(t, m["memfd"], w)
        eq(e["exe"], "memfd:ew" + m["memfd"], f"{w} exe")
        # never linked: deleted as /proc/PID/exe's " (deleted)" says
        eq((e["exe_memfd"], e["exe_deleted"]), (True, True), f"{w} flags")
        w = f"{tr}: exec -a"
        e = only([x for x in execs(t, m["argv0"]) if x["filename"] == "/bin/true"], w)
        eq(e["args"][0], "[kthreadd]", f"{w} argv[0]")
        eq(e["exe"], TRUE, f"{w} exe (the real file)")
        for k, name, path in (("script", "absolute", script), ("rel", "./s.sh", script)):
            w = f"{tr}: script {name}"
            e = one(t, m[k], w)
            eq(e["exe"], path, f"{w} exe (the script)")
            eq(e["interp"], os.path.realpath("/bin/sh"), f"{w} interp")
            eq((e["exe_from_name"], e["exe_truncated"], e["interp_truncated"]),
               (True, False, False), f"{w} flags")
            eq(e["cwd"], d if k == "rel" else os.getcwd(), f"{w} cwd")


def _deep(base, total):
    """Directories under @base whose path exceeds @total bytes; returns (fd, names)."""
    names = []
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    while len(base) + sum(len(n) + 1 for n in names) <= total:
        n = "d%03d" % len(names) + "x" * 196
        os.mkdir(n, dir_fd=fd)
        nfd = os.open(n, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
        names.append(n)
    return fd, names


def test_exec_cwd():
    """cwd: a directory the test made, one past the bound (truncated: its last components),
    one with newlines, escapes and invalid UTF-8 (exact bytes); failed execs too."""
    for tr in TRANSPORTS:
        with TmpDir() as d:
            d = os.path.realpath(d)
            m = {k: marker() for k in ("plain", "deep", "hostile", "fail")}
            plain = os.path.join(d, "work dir")
            os.mkdir(plain)
            hostile = os.path.join(d, "a\nb\x1b[31m\\\"q\u202e").encode() + b"\xff\xc0"
            os.mkdir(hostile)
            dfd, names = _deep(d, XPATH_MAX + 300)
            t = tracer(tr)
            run_exec([TRUE, m["plain"]], cwd=plain)
            run_exec([TRUE, m["deep"]], preexec_fn=lambda: os.fchdir(dfd))
            run_exec([TRUE, m["hostile"]], cwd=hostile)
            _, rc = run_exec(["./nonexistent", m["fail"]], cwd=plain)
            t.stop()
            os.close(dfd)
        eq(rc < 0, True, "failed exec failed")
        w = f"{tr}: plain"
        e = one(t, m["plain"], w)
        eq((e["cwd"], e["cwd_truncated"]), (plain, False), f"{w} cwd")
        w = f"{tr}: deep"
        e = one(t, m["deep"], w)
        full = "/".join([d] + names)
        check(len(full) > XPATH_MAX, f"{w}: test path {len(full)} bytes is past the bound")
        # the last components that fit in the bound, each with its '/'
        keep = ""
        for n in reversed(full.split("/")[1:]):
            if len(keep) + len(n) + 1 > XPATH_MAX:
                break
            keep = "/" + n + keep
        eq(e["cwd_truncated"], True, f"{w} cwd_truncated")
        eq(e["cwd"], keep, f"{w} cwd (its last components)")
        w = f"{tr}: hostile"
        e = one(t, m["hostile"], w)
        eq(b(e["cwd"]), hostile, f"{w} cwd bytes")
        w = f"{tr}: failed exec"
        e = one(t, m["fail"], w)
        eq((e["ret"], e["cwd"], e["cwd_truncated"]), (rc, plain, False), f"{w} cwd")
        check("exe" not in e and "privilege_change" not in e,
              f"{w}: no exe or privilege_change: {e.get('exe')!r}")


def _ctty(slave):
    def f():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    return f


def test_exec_creds_tty():
    """tty on a pty the test opens (null without one); egid, suid, cap_effective against
    /proc/PID/status; privilege_change for a setuid copy run as nobody, not for a plain one."""
    for tr in TRANSPORTS:
        with TmpDir() as d:
            os.chmod(d, 0o755)
            m = {k: marker() for k in ("tty", "notty", "ids", "root", "suid", "plain")}
            master, slave = os.openpty()
            pts = os.ttyname(slave)[len("/dev/"):]
            suid = os.path.join(d, "suidtrue")
            shutil.copy(TRUE, suid)
            os.chown(suid, 0, 0)
            os.chmod(suid, 0o4755)
            plain = os.path.join(d, "plaintrue")
            shutil.copy(TRUE, plain)
            os.chmod(plain, 0o755)

            def ids():
                os.setresgid(1, 2, 3)
                os.setresuid(4, 5, 6)

            def nobody():
                os.setgroups([])
                os.setresgid(NOBODY, NOBODY, NOBODY)
                os.setresuid(NOBODY, NOBODY, NOBODY)
            t = tracer(tr)
            run_exec([TRUE, m["tty"]], preexec_fn=_ctty(slave), stdin=slave, pass_fds=[slave])
            run_exec([TRUE, m["notty"]], start_new_session=True)
            ids_pid, ids_st = blocked_cat(m["ids"], preexec_fn=ids)
            root_pid, root_st = blocked_cat(m["root"])
            run_exec([suid, m["suid"]], preexec_fn=nobody)
            run_exec([plain, m["plain"]], preexec_fn=nobody)
            t.stop()
            os.close(master)
            os.close(slave)
        w = f"{tr}: tty"
        eq(one(t, m["tty"], w)["tty"], pts, f"{w} tty")
        w = f"{tr}: no tty"
        eq(one(t, m["notty"], w)["tty"], None, f"{w} tty")
        for k, pid, st in (("ids", ids_pid, ids_st), ("root", root_pid, root_st)):
            w = f"{tr}: {k}"
            e = only(execs(t, m[k], pid=pid), w)
            r, eu, su, _ = (int(x) for x in st["Uid"].split())
            rg, eg, sg, _ = (int(x) for x in st["Gid"].split())
            eq((e["uid"], e["euid"], e["suid"]), (r, eu, su), f"{w} uid/euid/suid")
            eq((e["gid"], e["egid"]), (rg, eg), f"{w} gid/egid")
            eq(e["cap_effective"], st["CapEff"], f"{w} cap_effective")
            eq(e["privilege_change"], False, f"{w} privilege_change")
        eq((ids_st["Uid"].split()[:3], ids_st["Gid"].split()[:2]), (["4", "5", "5"], ["1", "2"]),
           "the ids test's own view (exec sets suid to euid)")
        w = f"{tr}: setuid as nobody"
        e = one(t, m["suid"], w)
        eq((e["uid"], e["euid"], e["suid"], e["ret"]), (NOBODY, 0, 0, 0), f"{w} ids")
        eq(e["privilege_change"], True, f"{w} privilege_change")
        check(int(e["cap_effective"], 16) != 0, f"{w}: euid 0 has capabilities")
        w = f"{tr}: plain as nobody"
        e = one(t, m["plain"], w)
        eq((e["uid"], e["euid"], e["suid"], e["cap_effective"]),
           (NOBODY, NOBODY, NOBODY, "0" * 16), f"{w} ids")
        eq(e["privilege_change"], False, f"{w} privilege_change")
