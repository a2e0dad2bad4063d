# SPDX-License-Identifier: GPL-2.0
"""Install and package (issue 12): `make install`/`uninstall` into a DESTDIR, the help / man
page / bash completion agreement for every tool, the systemd unit (systemd-analyze verify,
and its ExecStart run under exactly its CapabilityBoundingSet, tracing a known exec), and the
.deb (lintian; apt install on a fresh Debian 12 chroot next to libbpf-tools, remove, purge).

No systemd runs here: the unit's sandbox is checked by systemd-analyze, its capabilities by
setpriv, which is what the kernel enforces either way."""
import json
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

import lib
from lib import BIN, BUILD, ROOT, Skip, check, eq, only

# tests/run.py skips this module inside test_fresh's chroot, saying why (CI time)
FRESH_INSIDE_SKIP = "make deb, lintian and the install are checked by the suite outside (and the .deb in a fresh chroot there)"

TIMEOUT = 600   # the chroot test: a cold debootstrap when the cache is missing

# Options allowed in the man pages and the completion ahead of a tool's --help (none
# now: -o and --metrics are in every tool's); once in --help, checked like any other.
PENDING = set()

MAN = os.path.join(ROOT, "man")
COMPLETION = os.path.join(ROOT, "dist", "procsnoop.bash-completion")


# install and deb package the shipped static binary: with make check (SAN=1) the one
# built beside the sanitizer build, never the sanitizer build itself (SAN= on the
# command line: make check exports SAN=1)
PKG_BUILD = lib.STATIC_BUILD


def _make(*args, timeout=300):
    p = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "SAN=", f"OUT={PKG_BUILD}"]
                       + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    eq(p.returncode, 0, f"make {' '.join(args)}: {p.stdout.decode(errors='replace')[-2000:]}")
    return p.stdout.decode(errors="replace")


def _tools():
    """The tools `procsnoop --help` lists."""
    out = subprocess.run([BIN, "--help"], stdout=subprocess.PIPE, check=True).stdout.decode()
    block = out.split("\nTools:\n", 1)[1].split("\n\n", 1)[0]
    return [ln.split()[0] for ln in block.splitlines() if ln.strip()]


def _help_options(tool):
    """{option: takes_value} from `procsnoop TOOL --help`, and the help text."""
    out = subprocess.run([BIN, tool, "--help"], stdout=subprocess.PIPE, check=True).stdout.decode()
    opts = {}
    for ln in out.splitlines():
        # option lines are indented 2 (or 6 without a short form); descriptions 26
        # --hist[=LIST]: an optional value, given with '=' only: a flag for the next word
        m = re.match(r"^\s{2,8}(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)(?:\[=[A-Za-z|]+\])?"
                     r"(?:[ =]([A-Z][A-Z_]*))?(?:\s|$)", ln)
        if m:
            for o in (m.group(1), m.group(2)):
                if o:
                    opts[o] = m.group(3) is not None
    check(opts, f"no option parsed from procsnoop {tool} --help")
    return opts, out


def _man_options(page):
    """{option: takes_value} from the OPTIONS section of man/PAGE: each .TP tag line."""
    with open(os.path.join(MAN, page)) as f:
        lines = f.read().splitlines()
    start = lines.index(".SH OPTIONS")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(".SH "))
    opts = {}
    for i in range(start, end - 1):
        if lines[i] != ".TP":
            continue
        tag = re.sub(r"\[=.*?\]", "", lines[i + 1])   # an optional value: [=\fIexit\fR]
        value = "\\fI" in tag
        for o in re.findall(r"\\fB((?:\\-){1,2}[A-Za-z0-9\\-]+)\\fR", tag):
            opts[o.replace("\\-", "-")] = value
    return opts


def _complete(queries):
    """Run the completion function as bash would: each query is the words of the command
    line, the last one the word being completed; returns the COMPREPLY lists."""
    script = [f"source {COMPLETION}"]
    for words in queries:
        arr = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
        script += [f"COMP_WORDS=({arr}); COMP_CWORD={len(words) - 1}; COMPREPLY=()",
                   "_procsnoop", "printf '%s\\n' \"${COMPREPLY[@]}\"", "echo '@@end'"]
    # the completion asks `procsnoop --help` for the tools: this build's
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", "\n".join(script)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, PATH=f"{BUILD}:/usr/sbin:/usr/bin:/bin"))
    eq(p.returncode, 0, f"bash completion: {p.stderr.decode(errors='replace')}")
    check(not p.stderr, f"bash completion printed errors: {p.stderr.decode(errors='replace')}")
    out = p.stdout.decode().split("@@end\n")
    eq(len(out), len(queries) + 1, "completion answers")
    return [[w for w in o.split("\n") if w] for o in out[:-1]]


