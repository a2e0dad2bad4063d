# SPDX-License-Identifier: GPL-2.0
"""execsnoop hooks: every hook set that can run here captures the same
events; the ready line names them; fentry (refused by this kernel) fails
clearly; the tool works without tracefs mounted."""
import errno
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from test_exec_lib import (Tracer, b, check, check_exec, eq, execs, helper_out,  # noqa: E402
                           marker, my_comm, now, only, run_exec)

ME = os.getpid()
SYS_HOOKS = {
    "sys-tp": ["tracepoint/syscalls/sys_enter_execve", "tracepoint/syscalls/sys_enter_execveat",
               "tracepoint/syscalls/sys_exit_execve", "tracepoint/syscalls/sys_exit_execveat"],
    "raw-sys": ["raw_tracepoint/sys_enter", "raw_tracepoint/sys_exit"],
}
# The compat side this kernel picks (compat-fentry is refused like fentry):
# compat-raw on x86-64, nothing with raw-sys (it sees 32-bit syscalls itself).
AMD64 = os.uname().machine == "x86_64"
COMPAT_RAW = ["raw_tracepoint/sys_exit"] if AMD64 else []
COMPAT = {"sys-tp": COMPAT_RAW, "raw-sys": []}
EXEC_HOOKS = {
    "exec-btf": ["tp_btf/sched_process_exec"],
    "exec-raw": ["raw_tp/sched_process_exec"],
    "exec-tp": ["tracepoint/sched/sched_process_exec"],
}


def _exercise(t, what):
    """A success, a failure with a 40 KiB argv (multi-record), an execveat,
    a thread exec; check them field by field."""
    m = [marker() for _ in range(4)]
    big = [b"y" * 20000, b"z" * 20000]
    t0 = now()
    pid, rc = run_exec([b"/bin/true", m[0].encode(), b"a\nb"])
    _, err = run_exec([b"/nonexistent/h", m[1].encode()] + big)
    fd = int(helper_out(["execveat", "/bin", "true", "true", m[2]])[0])
    words = helper_out(["thread", "/bin/true", "/bin/true", m[3]])
    t1 = now()
    t.stop()
    eq((rc, err), (0, -errno.ENOENT), f"{what}: exit statuses")
    eq(t.rc, 0, f"{what}: tracer exit status")
    e = only(execs(t, m[0]), f"{what}: success")
    check_exec(e, what, before=t0, after=t1, pid=pid, tid=pid, ppid=ME, uid=0, gid=0,
               comm=b"true", pcomm=my_comm(), filename=b"/bin/true",
               args=[b"/bin/true", m[0].encode(), b"a\nb"], args_truncated=False, ret=0)
    e = only(execs(t, m[1]), f"{what}: failure")
    check_exec(e, what + " failure", before=t0, after=t1, ppid=ME, comm=my_comm(),
               filename=b"/nonexistent/h", args=[b"/nonexistent/h", m[1].encode()] + big,
               args_truncated=False, args_cut_bytes=0, ret=-errno.ENOENT)
    e = only(execs(t, m[2]), f"{what}: execveat")
    check_exec(e, what + " execveat", ppid=ME, filename=f"/dev/fd/{fd}/true".encode(),
               args=[b"true", m[2].encode()], ret=0)
    eq(e.get("execveat"), {"fd": fd, "flags": 0}, f"{what}: execveat member")
    e = only(execs(t, m[3]), f"{what}: thread exec")
    check_exec(e, what + " thread exec", pid=int(words[0]), tid=int(words[1]), ppid=ME,
               comm=b"true", args=[b"/bin/true", m[3].encode()], ret=0)


def test_exec_hooks_every_pair():
    """Each syscall-side x exec-side hook pair: exact ready 'hooks', same events."""
    for sh, sprogs in SYS_HOOKS.items():
        for xh, xprogs in EXEC_HOOKS.items():
            what = f"--hook {sh},{xh}"
            t = Tracer(["exec", "--json", "--hook", f"{sh},{xh}"]).start()
            eq(t.ready.get("hooks"), sprogs + xprogs + COMPAT[sh], f"{what}: ready hooks")
            _exercise(t, what)


