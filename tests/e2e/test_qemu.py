# SPDX-License-Identifier: GPL-2.0
"""Run the static binary alone on other kernels: Debian's 6.1 and 6.12 under QEMU (TCG),
x86-64 and arm64.

This is where the paths this machine's 6.18 kernel cannot run get exercised
(fentry/fexit are refused here, but work in the guests), where CO-RE proves
the same binary relocates against other kernels' BTF, and where the arm64
build (make ARCH=arm64, built here into BUILD-arm64) runs at all. One boot per
kernel runs every case of CASES; each (kernel, case) is its own test,
test_qemu_KERNEL_CASE (61, 612, arm64_61, arm64_612), asserted field by field
on what the tracer printed. A kernel whose package cannot be found or
downloaded skips its tests with the reason; so does arm64 without its
toolchain (scripts/deps.sh --arm64). arm64 6.12 boots in ~90 s: not in the
suite, `make test-arm64` runs it (PS_QEMU_SLOW=1).

Adding a case is one line in CASES: (name, procsnoop arguments, checker); the
checker gets the kernel and the case's name and reads case_output(kernel, name).
"""
import json
import os
import shutil
import sys
import subprocess
import tempfile
import time

import lib
from lib import BUILD, ROOT, Failure, Skip, check, eq, only

# tests/run.py skips this module inside test_fresh's chroot, saying why
FRESH_INSIDE_SKIP = "the kernels under QEMU do not depend on the host, the suite outside boots them"

# key (in test names): what tests/qemu/boot.sh boots, the architecture, whether
# fentry works there (arm64 has no ftrace direct calls before 6.4: the
# trampoline cannot attach to kernel functions, ENOTSUPP), and whether the boot
# is too slow for the suite
KERNELS = {
    "61": {"boot": "6.1", "arch": "x86", "fentry": True},
    "612": {"boot": "6.12", "arch": "x86", "fentry": True},
    "arm64_61": {"boot": "arm64-6.1", "arch": "arm64", "fentry": False},
    "arm64_612": {"boot": "arm64-6.12", "arch": "arm64", "fentry": True, "slow": True},
}
# per test, for tests/run.py: the first test of a kernel boots it, which boot() allows 900 s
TIMEOUT = 1000
ARM64_BUILD = lib.STATIC_BUILD + "-arm64"

_boots = {}
# seconds each kernel's boot took (download, boot, every case, poweroff)
boot_seconds = {}


def boot(kernel):
    """The VM console of KERNELS[kernel] after every case ran (one boot, kept)."""
    got = _boots.get(kernel)
    if isinstance(got, Exception):
        raise got
    if got is not None:
        return got
    try:
        _boots[kernel] = _boot(kernel)
    except (Skip, Failure) as e:
        _boots[kernel] = e
        raise
    return _boots[kernel]