def test_pkg_options_agree():
    """Every option of every tool's --help is in its man page and its completion, with the
    same arity (takes a value or not), and nothing else is in either."""
    tools = _tools()
    (top,) = _complete([["procsnoop", ""]])
    eq(sorted(top), sorted(tools + ["--help", "--version"]), "completion of the tool name")
    check(os.path.exists(os.path.join(MAN, "procsnoop.8")), "man/procsnoop.8 missing")
    problems = []
    for tool in tools:
        page = f"procsnoop-{tool}.8"
        if not os.path.exists(os.path.join(MAN, page)):
            problems.append(f"{tool}: no man page man/{page}")
            continue
        helpo, _ = _help_options(tool)
        man = _man_options(page)
        (comp,) = _complete([["procsnoop", tool, "-"]])
        for where, got in (("man page", set(man)), ("completion", set(comp))):
            missing = set(helpo) - got
            extra = got - set(helpo) - PENDING
            if missing:
                problems.append(f"{tool}: in --help, not in the {where}: {sorted(missing)}")
            if extra:
                problems.append(f"{tool}: in the {where}, not in --help: {sorted(extra)}")
        for o in set(man) & set(PENDING):
            check(o in comp, f"{tool}: {o} in the man page but not in the completion")
        # arity: after a value-taking option the next word is its value, not an option
        opts = sorted(set(helpo) | (set(man) & PENDING))
        answers = _complete([["procsnoop", tool, o, "-"] for o in opts])
        for o, ans in zip(opts, answers):
            takes = helpo.get(o, man.get(o))
            if man.get(o, takes) != takes:
                problems.append(f"{tool} {o}: takes a value in --help: {takes}, in the man page: "
                                f"{man.get(o)}")
            comp_takes = sorted(ans) != sorted(comp)
            if comp_takes != takes:
                problems.append(f"{tool} {o}: takes a value: {takes}, completion treats it as "
                                f"{'taking one' if comp_takes else 'a flag'}")
    check(not problems, "help / man / completion disagree:\n" + "\n".join(problems))


def test_pkg_completion_values():
    """Option values: transports, each tool's hooks as its --help lists them (also after a
    comma; its man page lists the same), pids, user names, cgroup paths relative to the
    cgroup2 mount."""
    hooks = {}
    for tool in _tools():
        helpo, text = _help_options(tool)
        if "--hook" not in helpo:
            continue
        block = text.split("--hook", 1)[1].split("\n")
        names = []
        for i, ln in enumerate(block):
            if i and re.match(r"^\s{2,}-", ln):
                break
            if "|" in ln:
                # "side: a | b | c", or sides after a comma: "x | y, z | w"
                names += [w.strip() for w in re.split(r"[|,]", ln.rsplit(":", 1)[-1])]
        check(names, f"{tool} --help: no hook names after --hook")
        hooks[tool] = names
        with open(os.path.join(MAN, f"procsnoop-{tool}.8")) as f:
            para = f.read().split("\\fB\\-\\-hook\\fR", 1)[1].split("\n.TP", 1)[0]
        inman = [w.replace("\\-", "-") for w in re.findall(r"\\fB([a-z\\-]+)\\fR", para)]
        eq(sorted(inman), sorted(names), f"procsnoop-{tool}(8): the hooks of --hook")
    check("exec" in hooks and "exit" in hooks, f"hooks parsed: {hooks}")
    # --by KEY (top, and trace if it gets one): the keys its --help lists
    by = {}
    for tool in _tools():
        helpo, text = _help_options(tool)
        if "--by" not in helpo:
            continue
        lines = text.split("--by", 1)[1].split("\n")
        block = [lines[0]]
        for ln in lines[1:]:
            if not re.match(r"^\s{20,}\S", ln):   # its description's continuation lines
                break
            block.append(ln)
        # "KEY  group by comm (default) | exe | ... | uid": the word before the first |,
        # the first word after each
        pieces = re.sub(r"\([^)]*\)", "", " ".join(block)).split("|")
        check(len(pieces) > 1, f"{tool} --help: no keys after --by")
        by[tool] = [pieces[0].split()[-1]] + [p.split()[0] for p in pieces[1:]]
    if by:
        ans = _complete([["procsnoop", t, "--by", ""] for t in by])
        for t, a in zip(by, ans):
            eq(sorted(a), sorted(by[t]), f"{t} --by values (from its --help)")
    mnt = lib.cgroup2_root()
    name = f"ps-pkg-{os.getpid()}"
    os.mkdir(os.path.join(mnt, name))
    try:
        q = [["procsnoop", "exec", "--transport", ""], ["procsnoop", "exit", "--transport", "p"],
             ["procsnoop", "exec", "--hook", ""], ["procsnoop", "exit", "--hook", ""],
             ["procsnoop", "exec", "--hook", "sys-tp,exec-"],
             ["procsnoop", "exit", "-p", str(os.getpid())], ["procsnoop", "exec", "-P", ""],
             ["procsnoop", "exec", "-u", "roo"], ["procsnoop", "exec", "-c", "ps-pkg-"],
             ["procsnoop", "exec", "--cgroup", f"{mnt}/ps-pkg-"],
             ["procsnoop", "probe", "usd"], ["execsnoop", "--fails-o"],
             ["procsnoop", "exec", "--transport", "=", "r"], ["procsnoop", "exit", "--hook=exit-r"],
             ["procsnoop", "top", "--hist", "=", "exit,"]]
        a = _complete(q)
    finally:
        os.rmdir(os.path.join(mnt, name))
    eq(sorted(a[0]), ["auto", "perf", "ringbuf"], "exec --transport values")
    eq(a[1], ["perf"], "exit --transport p")
    eq(sorted(a[2]), sorted(hooks["exec"]), "exec --hook values (from its --help)")
    eq(sorted(a[3]), sorted(hooks["exit"]), "exit --hook values (from its --help)")
    eq(sorted(a[4]), sorted("sys-tp," + h for h in hooks["exec"] if h.startswith("exec-")),
       "exec --hook after a comma")
    check(str(os.getpid()) in a[5], f"exit -p: our own pid {os.getpid()} offered: {a[5][:20]}")
    check(str(os.getpid()) in a[6] and "1" in a[6], f"exec -P: pids: {a[6][:20]}")
    check("root" in a[7], f"exec -u roo: {a[7]}")
    check(name + "/" in a[8], f"exec -c ps-pkg-: the cgroup {name} relative to {mnt}: {a[8]}")
    check(f"{mnt}/{name}/" in a[9], f"exec --cgroup {mnt}/ps-pkg-: {a[9]}")
    eq(a[10], ["usdt:"], "probe SPEC kinds")
    eq(a[11], ["--fails-only"], "called as execsnoop: exec's options")
    eq(a[12], ["ringbuf"], "--transport=r, as bash splits it")
    eq(a[13], ["--hook=exit-raw"], "--hook=exit-r as one word")
    eq(a[14], ["exit,group"], "top --hist=exit,")
    # the short names get our completion only where they are our links (libbpf-tools'
    # /usr/sbin/execsnoop keeps its own)
    d = tempfile.mkdtemp(prefix="ps-path-")
    try:
        os.symlink(BIN, os.path.join(d, "exitsnoop"))
        reg = "source %s; complete -p execsnoop; complete -p exitsnoop" % COMPLETION
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", reg], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=dict(os.environ, PATH=d + ":/usr/sbin:/usr/bin:/bin"))
        eq(p.stdout.decode(), "complete -F _procsnoop exitsnoop\n",
           "completion registered for our exitsnoop link only (execsnoop is not ours here)")
    finally:
        shutil.rmtree(d)