def test_exec_hooks_perf_transport():
    """The perf buffer with the non-default hooks (raw-sys + exec-tp)."""
    t = Tracer(["exec", "--json", "--transport", "perf", "--hook", "raw-sys,exec-tp"]).start()
    eq(t.ready.get("transport"), "perf", "ready transport")
    _exercise(t, "perf raw-sys,exec-tp")


def test_exec_hooks_default_choice():
    """Without --hook the tool picks by itself and says which, quietly (falling
    back from fentry is not an error): here sys-tp + exec-btf + compat-raw."""
    t = Tracer(["exec", "--json"]).start()
    eq(t.ready.get("hooks"), SYS_HOOKS["sys-tp"] + EXEC_HOOKS["exec-btf"] + COMPAT_RAW,
       "default ready hooks")
    _exercise(t, "default hooks")
    eq(t.stderr, b"", "stderr of a normal run")


def test_exec_hooks_compat_side():
    """The compat side through --hook and --no-compat: compat-raw is forced
    like any hook; --no-compat / compat-off attach no raw sys_exit program;
    64-bit capture is the same either way; compat-fentry, refused here like
    fentry, fails clearly when forced."""
    if not AMD64:
        raise lib.Skip("x86-64 only")
    base = SYS_HOOKS["sys-tp"] + EXEC_HOOKS["exec-raw"]
    for args, want in ((["--hook", "exec-raw,compat-raw"], base + COMPAT_RAW),
                       (["--hook", "exec-raw,compat-off"], base),
                       (["--hook", "exec-raw", "--no-compat"], base),
                       (["--transport", "perf", "--hook", "exec-raw", "--no-compat"], base)):
        t = Tracer(["exec", "--json"] + args).start()
        eq(t.ready.get("hooks"), want, f"{args}: ready hooks")
        _exercise(t, " ".join(args))
    p = lib.run([lib.BIN, "exec", "--hook", "compat-fentry"], timeout=60)
    err = p.stderr.decode()
    eq(p.returncode, 1, "--hook compat-fentry: exit status")
    eq(len(err.splitlines()), 1, f"--hook compat-fentry: stderr lines ({err!r})")
    check("'compat-fentry'" in err and "forced" in err and "__ia32_compat_sys_execve" in err
          and "Operation not permitted" in err, f"--hook compat-fentry: message {err!r}")


def test_exec_hook_fentry_refused():
    """fentry is refused at load by this kernel: forcing it is one clear line, exit 1."""
    for hook in ("fentry", "fentry,exec-raw"):
        p = lib.run([lib.BIN, "exec", "--hook", hook], timeout=60)
        err = p.stderr.decode()
        eq(p.returncode, 1, f"--hook {hook}: exit status")
        eq(p.stdout, b"", f"--hook {hook}: stdout")
        eq(len(err.splitlines()), 1, f"--hook {hook}: stderr lines ({err!r})")
        check("'fentry'" in err and "forced" in err and "Operation not permitted" in err,
              f"--hook {hook}: message does not name the hook and the reason: {err!r}")


def _tracefs_mounted():
    with open("/proc/self/mounts") as f:
        return any(ln.split()[1] == "/sys/kernel/tracing" for ln in f)


def test_exec_without_tracefs():
    """tracefs not mounted: the default tool still captures (it may mount tracefs
    for sys-tp), and raw-sys + exec-raw need no tracefs at all."""
    was = _tracefs_mounted()
    try:
        for args in (["--hook", "raw-sys,exec-raw"], []):
            if _tracefs_mounted():
                r = subprocess.run(["umount", "/sys/kernel/tracing"], stderr=subprocess.PIPE)
                if r.returncode != 0:
                    raise lib.Skip(f"cannot umount tracefs: {r.stderr.decode().strip()}")
            m = marker()
            with Tracer(["exec", "--json"] + args) as t:
                pid, rc = run_exec(["/bin/true", m])
                _, err = run_exec(["/nonexistent/" + m, m])
            eq(t.rc, 0, f"{args}: exit status")
            e = only(execs(t, m, pid=pid), f"{args}: success event")
            check_exec(e, f"{args} success", ppid=ME, ret=0, args=[b"/bin/true", m.encode()])
            e = only([x for x in execs(t, m) if x["ret"] != 0], f"{args}: failure event")
            check_exec(e, f"{args} failure", ppid=ME, ret=-errno.ENOENT)
    finally:
        if was and not _tracefs_mounted():
            subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"])
