# SPDX-License-Identifier: GPL-2.0
"""Run the static binary alone on another kernel: Debian's 6.1 under QEMU (TCG).

This is where the paths this machine's 6.18 kernel cannot run get exercised
(fentry/fexit are refused here, but work on 6.1), and where CO-RE proves the
same binary relocates against a different kernel's BTF. One boot runs every
case; each case is asserted field by field on what the tracer printed.
"""
import json
import os
import shutil
import subprocess
import tempfile

import lib
from lib import BUILD, ROOT, Failure, Skip, check, eq, only

CASES = [
    ("default", "exec --json"),
    ("fentry", "exec --json --hook fentry,exec-btf"),
    ("raw-sys", "exec --json --hook raw-sys,exec-raw"),
    ("perf", "exec --json --transport perf"),
    ("systp", "exec --json --hook sys-tp,exec-tp"),
    ("compatraw", "exec --json --hook compat-raw"),
    ("nocompat", "exec --json --no-compat"),
    ("noscript", "exec --json --hook script-off"),
    ("exit", "exit --json"),
    ("exitperf", "exit --json --transport perf --hook exit-raw"),
]

_console = None
# per test, for tests/run.py: the first test boots the VM, which boot() allows 900 s
TIMEOUT = 1000


def boot():
    global _console
    if _console is not None:
        return _console
    for tool in ("qemu-system-x86_64", "busybox", "cpio"):
        if not shutil.which(tool):
            raise Skip(f"{tool} not installed (scripts/deps.sh --test installs it)")
    work = os.path.join(BUILD, "qemu")
    os.makedirs(work, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".cases", delete=False) as f:
        for name, args in CASES:
            f.write(f"{name}|{args}\n")
        cases = f.name
    # the shipped static binary (with make check SAN=1, the one built beside it)
    p = subprocess.run([os.path.join(ROOT, "tests/qemu/boot.sh"), lib.STATIC_BIN, cases, work],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=900)
    os.unlink(cases)
    if p.returncode == 3:
        raise Skip("no Debian 6.1 kernel package available: " + p.stderr.decode(errors="replace"))
    _console = p.stdout.decode("utf-8", "replace").replace("\r", "")
    if "=== KERNEL 6.1" not in _console:
        raise Failure("the VM did not boot a 6.1 kernel; console tail:\n" + _console[-3000:])
    return _console


def case_output(name):
    con = boot()
    begin, end = f"=== BEGIN {name}\n", f"=== END {name} rc="
    if begin not in con:
        raise Failure(f"case {name} did not run; console tail:\n{con[-3000:]}")
    body = con.split(begin, 1)[1]
    out, rest = body.split(f"=== STDERR {name}\n", 1)
    err, rest = rest.split(end, 1)
    rc = int(rest.split("\n", 1)[0])
    recs = []
    for ln in out.splitlines():
        if ln.startswith("{"):
            recs.append(json.loads(ln))
    return recs, err, rc


FENTRY = ["fentry/__x64_sys_execve", "fentry/__x64_sys_execveat", "fexit/__x64_sys_execve",
          "fexit/__x64_sys_execveat"]
COMPAT_FENTRY = ["fentry/__ia32_compat_sys_execve", "fentry/__ia32_compat_sys_execveat",
                 "fexit/__ia32_compat_sys_execve", "fexit/__ia32_compat_sys_execveat"]


SCRIPT = ["fexit/load_script"]