def _tree(root):
    """{relative path: (type, mode or link target)} of everything under root."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir", oct(st.st_mode & 0o7777))
            else:
                out[rel] = ("file", oct(st.st_mode & 0o7777))
    return out


def _links():
    with open(os.path.join(ROOT, "src", "tools", "tools.def")) as f:
        return re.findall(r'^TOOL\([a-z_]+, "([a-z_-]+)"', f.read(), re.M)


def test_pkg_install_destdir():
    """make install DESTDIR=D: exactly the expected files, modes and links, the binary the
    build's, the unit naming it; the links run the tools; make uninstall leaves no file."""
    d = tempfile.mkdtemp(prefix="ps-destdir-")
    try:
        _make("install", f"DESTDIR={d}")
        got = _tree(d)
        pages = ["procsnoop.8"] + [f"procsnoop-{t}.8" for t in _tools()]
        want_files = {"usr/local/sbin/procsnoop": "0o755",
                      "usr/local/share/bash-completion/completions/procsnoop": "0o644",
                      "usr/local/lib/systemd/system/procsnoop.service": "0o644",
                      "etc/default/procsnoop": "0o644", "etc/logrotate.d/procsnoop": "0o644"}
        want_files.update({f"usr/local/share/man/man8/{p}": "0o644" for p in pages})
        files = {k: v[1] for k, v in got.items() if v[0] == "file"}
        eq(files, want_files, "installed files and modes")
        links = {k: v[1] for k, v in got.items() if v[0] == "link"}
        eq(links, {f"usr/local/lib/procsnoop/bin/{n}": "../../../sbin/procsnoop" for n in _links()},
           "the short-name links (off PATH, relative)")
        dirs = {k: v[1] for k, v in got.items() if v[0] == "dir"}
        eq({k: m for k, m in dirs.items() if m != "0o755"}, {}, "directories not 0755")
        with open(lib.STATIC_BIN, "rb") as a, open(os.path.join(d, "usr/local/sbin/procsnoop"), "rb") as b:
            check(a.read() == b.read(), "the installed binary is the build's")
        for n in _links():
            p = subprocess.run([os.path.join(d, "usr/local/lib/procsnoop/bin", n), "--help"],
                               stdout=subprocess.PIPE, timeout=30)
            eq(p.stdout.decode().splitlines()[0], f"Usage: {n} [OPTIONS]", f"{n} link runs its tool")
        with open(os.path.join(d, "usr/local/lib/systemd/system/procsnoop.service")) as f:
            unit = f.read()
        check(re.search(r"^ExecStart=/usr/local/sbin/procsnoop trace ", unit, re.M),
              "the unit runs the installed binary")
        _make("uninstall", f"DESTDIR={d}")
        left = {k: v for k, v in _tree(d).items() if v[0] != "dir"}
        eq(left, {}, "files left after make uninstall")
        check(not os.path.exists(os.path.join(d, "usr/local/lib/procsnoop")),
              "make uninstall removes /usr/local/lib/procsnoop")
    finally:
        shutil.rmtree(d, ignore_errors=True)


class Installed:
    """make install PREFIX=tmp (no DESTDIR): the unit then names a binary that exists."""

    def __enter__(self):
        self.d = tempfile.mkdtemp(prefix="ps-prefix-")
        _make("install", f"PREFIX={self.d}", f"SYSCONFDIR={self.d}/etc")
        self.unit = os.path.join(self.d, "lib/systemd/system/procsnoop.service")
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.d, ignore_errors=True)


def _unit(path):
    """{key: [values]} of the [Service] section (and the others, by key)."""
    keys = {}
    with open(path) as f:
        for ln in f:
            ln = ln.strip()
            if not ln or ln.startswith(("#", ";", "[")):
                continue
            k, _, v = ln.partition("=")
            keys.setdefault(k, []).append(v)
    return keys