def arm64_binary():
    """The arm64 build of this tree (make ARCH=arm64, incremental), or a skip."""
    lib = "/usr/lib/aarch64-linux-gnu/libbpf.a"
    for what in ("clang", "aarch64-linux-gnu-ld", "qemu-system-aarch64", lib):
        if not (os.path.exists(what) if what.startswith("/") else shutil.which(what)):
            raise Skip(f"no arm64 toolchain ({what} missing): scripts/deps.sh --arm64")
    # SAN= on the command line: make check exports SAN=1, and the arm64 binary is a static one
    p = subprocess.run(["make", "-s", "-C", ROOT, "ARCH=arm64", "SAN=", f"OUT={ARM64_BUILD}", "all",
                        f"{ARM64_BUILD}/tests/usdt_demo_static"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    eq(p.returncode, 0, "make ARCH=arm64: " + p.stdout.decode(errors="replace")[-2000:])
    return os.path.join(ARM64_BUILD, "procsnoop")


def guest_crash(con):
    """The guest kernel's first Oops or panic line, or None."""
    for ln in con.splitlines():
        if "Oops:" in ln or "Kernel panic" in ln:
            return ln.strip()
    return None


def _boot(kernel):
    k = KERNELS[kernel]
    release = k["boot"]
    if k.get("slow") and not os.environ.get("PS_QEMU_SLOW"):
        raise Skip(f"Debian {release} boots too slowly for the suite (~90 s): "
                   "make test-arm64 runs it")
    if os.environ.get("PS_FRESH_INSIDE") and kernel != "61":
        raise Skip("inside the fresh-machine test: the suite outside it boots this kernel")
    qemu = "qemu-system-aarch64" if k["arch"] == "arm64" else "qemu-system-x86_64"
    for tool in (qemu, "busybox", "cpio"):
        if not shutil.which(tool):
            raise Skip(f"{tool} not installed (scripts/deps.sh --test installs it)")
    # x86: the shipped static binary (with make check SAN=1, the one built beside it)
    binary = arm64_binary() if k["arch"] == "arm64" else lib.STATIC_BIN
    work = os.path.join(BUILD, "qemu", release)
    os.makedirs(work, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".cases", delete=False) as f:
        for name, args, _ in CASES:
            if args is not None:
                f.write(f"{name}|{args}\n")
        cases = f.name
    # boot.sh works in WORKDIR only: a cwd it must leave empty (it once wrote the
    # initramfs tree into whatever directory it was started in)
    cwd = tempfile.mkdtemp(prefix="ps-qemu-cwd-")
    t0 = time.monotonic()
    try:
        for attempt in (1, 2):
            p = subprocess.run([os.path.join(ROOT, "tests/qemu/boot.sh"), binary, cases, work,
                                release], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=900, cwd=cwd)
            con = p.stdout.decode("utf-8", "replace").replace("\r", "")
            crash = guest_crash(con)
            if attempt == 2 or not crash:
                break
            # The guest kernel died: under TCG 6.12.117 does now and then (an int3
            # Oops in run_timer_softirq, once while it unpacked the initramfs, before
            # any procsnoop code ran). Boot once more and say so, loudly; the crashed
            # console is kept. A crash that comes back fails the cases as before.
            with open(os.path.join(work, "console-crashed.log"), "w") as f:
                f.write(con)
            print(f"test_qemu: the {release} guest kernel crashed ({crash}; "
                  f"{work}/console-crashed.log): booting it again", file=sys.stderr, flush=True)
        left = os.listdir(cwd)
    finally:
        os.unlink(cases)
        shutil.rmtree(cwd, ignore_errors=True)
    eq(left, [], "what boot.sh left in its working directory")
    boot_seconds[kernel] = time.monotonic() - t0
    err = p.stderr.decode(errors="replace").strip()
    if p.returncode == 3:
        raise Skip(f"no Debian {release} kernel: {err}")
    # kept for reading a failure (and the per-case UPTIME lines: what each case costs)
    with open(os.path.join(work, "console.log"), "w") as f:
        f.write(con)
    booted = con.split("=== KERNEL ", 1)[1].split("\n", 1)[0] if "=== KERNEL " in con else ""
    suffix = "-arm64" if k["arch"] == "arm64" else "-amd64"
    if not (booted.startswith(release.split("-")[-1] + ".") and booted.endswith(suffix)):
        raise Failure(f"the VM did not boot a {release} kernel (boot.sh exit {p.returncode}, "
                      f"stderr {err[-1000:]}); console tail:\n" + con[-3000:])
    return con


def case_output(kernel, name):
    con = boot(kernel)
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


def fentry(kernel):
    """The syscall-side fentry/fexit sections of this kernel's architecture."""
    pre = "__arm64_sys_" if KERNELS[kernel]["arch"] == "arm64" else "__x64_sys_"
    return [f"{k}/{pre}{n}" for k in ("fentry", "fexit") for n in ("execve", "execveat")]


def syscall_side(kernel):
    """What the syscall side picks by default: fentry, else the syscall tracepoints."""
    if KERNELS[kernel]["fentry"]:
        return fentry(kernel)
    return [f"tracepoint/syscalls/sys_{d}_{n}" for d in ("enter", "exit")
            for n in ("execve", "execveat")]


COMPAT_FENTRY = ["fentry/__ia32_compat_sys_execve", "fentry/__ia32_compat_sys_execveat",
                 "fexit/__ia32_compat_sys_execve", "fexit/__ia32_compat_sys_execveat"]


def compat_side(kernel):
    """x86-64 traces 32-bit execs; arm64 does not trace AArch32 ones (README "arm64")."""
    return COMPAT_FENTRY if KERNELS[kernel]["arch"] == "x86" else []


def refused(kernel, name, why):
    """A forced hook this kernel cannot run: exit 1, one line saying why, nothing traced."""
    recs, err, rc = case_output(kernel, name)
    eq((rc, recs), (1, []), f"{name}: exit status and output (stderr: {err.strip()})")
    eq(err.strip().splitlines()[-1:], [why], f"{name}: the reason")


SCRIPT = ["fexit/load_script"]


def script_side(kernel):
    """fexit on load_script where the kernel has trampolines (as for fentry)."""
    return SCRIPT if KERNELS[kernel]["fentry"] else []


def check_exec_case(kernel, name, want_hooks, compat32="seen", exact=False, script=None,
                    exec_tp=False):
    """@compat32: how 32-bit execs show: "seen" (with the entry: a success is
    compat too), "exit" (failures only, seen at sys_exit), "none" (--no-compat).
    @script: fexit on load_script attached: a #! script's exe is its own file
    (default: where the kernel allows it). @exec_tp: the classic exec tracepoint,
    which has no bprm: without the script side no exe and no interp at all."""
    if script is None:
        script = KERNELS[kernel]["fentry"]
    paths = script or not exec_tp
    recs, err, rc = case_output(kernel, name)
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
    eq((echo.get("exe"), echo.get("exe_ino", 0) > 0), ("/bin/busybox", True) if paths else
       (None, False), f"{name}: echo exe")
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
    if KERNELS[kernel]["arch"] != "x86":
        # no 32-bit fixture there (tests/helpers32 is i386)
        eq((m32, at32), ([], []), f"{name}: 32-bit execs where none ran")
        compat32 = "arm64"
    elif compat32 == "none":
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
    if compat32 != "arm64":
        ok32 = only([e for e in execs if e["args"] == ["echo", "qemu-compat-ok"]],
                    f"{name}: 32-bit caller's exec")
        eq((ok32["ret"], ok32["filename"], ok32.get("compat")),
           (0, "/bin/echo", True if compat32 == "seen" else None),
           f"{name}: 32-bit caller's exec")
    sc = only([e for e in execs if e["filename"] == "/tmp/qemu-script.sh"], f"{name}: script")
    eq((sc["args"], sc["ret"], sc.get("exe"), sc.get("exe_from_name", False), sc.get("interp")),
       (["/bin/sh", "/tmp/qemu-script.sh", "qemu-script-arg"], 0, "/tmp/qemu-script.sh",
        not script, "/bin/busybox") if paths else
       (["/bin/sh", "/tmp/qemu-script.sh", "qemu-script-arg"], 0, None, False, None),
       f"{name}: #! script exec")
    # the kernel's own file: its inode (a name-derived exe has none)
    check((sc.get("exe_ino", 0) > 0) == script, f"{name}: script exe_ino {sc.get('exe_ino')}")
    summary = recs[-1]
    eq(summary["type"], "summary", f"{name}: last line")
    eq(summary["lost"], 0, f"{name}: lost")
    return recs


def default_picks_fentry(kernel, name):
    """fentry on both ABIs' execve where the kernel allows it: no program at every syscall
    (arm64 6.1 refuses fentry: the syscall tracepoints)."""
    check_exec_case(kernel, name, syscall_side(kernel) + ["tp_btf/sched_process_exec"] +
                    compat_side(kernel) + script_side(kernel), exact=True)


def fentry_forced(kernel, name):
    if KERNELS[kernel]["fentry"]:
        return default_picks_fentry(kernel, name)
    # ENOTSUPP, the kernel's own 524
    refused(kernel, name, "exec: hook 'fentry' (forced with --hook) cannot be used: the kernel "
            "refuses fentry on __arm64_sys_execve: not supported by this kernel (ENOTSUPP)")


def raw_hooks(kernel, name):
    """raw-sys sees compat syscalls itself: no compat side."""
    check_exec_case(kernel, name, ["raw_tracepoint/sys_enter", "raw_tracepoint/sys_exit",
                                   "raw_tp/sched_process_exec"] + script_side(kernel), exact=True)


def compat_raw_forced(kernel, name):
    if KERNELS[kernel]["arch"] != "x86":
        return refused(kernel, name, "exec: hook 'compat-raw' (forced with --hook) cannot be "
                       "used: AArch32 (compat) execs are not traced on arm64")
    check_exec_case(kernel, name, syscall_side(kernel) + ["tp_btf/sched_process_exec",
                                                          "raw_tracepoint/sys_exit"] +
                    script_side(kernel), compat32="exit", exact=True)


def no_compat(kernel, name):
    check_exec_case(kernel, name, syscall_side(kernel) + ["tp_btf/sched_process_exec"] +
                    script_side(kernel), compat32="none", exact=True)


def script_off(kernel, name):
    """script-side off: a #! script's exe is made from its filename, flagged so."""
    check_exec_case(kernel, name, syscall_side(kernel) + ["tp_btf/sched_process_exec"] +
                    compat_side(kernel), exact=True, script=False)


def perf_transport(kernel, name):
    recs = check_exec_case(kernel, name, [])
    eq(recs[0].get("transport"), "perf", f"{name}: transport in ready line")


def tracepoints_mount_tracefs(kernel, name):
    # tracefs is not mounted in the VM: forcing classic tracepoints must mount it
    check_exec_case(kernel, name, ["tracepoint/syscalls/sys_enter_execve",
                                   "tracepoint/sched/sched_process_exec"], exec_tp=True)


def check_exit_case(kernel, name):
    recs, err, rc = case_output(kernel, name)
    eq(rc, 0, f"{name}: exit status (stderr: {err.strip()})")
    eq(recs[0]["type"], "ready", f"{name}: first line")
    # group_dead on sched_process_exit is 6.16+: 6.1 and 6.12 take the live-count path
    eq(recs[0].get("last_thread"), "live-count", f"{name}: last-thread method")
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
    return recs


def exitsnoop_tp_no_cpu(kernel, name):
    """exit on the classic tracepoint, without the sched_switch side: no final CPU times."""
    recs = check_exit_case(kernel, name)
    eq((recs[0]["hooks"], recs[0].get("cpu_final")),
       (["tracepoint/sched/sched_process_exit"], False), f"{name}: hooks, cpu_final")


def exitsnoop_perf_raw(kernel, name):
    recs = check_exit_case(kernel, name)
    eq(recs[0].get("transport"), "perf", f"{name}: transport")


PROBE_BIN = "/bin/usdt_demo"
PROBES = [f"u:{PROBE_BIN}:add:%d:%d", f"ur:{PROBE_BIN}:mul64:%lx",
          f"usdt:{PROBE_BIN}:demo:order:%d:%s"]


def probe_uprobe_usdt(kernel, name):
    """probe: a uprobe with typed args, a return probe and a USDT probe on the static
    usdt_demo the workload runs (`usdt_demo 3 qemu-probe`): every hit, in order."""
    recs, err, rc = case_output(kernel, name)
    eq(rc, 0, f"{name}: exit status (stderr: {err.strip()})")
    eq(recs[0]["type"], "ready", f"{name}: first line")
    eq([p["probe"] for p in recs[0]["probes"]], [p.split(":%")[0] for p in PROBES],
       f"{name}: ready line probes")
    hits = [r for r in recs if r["type"] == "probe" and r["comm"] == "usdt_demo"]
    check(all(h["pid"] == h["tid"] == hits[0]["pid"] for h in hits), f"{name}: one process")

    def of(p):
        return [h for h in hits if h["probe"] == p]
    eq([h["args"] for h in of(f"u:{PROBE_BIN}:add")], [[i, 2 * i] for i in range(3)],
       f"{name}: add args")
    eq([h["ret"] for h in of(f"ur:{PROBE_BIN}:mul64")], ["0x%x" % (i << 40) for i in range(3)],
       f"{name}: mul64 returns")
    eq([h["args"] for h in of(f"usdt:{PROBE_BIN}:demo:order")],
       [[i, "qemu-probe"] for i in range(3)], f"{name}: USDT demo:order args")
    eq(len(hits), 9, f"{name}: hits")
    eq((recs[-1]["type"], recs[-1]["lost"]), ("summary", 0), f"{name}: summary")


QEMU_CG = ("/qemu.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef"
           "0123456789abcdef.scope")


def cgroup(kernel, _):
    """The cgroup id resolves to its path (open_by_handle_at), and the container id."""
    for name in ("default_picks_fentry", "perf_transport", "exitsnoop"):
        recs, err, rc = case_output(kernel, name)
        eq(rc, 0, f"{name}: exit status (stderr: {err.strip()})")
        if name == "exitsnoop":
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


def lives_of(recs, name):
    """The process lives trace printed."""
    return [r for r in recs if r["type"] == "process"]


def trace_workload(kernel, name):
    """trace, machine-wide: the workload's lives, each with its parent, its execs and how
    it ended, linked by entity ids (the workload sh is PID 1's child; its last command,
    `sh -c 'exit 7'`, makes it exit 7 too)."""
    recs, err, rc = case_output(kernel, name)
    eq(rc, 0, f"{name}: exit status (stderr: {err.strip()})")
    eq((recs[0]["type"], recs[0]["tool"]), ("ready", "trace"), f"{name}: first line")
    lives = lives_of(recs, name)
    outer = only([r for r in lives if r["ppid"] == 1 and r["exit_code"] == 7],
                 f"{name}: the workload sh")
    eq((outer["comm"], outer["running"], outer["args"]), ("sh", False, ["sh", "/workload"]),
       f"{name}: the workload sh")
    mine = [r for r in lives if r.get("parent_entity_id") == outer["entity_id"]]
    seven = only([r for r in mine if r["exit_code"] == 7], f"{name}: the 'exit 7' sh")
    eq((seven["comm"], seven["ppid"], seven["pcomm"], seven["signal"], seven["core_dumped"],
        seven["status"], seven["running"], seven["pid"] == seven["tid"]),
       ("sh", outer["pid"], "sh", 0, False, 7 << 8, False, True), f"{name}: the 'exit 7' sh")
    check(0 < seven["duration_ns"] < outer["duration_ns"], f"{name}: durations")
    eq(seven["ancestors"][0]["entity_id"], outer["entity_id"], f"{name}: nearest ancestor")
    eq([e["args"] for e in seven["execs"]], [["sh", "-c", "exit 7"]], f"{name}: its execs")
    echo = only([r for r in mine if r["args"][:2] == ["/bin/echo", "qemu-marker"]],
                f"{name}: the echo life")
    eq((echo["comm"], echo["exit_code"], echo["signal"], echo["ppid"], echo["exe"],
        echo["args"]),
       ("echo", 0, 0, outer["pid"], "/bin/busybox",
        ["/bin/echo", "qemu-marker", "a b", "tab\tx"]), f"{name}: the echo life")
    ex = only(echo["execs"], f"{name}: the echo life's exec")
    eq((ex["filename"], ex["ret"], ex["argc"], ex["args_truncated"]),
       ("/bin/echo", 0, 4, False), f"{name}: the echo exec")
    # the failed exec: a child of the workload sh whose only exec failed, exit 127
    miss = only([r for r in mine if any(e["filename"] == "/nonexistent/qemu-missing"
                                        for e in r["execs"])], f"{name}: the failed exec")
    eq((miss["exit_code"], [(e["args"], e["ret"]) for e in miss["execs"]]),
       (127, [(["/nonexistent/qemu-missing", "arg1"], -2)]), f"{name}: the failed exec")
    eq((recs[-1]["type"], recs[-1]["lost"]), ("summary", 0), f"{name}: summary")


def top_workload(kernel, name):
    """top, one interval ended by SIGINT: the groups of what the workload ran, counted
    and with their failures."""
    recs, err, rc = case_output(kernel, name)
    eq(rc, 0, f"{name}: exit status (stderr: {err.strip()})")
    eq((recs[0]["type"], recs[0]["tool"]), ("ready", "top"), f"{name}: first line")
    tops = [r for r in recs if r["type"] == "top"]
    eq(len(tops), 1, f"{name}: intervals (SIGINT ends the first)")
    groups = {g["key"]: g for g in tops[0]["groups"]}
    # /bin/echo qemu-marker (1 exec), the cgroup sh that execs echo (sh, echo: 2) and
    # exec32's (exec32, echo: 2; x86 only): every exec of each life counts
    x86 = KERNELS[kernel]["arch"] == "x86"
    echo = groups.get("echo")
    check(echo is not None, f"{name}: no echo group in {sorted(groups)}")
    eq((echo["processes"], echo["failed"], echo["execs"], echo["exec_failed"], echo["signaled"]),
       (3, 0, 5, 0, 0) if x86 else (2, 0, 3, 0, 0), f"{name}: the echo group")
    sc = groups.get("qemu-script.sh")
    check(sc is not None, f"{name}: no qemu-script.sh group in {sorted(groups)}")
    eq((sc["processes"], sc["failed"], sc["execs"]), (1, 0, 1), f"{name}: the script's group")
    # failed: the qemu-missing child (127), the 'exit 7' sh and the workload sh (7)
    sh = groups.get("sh")
    check(sh is not None and sh["failed"] >= 3 and sh["exec_failed"] >= 1,
          f"{name}: the sh group {sh}")
    eq((recs[-1]["type"], recs[-1]["lost"]), ("summary", 0), f"{name}: summary")


# (name, procsnoop arguments or None for a check on other cases' output, checker):
# one run each in every kernel's boot, one test each per kernel, test_qemu_KERNEL_NAME
CASES = [
    ("default_picks_fentry", "exec --json", default_picks_fentry),
    ("fentry_forced", "exec --json --hook fentry,exec-btf", fentry_forced),
    ("raw_hooks", "exec --json --hook raw-sys,exec-raw", raw_hooks),
    ("perf_transport", "exec --json --transport perf", perf_transport),
    ("tracepoints_mount_tracefs", "exec --json --hook sys-tp,exec-tp", tracepoints_mount_tracefs),
    ("compat_raw_forced", "exec --json --hook compat-raw", compat_raw_forced),
    ("no_compat", "exec --json --no-compat", no_compat),
    ("script_off", "exec --json --hook script-off", script_off),
    ("exitsnoop", "exit --json", check_exit_case),
    ("exitsnoop_perf_raw", "exit --json --transport perf --hook exit-raw", exitsnoop_perf_raw),
    ("exitsnoop_tp_no_cpu", "exit --json --hook exit-tp,switch-off", exitsnoop_tp_no_cpu),
    ("probe_uprobe_usdt", "probe --json " + " ".join(PROBES), probe_uprobe_usdt),
    ("trace_workload", "trace --json", trace_workload),
    # an interval longer than any boot: SIGINT prints it, then the summary
    ("top_workload", "top --json --limit 100 600", top_workload),
    ("cgroup", None, cgroup),
]


def _test(kernel, name, checker):
    def fn():
        checker(kernel, name)
    fn.__name__ = f"test_qemu_{kernel}_{name}"
    fn.__doc__ = f"{checker.__doc__ or name} (Debian {KERNELS[kernel]} under QEMU)"
    return fn


for _k in KERNELS:
    for _name, _, _checker in CASES:
        globals()[f"test_qemu_{_k}_{_name}"] = _test(_k, _name, _checker)


def test_qemu_kernel_not_downloadable_is_a_skip():
    """A kernel apt cannot find or fetch skips its tests with the reason, never passes:
    an empty kernel cache and an apt that knows nothing (apt-cache) or fails (apt-get)."""
    d = tempfile.mkdtemp(prefix="ps-qemu-")
    old = {k: os.environ.get(k) for k in ("PATH", "PS_QEMU_CACHE")}
    try:
        fake = os.path.join(d, "bin")
        os.makedirs(fake)
        for tool, script in (("apt-cache", "exit 0"), ("apt-get", "exit 100")):
            with open(os.path.join(fake, tool), "w") as f:
                f.write(f"#!/bin/sh\n{script}\n")
            os.chmod(os.path.join(fake, tool), 0o755)
        os.environ["PATH"] = fake + ":" + old["PATH"]
        os.environ["PS_QEMU_CACHE"] = os.path.join(d, "cache")
        # 6.1: the one kernel the suite inside test_fresh boots too
        try:
            _boot("61")
            raise Failure("boot without a kernel package did not skip")
        except Skip as e:
            eq(str(e), "no Debian 6.1 kernel: no package matching "
               r"^linux-image-6\.1\.0-[0-9]+-amd64$ known to apt", "skip reason")
        with open(os.path.join(fake, "apt-cache"), "w") as f:
            f.write("#!/bin/sh\necho 'linux-image-6.1.0-99-amd64 - Linux 6.1'\n")
        try:
            _boot("61")
            raise Failure("boot with a package apt-get cannot fetch did not skip")
        except Skip as e:
            eq(str(e), "no Debian 6.1 kernel: cannot download linux-image-6.1.0-99-amd64:amd64 "
               "(apt-get download failed)", "skip reason")
        eq(os.listdir(os.path.join(d, "cache")), [], "nothing left in the cache")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(d, ignore_errors=True)