def check_exec_case(name, want_hooks, compat32="seen", exact=False, script=True):
    """@compat32: how 32-bit execs show: "seen" (with the entry: a success is
    compat too), "exit" (failures only, seen at sys_exit), "none" (--no-compat).
    @script: fexit on load_script attached: a #! script's exe is its own file."""
    recs, err, rc = case_output(name)
    eq(rc, 0, f"{name}: exit status (stderr: {err.strip()})")
    ready = recs[0]
    eq(ready["type"], "ready", f"{name}: first line")
    if exact:
        eq(ready["hooks"], want_hooks, f"{name}: ready hooks")
    for h in want_hooks:
        check(h in ready["hooks"], f"{name}: hook {h} not in {ready['hooks']}")
    execs = [r for r in recs if r["type"] == "exec"]
    echo = only([e for e in execs if e["filename"] == "/bin/echo" and "qemu-marker" in e["args"]],
                f"{name}: echo exec")
    eq(echo["args"], ["/bin/echo", "qemu-marker", "a b", "tab\tx"], f"{name}: echo args")
    eq(echo["ret"], 0, f"{name}: echo ret")
    eq(echo["comm"], "echo", f"{name}: echo comm")
    eq(echo["args_truncated"], False, f"{name}: echo truncated")
    # every exec side has the file that ran (exec-tp from the new mm, with the script side)
    eq((echo.get("exe"), echo.get("exe_ino", 0) > 0), ("/bin/busybox", True), f"{name}: echo exe")
    miss = only([e for e in execs if e["filename"] == "/nonexistent/qemu-missing"],
                f"{name}: failed exec")
    eq(miss["args"], ["/nonexistent/qemu-missing", "arg1"], f"{name}: failed exec args")
    eq(miss["ret"], -2, f"{name}: failed exec ret")
    eq(miss.get("error"), "ENOENT", f"{name}: failed exec error")
    eq(miss["pid"], miss["tid"], f"{name}: pid/tid")
    eq(miss.get("compat"), False, f"{name}: failed exec compat")
    # 32-bit: the fentry and syscall tracepoint targets never see compat
    # syscalls: the compat side (or raw-sys) does, exactly once
    m32 = [e for e in execs if e["filename"] == "/nonexistent/qemu-compat"]
    at32 = [e for e in execs if e["filename"] == "no-qemu-compat-at"]
    if compat32 == "none":
        eq((m32, at32), ([], []), f"{name}: failed 32-bit execs without a compat side")
    else:
        m32 = only(m32, f"{name}: failed 32-bit exec")
        eq((m32["args"], m32["argc"], m32["ret"], m32.get("error"), m32["comm"],
            m32.get("compat"), m32["args_truncated"], "execveat" in m32),
           (["qemu32", "c1"], 2, -2, "ENOENT", "exec32", True, False, False),
           f"{name}: failed 32-bit exec")
        at32 = only(at32, f"{name}: failed 32-bit execveat")
        # the fixture's first open(): fd 3
        eq((at32["args"], at32["ret"], at32["comm"], at32.get("compat"), at32.get("execveat")),
           (["qemu32at", "c2"], -2, "exec32", True, {"fd": 3, "flags": 0}),
           f"{name}: failed 32-bit execveat")
    ok32 = only([e for e in execs if e["args"] == ["echo", "qemu-compat-ok"]],
                f"{name}: 32-bit caller's exec")
    eq((ok32["ret"], ok32["filename"], ok32.get("compat")),
       (0, "/bin/echo", True if compat32 == "seen" else None), f"{name}: 32-bit caller's exec")
    sc = only([e for e in execs if e["filename"] == "/tmp/qemu-script.sh"], f"{name}: script")
    eq((sc["args"], sc["ret"], sc["exe"], sc.get("exe_from_name", False), sc["interp"]),
       (["/bin/sh", "/tmp/qemu-script.sh", "qemu-script-arg"], 0, "/tmp/qemu-script.sh",
        not script, "/bin/busybox"), f"{name}: #! script exec")
    # the kernel's own file: its inode (a name-derived exe has none)
    check((sc.get("exe_ino", 0) > 0) == script, f"{name}: script exe_ino {sc.get('exe_ino')}")
    summary = recs[-1]
    eq(summary["type"], "summary", f"{name}: last line")
    eq(summary["lost"], 0, f"{name}: lost")


def test_qemu_61_default_picks_fentry():
    # fentry on both ABIs' execve: no program at every syscall
    check_exec_case("default", FENTRY + ["tp_btf/sched_process_exec"] + COMPAT_FENTRY + SCRIPT,
                    exact=True)


def test_qemu_61_fentry_forced():
    check_exec_case("fentry", FENTRY + ["tp_btf/sched_process_exec"] + COMPAT_FENTRY + SCRIPT,
                    exact=True)


def test_qemu_61_raw_hooks():
    # raw-sys sees compat syscalls itself: no compat side
    check_exec_case("raw-sys", ["raw_tracepoint/sys_enter", "raw_tracepoint/sys_exit",
                                "raw_tp/sched_process_exec"] + SCRIPT, exact=True)


def test_qemu_61_compat_raw_forced():
    check_exec_case("compatraw", FENTRY + ["tp_btf/sched_process_exec",
                                           "raw_tracepoint/sys_exit"] + SCRIPT,
                    compat32="exit", exact=True)


def test_qemu_61_no_compat():
    check_exec_case("nocompat", FENTRY + ["tp_btf/sched_process_exec"] + SCRIPT,
                    compat32="none", exact=True)