def test_pkg_unit_verify():
    """systemd-analyze verify passes on the installed unit (and its man pages are found);
    the hardening settings the issue names are there."""
    if not shutil.which("systemd-analyze"):
        raise Skip("systemd-analyze not installed (scripts/deps.sh --test installs systemd)")
    with Installed() as i:
        env = dict(os.environ, MANPATH=os.path.join(i.d, "share/man"))
        p = subprocess.run(["systemd-analyze", "verify", i.unit], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env, timeout=120)
        eq((p.returncode, p.stdout.decode()), (0, ""), "systemd-analyze verify")
        u = _unit(i.unit)
    for k, v in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                 ("PrivateTmp", "yes"), ("Restart", "on-failure")):
        eq(u.get(k), [v], k)
    check(u.get("EnvironmentFile") == ["-/etc/default/procsnoop"], "options from /etc/default")
    check("CAP_SYS_ADMIN" not in u["CapabilityBoundingSet"][0], "no CAP_SYS_ADMIN")


def test_pkg_default_examples():
    """/etc/default/procsnoop's PROCSNOOP_OPTS examples are options of the tool the unit
    runs (an exec-only option there would stop the service with a usage error)."""
    with open(os.path.join(ROOT, "dist", "procsnoop.default")) as f:
        text = f.read()
    tool = re.search(r"^#\s+procsnoop (\w+) ", text, re.M)
    check(tool, "the options file names the command the unit runs")
    with open(os.path.join(ROOT, "dist", "procsnoop.service.in")) as f:
        eq(re.search(r"^ExecStart=\S+ (\w+) ", f.read(), re.M).group(1), tool.group(1),
           "the options file's tool is the unit's")
    known, _ = _help_options(tool.group(1))
    examples = re.findall(r'^#\s+PROCSNOOP_OPTS="([^"]*)"', text, re.M)
    check(examples, "examples of PROCSNOOP_OPTS")
    for ex in examples:
        for w in shlex.split(ex):
            if w.startswith("-"):
                check(w in known, f"example {ex!r}: {w} is not a {tool.group(1)} option")


def _cap_numbers():
    caps = {}
    with open("/usr/include/linux/capability.h") as f:
        for m in re.finditer(r"^#define (CAP_[A-Z_]+)\s+(\d+)$", f.read(), re.M):
            caps[m.group(1)] = int(m.group(2))
    return caps


def _env_file(path):
    env = {}
    with open(path) as f:
        for ln in f:
            ln = ln.strip()
            if not ln or ln.startswith("#"):
                continue
            k, _, v = ln.partition("=")
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                v = v[1:-1]
            env[k] = v
    return env


def _expand(cmdline, env):
    """ExecStart's words as systemd makes them: ${VAR} is one word, $VAR is split."""
    words = []
    for w in cmdline.split():
        m = re.fullmatch(r"\$\{(\w+)\}", w)
        if m:
            words.append(env.get(m.group(1), ""))
            continue
        m = re.fullmatch(r"\$(\w+)", w)
        if m:
            words += env.get(m.group(1), "").split()
            continue
        words.append(w)
    return words


def _execstart(i, logdir):
    """The unit's command line, as systemd would run it, on this machine: the installed
    binary, /etc/default/procsnoop's options, the log directory a temporary one, the
    metrics port a free one; options not in this binary yet (PENDING) dropped."""
    u = _unit(i.unit)
    env = {}
    for e in u.get("Environment", []):
        k, _, v = e.partition("=")
        env[k] = v
    env.update(_env_file(os.path.join(i.d, "etc/default/procsnoop")))
    argv = _expand(only(u["ExecStart"], "ExecStart"), env)
    eq(argv[:2], [os.path.join(i.d, "sbin/procsnoop"), "trace"], "ExecStart runs procsnoop trace")
    known, _ = _help_options("trace")
    out, port, dropped, res = [], None, [], []
    k = 0
    while k < len(argv):
        w = argv[k]
        val = argv[k + 1] if k + 1 < len(argv) else None
        if w in PENDING and w not in known:
            dropped.append(w)
            k += 2   # each of them takes a value
            continue
        if w in ("-o", "--output"):
            check(val.startswith("/var/log/procsnoop/"), f"-o {val}: in LogsDirectory")
            val = os.path.join(logdir, os.path.relpath(val, "/var/log/procsnoop"))
            res.append(("output", val))
            out += [w, val]
            k += 2
            continue
        if w == "--metrics":
            eq(val, "127.0.0.1:9464", "--metrics default address (loopback)")
            port = lib.free_port()
            res.append(("metrics", port))
            out += [w, f"127.0.0.1:{port}"]
            k += 2
            continue
        out.append(w)
        k += 1
    return u, out, dict(res), dropped


def _run_unit(i, bounding, logdir):
    """Start ExecStart under the unit's limits with capability set @bounding."""
    u, argv, res, dropped = _execstart(i, logdir)
    memlock = only(u.get("LimitMEMLOCK", ["infinity"]), "LimitMEMLOCK")
    umask = int(only(u.get("UMask", ["0022"]), "UMask"), 8)

    lim = resource.RLIM_INFINITY if memlock == "infinity" else int(memlock)
    hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)[1]
    if hard != resource.RLIM_INFINITY and (lim == resource.RLIM_INFINITY or lim > hard):
        # this test may lack CAP_SYS_RESOURCE (systemd has it): the tool then runs with
        # less locked memory than the unit gives, which is harder, not easier
        lim = hard

    def limits():
        os.umask(umask)
        resource.setrlimit(resource.RLIMIT_MEMLOCK, (lim, lim))

    caps = ",".join(["-all"] + ["+" + c[4:].lower() for c in bounding])
    pre = ["setpriv", f"--bounding-set={caps}", "--inh-caps=-all"]
    if u.get("NoNewPrivileges") == ["yes"]:
        pre.append("--no-new-privs")
    proc = subprocess.Popen(pre + ["--"] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=limits)
    return proc, res, dropped


class Reader:
    """Collect a pipe in a thread (the tool must never block on it)."""

    def __init__(self, f):
        self.buf = b""
        self.cond = threading.Condition()
        self.t = threading.Thread(target=self._run, args=(f,), daemon=True)
        self.t.start()

    def _run(self, f):
        for chunk in iter(lambda: os.read(f.fileno(), 65536), b""):
            with self.cond:
                self.buf += chunk
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    eof = False


def _wait_ready(proc, out, res, timeout=30):
    """The ready line: on stdout, or in the -o file once that option is in."""
    deadline = time.monotonic() + timeout
    path = res.get("output")
    while True:
        data = out.buf
        if path and os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
        for ln in data.split(b"\n"):
            if ln.startswith(b'{"type":"ready"'):
                return json.loads(ln)
        with out.cond:
            # with -o stdout may close while the tool runs: only its exit ends the wait
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no ready line (exit status {proc.poll()})")
            out.cond.wait(0.05)   # a file has no wakeup: look again soon


def _ticks(pid):
    """Start time of @pid in clock ticks (/proc/PID/stat field 22): its entity_id's."""
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def _ns(pid, kind):
    m = re.fullmatch(kind + r":\[(\d+)\]", os.readlink(f"/proc/{pid}/ns/{kind}"))
    check(m, f"/proc/{pid}/ns/{kind}")
    return int(m.group(1))


class Preexisting:
    """Processes running before the service starts, for trace to seed from /proc: one of
    another user (nobody; it starts two children and ends while traced, status 3) and one
    of root with every
    capability, as most root daemons have (still running at the stop). Each waits on its
    stdin; the ground truth is read here, as root, before the tracer starts."""

    def __init__(self, tag):
        self.tag = tag
        self.procs = {}

    def __enter__(self):
        # it says so once /bin/sh runs (setpriv has exec'd it), then waits on its stdin
        # then, while traced: a subshell (a fork that never execs: its program is its
        # parent's, from /proc) and /bin/true (fork and exec: all from the kernel)
        sh = ["/bin/sh", "-c", "echo up; read x; (exit 4); /bin/true; exit 3"]
        for who, pre in (("other", ["setpriv", "--reuid=65534", "--regid=65534",
                                    "--clear-groups", "--"]), ("root", [])):
            p = subprocess.Popen(pre + sh + [f"{self.tag}-{who}"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, cwd="/")
            self.procs[who] = p
            eq(p.stdout.readline(), b"up\n", f"{who}: /bin/sh runs")
        self.truth = {who: {"args": sh + [f"{self.tag}-{who}"],
                            "entity_id": f"{p.pid}:{_ticks(p.pid)}",
                            "pidns": _ns(p.pid, "pid"), "mntns": _ns(p.pid, "mnt"),
                            "exe": os.path.realpath(f"/proc/{p.pid}/exe")}
                      for who, p in self.procs.items()}
        return self

    def end(self, who):
        """Let @who exit (status 3)."""
        p = self.procs[who]
        p.stdin.close()
        eq(p.wait(timeout=30), 3, f"{who}: exit status")

    def __exit__(self, *exc):
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()

    def record(self, recs, who):
        """@who's process record: by entity_id (pid and start) and its command line."""
        t = self.truth[who]
        return only([r for r in recs if r.get("type") == "process"
                     and r.get("entity_id") == t["entity_id"] and r.get("args") == t["args"]],
                    f"process record of the {who} process running before the tracer")

    def check_seeded(self, r, who, uid, exe_known=True):
        """The members a seeded record takes from /proc, field by field. @exe_known:
        readable (else the record must say it is not: null and proc_unreadable)."""
        t = self.truth[who]
        eq((r["pid"], r["ppid"], r["uid"], r["euid"], r["gid"], r["comm"]),
           (self.procs[who].pid, os.getpid(), uid, uid, uid, "sh"),
           f"{who}: pid, ppid, uid, euid, gid, comm (/proc/PID/stat, status)")
        eq(r["start_observed"], False, f"{who}: start_observed (seeded from /proc)")
        eq(r["execs"], [], f"{who}: no exec seen")
        eq(r["parent_entity_id"], f"{os.getpid()}:{_ticks(os.getpid())}",
           f"{who}: parent_entity_id")
        eq((r["ancestors"][0]["pid"], r["ancestors"][0]["entity_id"]),
           (os.getpid(), r["parent_entity_id"]), f"{who}: ancestors[0] is the test")
        eq(r["ancestors"][-1]["pid"], 1, f"{who}: ancestors end at init")
        if exe_known:
            eq((r["exe"], r["pidns"], r["mntns"]), (t["exe"], t["pidns"], t["mntns"]),
               f"{who}: exe, pidns, mntns (/proc/PID/exe, ns/)")
            check("proc_unreadable" not in r, f"{who}: proc_unreadable {r.get('proc_unreadable')}")
        else:
            eq(r["exe"], None, f"{who}: exe unknown")
            eq(r.get("proc_unreadable"), ["exe", "pidns", "mntns"] if r["running"] else ["exe"],
               f"{who}: the record says what /proc refused")
            if r["running"]:
                eq((r["pidns"], r["mntns"]), (0, 0), f"{who}: pidns, mntns (refused)")
            else:
                # its exit (a kernel record) gave them back
                eq((r["pidns"], r["mntns"]), (t["pidns"], t["mntns"]), f"{who}: ns from the exit")

    def check_children(self, recs, r, exe_known=True):
        """The other-user process's children, started while traced: by parent_entity_id."""
        kids = sorted([k for k in recs if k.get("type") == "process"
                       and k.get("parent_entity_id") == r["entity_id"]
                       and k.get("ppid") == r["pid"]], key=lambda k: k["start_time"])
        eq([(k["uid"], k["start_observed"], k["running"], k["exit_code"]) for k in kids],
           [(65534, True, False, 4), (65534, True, False, 0)],
           "other's children: uid, start_observed, running, exit_code")
        sub, true = kids
        eq(sub["execs"], [], "the subshell: no exec")
        eq(sub["args"], r["args"], "the subshell: its parent's command line")
        eq((sub["pidns"], sub["mntns"]), (self.truth["other"]["pidns"],
                                           self.truth["other"]["mntns"]),
           "the subshell: namespaces (its fork)")
        if exe_known:
            eq(sub["exe"], self.truth["other"]["exe"], "the subshell: its parent's exe")
            check("proc_unreadable" not in sub, "the subshell: proc_unreadable")
        else:
            # its program is its parent's, which /proc refused: still unknown, said so
            eq((sub["exe"], sub.get("proc_unreadable")), (None, ["exe"]),
               "the subshell: its parent's exe, unknown")
        eq([(x["filename"], x["args"], x["ret"]) for x in true["execs"]],
           [("/bin/true", ["/bin/true"], 0)], "/bin/true: its exec")
        eq(true["exe"], os.path.realpath("/bin/true"), "/bin/true: exe (its exec)")
        check("proc_unreadable" not in true, "/bin/true: nothing from /proc")

    def check_ends(self, r, who):
        if who == "other":
            eq((r["running"], r["exit_code"], r["signal"]), (False, 3, 0),
               f"{who}: ended while traced, seen live")
        else:
            eq((r["running"], r["exit_code"]), (True, None), f"{who}: still running at the stop")


def _run_traced(i, bounding, logdir, pre, during=None):
    """Run the unit's ExecStart with capability set @bounding while @pre's processes run:
    the other-user one ends while traced, then a workload the test makes (a life of two
    execs), then SIGTERM. Returns (records, ready line, /proc status at ready, workload
    Popen, marker)."""
    proc, res, dropped = _run_unit(i, bounding, logdir)
    out = Reader(proc.stdout)
    err = Reader(proc.stderr)
    try:
        ready = _wait_ready(proc, out, res)
        eq(ready.get("tool"), "trace", "ready line")
        with open(f"/proc/{ready['pid']}/status") as f:
            st = dict(ln.split(":\t", 1) for ln in f.read().splitlines() if ":\t" in ln)
        pre.end("other")
        if during:
            during(ready, res)
        marker = f"ps-unit-{os.getpid()}-{time.monotonic_ns()}"
        child = subprocess.Popen(["/bin/sh", "-c", 'exec /bin/echo "$0"', marker],
                                 stdout=subprocess.DEVNULL)
        eq(child.wait(), 0, "workload")
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=60)
    out.t.join(30)
    err.t.join(30)
    eq(rc, 0, f"exit status after SIGTERM; stderr: {err.buf.decode(errors='replace')}")
    data = out.buf
    if "output" in res:
        # a reload (during) made the tool open the name again (a new file, 0600);
        # records are in the moved file, then in the new one (where the reopen cut them)
        names = [res["output"]]
        if os.path.exists(res["output"] + ".1"):
            names.insert(0, res["output"] + ".1")
        data = b""
        for p in names:
            eq(oct(os.stat(p).st_mode & 0o777), "0o600", f"{p}: mode")
            with open(p, "rb") as f:
                data += f.read()
        check(data.startswith(b'{"type":"ready"'), "the (first) file has the start")
    if dropped:
        print(f"     note: not in this binary yet, dropped from ExecStart: {dropped}")
    recs = [json.loads(ln) for ln in data.splitlines() if ln.strip()]
    summ = only([r for r in recs if r.get("type") == "summary"], "summary")
    eq(summ["lost"], 0, "lost")
    return recs, st, child, marker