def test_qemu_61_script_off():
    # script-side off: a #! script's exe is made from its filename, flagged so
    check_exec_case("noscript", FENTRY + ["tp_btf/sched_process_exec"] + COMPAT_FENTRY,
                    exact=True, script=False)


def test_qemu_61_perf_transport():
    recs, _, _ = case_output("perf")
    eq(recs[0].get("transport"), "perf", "perf: transport in ready line")
    check_exec_case("perf", [])


def test_qemu_61_tracepoints_mount_tracefs():
    # tracefs is not mounted in the VM: forcing classic tracepoints must mount it
    check_exec_case("systp", ["tracepoint/syscalls/sys_enter_execve",
                              "tracepoint/sched/sched_process_exec"])


def check_exit_case(name):
    recs, err, rc = case_output(name)
    eq(rc, 0, f"{name}: exit status (stderr: {err.strip()})")
    eq(recs[0]["type"], "ready", f"{name}: first line")
    # 6.1 has no group_dead argument on sched_process_exit: the live-count path
    eq(recs[0].get("last_thread"), "live-count", f"{name}: last-thread method on 6.1")
    exits = [r for r in recs if r["type"] == "exit"]
    # `sh -c 'exit 7'` is the workload script's last command, so the script's
    # own sh exits 7 too: exactly that child and its parent
    sevens = [e for e in exits if e["exit_code"] == 7]
    eq(len(sevens), 2, f"{name}: exits with code 7: {sevens}")
    outer = only([e for e in sevens if e["ppid"] == 1], f"{name}: the workload sh")
    seven = only([e for e in sevens if e["ppid"] == outer["pid"]], f"{name}: the 'exit 7' sh")
    check(outer["duration_ns"] > seven["duration_ns"], f"{name}: parent outlived child")
    eq(seven["comm"], "sh", f"{name}: comm")
    eq(seven["signal"], 0, f"{name}: signal")
    eq(seven["core_dumped"], False, f"{name}: core")
    eq(seven["pid"], seven["tid"], f"{name}: pid/tid")
    check(seven["duration_ns"] > 0, f"{name}: duration {seven['duration_ns']}")
    check(seven["max_rss_kb"] > 0, f"{name}: max_rss_kb {seven['max_rss_kb']}")
    echo = [e for e in exits if e["comm"] == "echo"]
    check(len(echo) >= 1 and all(e["exit_code"] == 0 for e in echo), f"{name}: echo exits {echo}")
    eq(recs[-1]["type"], "summary", f"{name}: last line")
    eq(recs[-1]["lost"], 0, f"{name}: lost")


def test_qemu_61_exitsnoop():
    check_exit_case("exit")


def test_qemu_61_exitsnoop_perf_raw():
    recs, _, _ = case_output("exitperf")
    eq(recs[0].get("transport"), "perf", "exitperf: transport")
    check_exit_case("exitperf")


QEMU_CG = ("/qemu.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef"
           "0123456789abcdef.scope")


def test_qemu_61_cgroup():
    """6.1: the cgroup id resolves to its path (open_by_handle_at), and the container id."""
    for name in ("default", "perf", "exit"):
        recs, err, rc = case_output(name)
        eq(rc, 0, f"{name}: exit status (stderr: {err.strip()})")
        if name == "exit":
            # the sh that exec'd echo: its exit, in the container's cgroup
            mine = [r for r in recs if r["type"] == "exit" and r.get("cgroup") == QEMU_CG]
            check(len(mine) >= 1, f"{name}: no exit record in {QEMU_CG}")
        else:
            mine = [r for r in recs if r["type"] == "exec" and r["args"] == ["/bin/echo",
                                                                              "qemu-cgroup"]]
            eq(only(mine, f"{name}: echo in the cgroup")["cgroup"], QEMU_CG, f"{name}: cgroup")
        for r in mine:
            eq(r.get("container_id"), QEMU_CG.split("docker-")[1][:64], f"{name}: container_id")
            check(r["cgroup_id"] > 1, f"{name}: cgroup_id {r['cgroup_id']}")
        other = [r for r in recs if r["type"] == "exec" and r["args"][:2] == ["/bin/echo",
                                                                             "qemu-marker"]]
        for r in other:
            eq((r["cgroup"], r["cgroup_id"], r.get("container_id")), ("/", 1, None),
               f"{name}: a process in the root cgroup")