def _check_workload(recs, child, marker):
    """The life the test made after the ready line, field by field (kernel events)."""
    ev = only([r for r in recs if r.get("type") == "process" and r.get("pid") == child.pid
               and r.get("args") == ["/bin/echo", marker]], "process record of the workload")
    eq((ev["ppid"], ev["comm"], ev["uid"], ev["start_observed"], ev["running"],
        ev["exit_code"], ev["signal"]),
       (os.getpid(), "echo", 0, True, False, 0, 0),
       "workload: ppid, comm, uid, start_observed, running, exit_code, signal")
    eq([(x["filename"], x["args"], x["ret"]) for x in ev["execs"]],
       [("/bin/sh", ["/bin/sh", "-c", 'exec /bin/echo "$0"', marker], 0),
        ("/bin/echo", ["/bin/echo", marker], 0)], "workload: its two execs")
    eq(ev["exe"], os.path.realpath("/bin/echo"), "workload: exe")
    eq(ev["execs"][0]["cwd"], os.getcwd(), "workload: cwd of its first exec")
    check("proc_unreadable" not in ev, "workload: nothing from /proc")


def test_pkg_unit_execstart_caps():
    """The unit's ExecStart (procsnoop trace, the whole machine), run as systemd would with
    exactly its CapabilityBoundingSet (setpriv), NoNewPrivileges, LimitMEMLOCK and UMask:
    its capabilities are the set and, after the ready line, no more than the tool keeps
    (no CAP_SYS_PTRACE); processes running before it, of another user and of root with
    every capability, are seeded from /proc with exe, namespaces, parent and ancestry,
    field by field, and the other-user one's children with it; a life the test makes is
    traced with its execs; a logrotate move and
    ExecReload reopen the file; SIGTERM (systemctl stop) ends it with status 0, nothing
    lost, and reports the lives still running."""
    capnum = _cap_numbers()
    with Installed() as i:
        bounding = only(_unit(i.unit)["CapabilityBoundingSet"], "CapabilityBoundingSet").split()
        for c in bounding:
            check(c in capnum, f"CapabilityBoundingSet: unknown capability {c}")
        want = sum(1 << capnum[c] for c in bounding)

        def during(ready, res):
            if "metrics" in res:
                with urllib.request.urlopen(f"http://127.0.0.1:{res['metrics']}/metrics",
                                            timeout=10) as r:
                    eq(r.status, 200, "GET /metrics")
                    check(b"procsnoop_events_total" in r.read(), "metrics: events counter")
            if "output" in res:
                # logrotate's move, then `systemctl reload` (ExecReload, $MAINPID
                # expanded as systemd does): the tool reopens the name
                os.rename(res["output"], res["output"] + ".1")
                reload = only(_unit(i.unit)["ExecReload"], "ExecReload")
                reload = reload.replace("$MAINPID", str(ready["pid"]))
                eq(subprocess.run(shlex.split(reload), timeout=30).returncode, 0,
                   f"ExecReload {reload}")

        logdir = tempfile.mkdtemp(prefix="ps-logs-")
        try:
            with Preexisting(f"ps-unit-pre-{os.getpid()}") as pre:
                recs, st, child, marker = _run_traced(i, bounding, logdir, pre, during)
                for who, uid in (("other", 65534), ("root", 0)):
                    r = pre.record(recs, who)
                    pre.check_seeded(r, who, uid)
                    pre.check_ends(r, who)
                pre.check_children(recs, pre.record(recs, "other"))
            if os.path.exists(os.path.join(logdir, "trace.json.1")):
                check(os.path.exists(os.path.join(logdir, "trace.json")),
                      "ExecReload: the -o file reopened")
        finally:
            shutil.rmtree(logdir, ignore_errors=True)
    eq(int(st["CapBnd"], 16), want, "the tool's bounding set (CapBnd) is the unit's")
    # once attached and seeded the tool drops what it no longer needs (docs/privileges.md)
    eq(int(st["CapEff"], 16) & ~want, 0, "its effective capabilities (CapEff) within the set")
    eq(int(st["CapPrm"], 16) & (1 << capnum["CAP_SYS_PTRACE"]), 0,
       "CAP_SYS_PTRACE dropped at the ready line (CapPrm)")
    eq(st["NoNewPrivs"].strip(), "1", "NoNewPrivs")
    _check_workload(recs, child, marker)


def test_pkg_unit_ptrace_needed():
    """Why the unit keeps CAP_SYS_PTRACE: without it (the rest of the set unchanged), the
    processes running before the tracer lose exe, pidns and mntns (the ptrace access
    check of /proc/PID/exe and ns/), for another user's process and for root's with every
    capability alike, and their records say so (proc_unreadable), never a wrong value;
    what /proc gives without it (command line, uids, parent, ancestry) is still right; a
    child forked by such a process runs its parent's program, unknown too and said so;
    lives that exec after the ready line, seen by the kernel, are whole."""
    with Installed() as i:
        bounding = only(_unit(i.unit)["CapabilityBoundingSet"], "CapabilityBoundingSet").split()
        check("CAP_SYS_PTRACE" in bounding, "CAP_SYS_PTRACE in CapabilityBoundingSet")
        logdir = tempfile.mkdtemp(prefix="ps-logs-")
        try:
            with Preexisting(f"ps-unit-noptrace-{os.getpid()}") as pre:
                recs, _, child, marker = _run_traced(
                    i, [c for c in bounding if c != "CAP_SYS_PTRACE"], logdir, pre)
                for who, uid in (("other", 65534), ("root", 0)):
                    r = pre.record(recs, who)
                    pre.check_seeded(r, who, uid, exe_known=False)
                    pre.check_ends(r, who)
                pre.check_children(recs, pre.record(recs, "other"), exe_known=False)
        finally:
            shutil.rmtree(logdir, ignore_errors=True)
    _check_workload(recs, child, marker)


def test_pkg_unit_caps_needed():
    """Each capability the unit keeps for BPF is needed: without CAP_BPF, or without
    CAP_PERFMON, ExecStart fails (status 1, permission denied) instead of tracing."""
    with Installed() as i:
        bounding = only(_unit(i.unit)["CapabilityBoundingSet"], "CapabilityBoundingSet").split()
        for drop in ("CAP_BPF", "CAP_PERFMON"):
            check(drop in bounding, f"{drop} in CapabilityBoundingSet")
            logdir = tempfile.mkdtemp(prefix="ps-logs-")
            try:
                proc, res, _ = _run_unit(i, [c for c in bounding if c != drop], logdir)
                out, err = proc.communicate(timeout=60)
            finally:
                shutil.rmtree(logdir, ignore_errors=True)
            eq(proc.returncode, 1, f"without {drop}: exit status; stderr {err!r}")
            check(b"permission denied" in err, f"without {drop}: stderr says why: {err!r}")
            check(b'"type":"ready"' not in out, f"without {drop}: no ready line")


_deb = []


def _build_deb():
    """make deb once per run (it reuses PKG_BUILD's binary): the .deb and the .changes."""
    if not _deb:
        for t in ("dpkg-buildpackage", "dh"):
            if not shutil.which(t):
                raise Skip(f"{t} not installed (scripts/deps.sh --test installs debhelper)")
        _make("deb", timeout=600)
        d = os.path.join(PKG_BUILD, "deb")
        debs = [n for n in os.listdir(d) if re.fullmatch(r"procsnoop_[^_]+_[a-z0-9]+\.deb", n)]
        _deb.extend([os.path.join(d, only(debs, "procsnoop .deb")),
                     os.path.join(d, "procsnoop.changes")])
    return _deb


def test_pkg_deb_lintian():
    """lintian --pedantic -I -E on the package: no tag left but the overridden ones, each
    with its reason in debian/procsnoop.lintian-overrides. The package holds the binary."""
    deb, changes = _build_deb()
    if not shutil.which("lintian"):
        raise Skip("lintian not installed (scripts/deps.sh --test installs it)")
    p = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE, check=True)
    t = subprocess.run(["tar", "-t"], input=p.stdout, stdout=subprocess.PIPE, check=True)
    files = t.stdout.decode().splitlines()
    check("./usr/sbin/procsnoop" in files, "the .deb has the binary")
    # what the service's operator needs next to it: the shipper config and the docs
    # the unit and fleet.md point to (dh compresses the larger docs)
    check("./usr/share/doc/procsnoop/examples/rsyslog-procsnoop.conf" in files,
          "the .deb has the rsyslog config")
    for d in ("fleet", "ecs", "metrics", "privileges"):
        check(any(f.startswith(f"./usr/share/doc/procsnoop/{d}.md") for f in files),
              f"the .deb has docs/{d}.md")
    p = subprocess.run(["lintian", "-I", "-E", "--pedantic", changes], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=300)
    tags = [ln for ln in p.stdout.decode().splitlines()
            if not ln.startswith("running with root privileges")]
    eq(tags, [], "lintian tags not overridden")
    with open(os.path.join(ROOT, "debian", "procsnoop.lintian-overrides")) as f:
        lines = f.read().splitlines()
    for k, ln in enumerate(lines):
        if ln and not ln.startswith("#"):
            check(k > 0 and lines[k - 1].startswith("#"), f"override without a reason: {ln}")


def test_pkg_deb_fresh():
    """apt install ./procsnoop_*.deb on a fresh minimal Debian 12 (the fresh test's cached
    debootstrap), with libbpf-tools: --version, man -w, no file shared with libbpf-tools or
    bpfcc-tools, /usr/sbin/execsnoop still libbpf-tools'; apt remove leaves only the
    conffiles, purge nothing (the service's logs neither)."""
    if os.environ.get("PS_FRESH_CHROOT"):
        raise Skip("inside the fresh-machine chroot already")
    if not shutil.which("debootstrap"):
        raise Skip("debootstrap not installed (scripts/deps.sh --test installs it)")
    deb, _ = _build_deb()
    p = subprocess.run([os.path.join(ROOT, "tests", "fresh", "deb.sh"), BUILD, deb],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    err = p.stderr.decode(errors="replace")
    if p.returncode == 77:
        raise Skip(err.splitlines()[-1] if err else "Debian mirror unreachable")
    eq(p.returncode, 0, f"tests/fresh/deb.sh: {err[-3000:]}")
    r = {}
    for ln in p.stdout.decode().splitlines():
        k, _, v = ln.partition(": ")
        r[k] = v.strip()
    version = subprocess.run([BIN, "--version"], stdout=subprocess.PIPE).stdout.decode().strip()
    eq(r.get("status"), "install ok installed", "dpkg status after apt install")
    eq(r.get("version"), version, "procsnoop --version in the chroot (the build's binary)")
    eq(r.get("man"), "/usr/share/man/man8/procsnoop.8.gz", "man -w procsnoop")
    eq(r.get("man-exec"), "/usr/share/man/man8/procsnoop-exec.8.gz", "man -w procsnoop-exec")
    eq(r.get("execsnoop-owner"), "libbpf-tools: /usr/sbin/execsnoop", "dpkg -S /usr/sbin/execsnoop")
    eq(r.get("execsnoop-path"), "/usr/sbin/execsnoop", "execsnoop on PATH is libbpf-tools'")
    eq(r.get("link-usage"), "Usage: execsnoop [OPTIONS]", "/usr/lib/procsnoop/bin/execsnoop")
    eq(r.get("unit"), "/lib/systemd/system/procsnoop.service", "the unit")
    eq(r.get("enabled"), "0", "the service is not enabled by the package")
    eq(r.get("conffiles"), "/etc/default/procsnoop /etc/logrotate.d/procsnoop", "conffiles")
    check(int(r.get("bpfcc-files", "0")) > 100, f"bpfcc-tools' file list read: {r}")
    eq(r.get("bpfcc-overlap"), "", "files shared with bpfcc-tools")
    eq(r.get("libbpf-tools-overlap"), "", "files shared with libbpf-tools")
    eq(r.get("removed-status"), "deinstall ok config-files", "dpkg status after apt remove")
    eq(r.get("removed-left"), "/etc/default/procsnoop /etc/logrotate.d/procsnoop",
       "left after apt remove (the conffiles only)")
    eq(r.get("removed-execsnoop"), "/usr/sbin/execsnoop", "libbpf-tools untouched by the remove")
    check("no packages found matching procsnoop" in r.get("purged-status", ""),
          f"dpkg knows nothing of procsnoop after purge: {r.get('purged-status')}")
    eq(r.get("purged-left"), "", "left after apt purge")
    eq(r.get("purged-log"), "absent", "/var/log/procsnoop after purge")
