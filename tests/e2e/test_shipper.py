# SPDX-License-Identifier: GPL-2.0
"""The shipper config of docs/ecs.md works: Debian's rsyslog (imfile +
mmjsonparse) reads the file procsnoop exec, exit and trace write with -o and
turns each record into an ECS document; checked field by field against the
processes the test ran. Skipped when rsyslog is not installed (apt install
rsyslog)."""
import calendar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import ROOT, check, eq, only  # noqa: E402

# tests/run.py skips this module inside test_fresh's chroot, saying why (CI time)
FRESH_INSIDE_SKIP = "the rsyslog shipper config is not about the machine; the suite outside runs it"
from test_exec_lib import TmpDir, marker, run_exec  # noqa: E402
from test_output_file import FileTool, lines_of, wait_for  # noqa: E402

ME = os.getpid()
CONF = os.path.join(ROOT, "docs", "shippers", "rsyslog-procsnoop.conf")


def rsyslog_conf(d, inp, ecs):
    """The shipped config with its two paths filled in, standalone (its own work directory)."""
    with open(CONF) as f:
        text = f.read()
    check("PROCSNOOP_INPUT" in text and "PROCSNOOP_ECS" in text, "placeholders in the config")
    path = os.path.join(d, "rsyslog.conf")
    with open(path, "w") as f:
        f.write(f'global(workDirectory="{d}")\n')
        f.write(text.replace("PROCSNOOP_INPUT", inp).replace("PROCSNOOP_ECS", ecs))
    return path


def rsyslogd_path():
    rsyslogd = shutil.which("rsyslogd") or (os.path.exists("/usr/sbin/rsyslogd") and
                                            "/usr/sbin/rsyslogd")
    if not rsyslogd:
        raise lib.Skip("rsyslog is not installed (apt install rsyslog)")
    return rsyslogd


def check_conf(rsyslogd, conf):
    p = lib.run([rsyslogd, "-N1", "-f", conf])
    eq(p.returncode, 0, f"rsyslogd -N1 (config check): {p.stderr.decode()[-1000:]}")


def ship(rsyslogd, conf, d, ecs, want):
    """Run rsyslog on the files the config names until @want documents are in @ecs."""
    rs = subprocess.Popen([rsyslogd, "-n", "-f", conf, "-i", os.path.join(d, "pid")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: os.path.exists(ecs) and
                 open(ecs, "rb").read().count(b"\n") >= want, f"{want} ECS documents")
    finally:
        rs.send_signal(signal.SIGTERM)
        out = rs.communicate(timeout=30)[0]
    docs = lines_of(ecs)
    eq(len(docs), want, f"ECS documents (rsyslog said {out[-500:]!r})")
    return docs


def test_rsyslog_ecs():
    """exec (a success, a failure) and exit (a code, a signal) records in the
    -o file come out of rsyslog as ECS documents with the processes' own
    values: process.pid, parent.pid, args, executable, exit_code,
    entity_id (equal to procsnoop's), event.outcome, error.code, host.boot.id."""
    rsyslogd = rsyslogd_path()
    with TmpDir() as d:
        # one file per tool, read through a glob, as docs/ecs.md says
        inx, inz, ecs = (os.path.join(d, f) for f in ("exec.jsonl", "exit.jsonl", "ecs.json"))
        conf = rsyslog_conf(d, os.path.join(d, "*.jsonl"), ecs)
        check_conf(rsyslogd, conf)
        name = "psxecs" + marker()[3:9]                 # the comm, for exit -n
        sh = os.path.join(d, name)
        os.symlink("/bin/sh", sh)
        m_ok, m_kill, m_fail = marker(), marker(), marker()
        with FileTool(inx, ["exec", "--json", "-P", str(ME)]) as tx, \
                FileTool(inz, ["exit", "--json", "-n", name]) as tz:
            pid_ok, rc_ok = run_exec([sh, "-c", "exit 3", m_ok])
            pid_kill, rc_kill = run_exec([sh, "-c", "kill -9 $$", m_kill])
            _, rc_fail = run_exec(["/nonexistent-psx/tool", m_fail])
            tx.stop()
            tz.stop()
        eq((rc_ok, rc_kill, rc_fail), (3, -9, -2), "the workload's results")
        eq((tx.rc, tz.rc), (0, 0), f"tools' exit status ({tx.err!r} {tz.err!r})")
        recs = lines_of(inx) + lines_of(inz)
        want = len([r for r in recs if r["type"] in ("exec", "exit")])
        docs = ship(rsyslogd, conf, d, ecs, want)

    boot = open("/proc/sys/kernel/random/boot_id").read().strip()
    hostname = os.uname().nodename

    def doc(action, args1=None, pid=None):
        return only([x for x in docs if x["event"]["action"] == action and
                     (args1 is None or x["process"].get("args", [None, None])[1:2] == [args1]) and
                     (pid is None or x["process"]["pid"] == pid)], f"{action} document")

    def rec(typ, pid):
        return only([r for r in recs if r["type"] == typ and r["pid"] == pid], f"{typ} record")

    for x in docs:
        eq((x["ecs"]["version"], x["event"]["kind"], x["event"]["category"],
            x["host"]["boot"]["id"], x["host"]["name"]),
           ("8.11.0", "event", "process", boot, hostname), "ECS constants and host")
    ok = doc("exec", "-c", pid_ok)
    r = rec("exec", pid_ok)
    eq(ok["process"]["args"], [sh, "-c", "exit 3", m_ok], "process.args")
    eq((ok["process"]["pid"], ok["process"]["parent"]["pid"], ok["process"]["args_count"]),
       (pid_ok, ME, 4), "process.pid, parent.pid, args_count")
    eq(ok["process"]["executable"], os.path.realpath("/bin/sh"), "process.executable")
    eq((ok["event"]["type"], ok["event"]["outcome"]), ("start", "success"), "event type, outcome")
    eq((ok["@timestamp"], ok["process"]["entity_id"], ok["process"]["parent"]["entity_id"],
        ok["process"]["start"], ok["process"]["working_directory"]),
       (r["time"], r["entity_id"], r["parent_entity_id"], r["start_time"], r["cwd"]),
       "@timestamp, entity ids, start, working_directory: procsnoop's")
    eq((ok["process"]["real_user"]["id"], ok["process"]["user"]["id"]),
       (os.getuid(), os.geteuid()), "user ids")
    fail = only([x for x in docs if x["event"]["action"] == "exec" and
                 x["process"]["args"] == ["/nonexistent-psx/tool", m_fail]], "failed exec document")
    eq((fail["event"]["outcome"], fail["error"]["code"], fail["process"]["executable"]),
       ("failure", "ENOENT", "/nonexistent-psx/tool"), "a failed exec")
    end = doc("exit", pid=pid_ok)
    z = rec("exit", pid_ok)
    eq((end["event"]["type"], end["process"]["exit_code"], end["process"]["name"],
        end["process"]["entity_id"], end["event"]["duration"], end["process"]["end"]),
       ("end", 3, name, r["entity_id"], z["duration_ns"], z["time"]),
       "exit: type, exit_code, name, entity_id (the exec's), duration, end")
    killed = doc("exit", pid=pid_kill)
    check("exit_code" not in killed["process"], f"a signal death has no exit_code: {killed}")
    eq((killed["procsnoop"]["signal"], killed["procsnoop"]["core_dumped"]), (9, False),
       "procsnoop.signal of a kill -9")


# The workload of test_rsyslog_ecs_trace, run as trace's CMD: each life it makes
# reports its own pid and /proc start time (its entity_id) before it execs, and
# the parent writes them, with each wait status, to the ground-truth file.
TRACE_WORKLOAD = r'''
import json, os, sys
truth, m_ok, m_kill, m_fx, m_nf = sys.argv[1:6]
hold = int(sys.argv[6])

def eid(pid):
    """PID:STARTTIME, the start time in clock ticks (/proc/PID/stat field 22)"""
    with open(f"/proc/{pid}/stat") as f:
        return "%d:%s" % (pid, f.read().rsplit(")", 1)[1].split()[19])

g = {"top": eid(os.getpid()), "parent": eid(os.getppid()), "lives": {}}
r, w = os.pipe()

def child(name, fn, wait=True):
    pid = os.fork()
    if pid == 0:
        os.write(w, eid(os.getpid()).encode() + b"\n")
        try:
            fn()
        finally:
            os._exit(99)
    g["lives"][name] = {"entity_id": os.read(r, 64).decode().strip()}
    if wait:
        g["lives"][name]["status"] = os.waitpid(pid, 0)[1]

def fail_then_sh():
    try:
        os.execv("/nonexistent-psx/tool", ["/nonexistent-psx/tool", m_fx])
    except OSError:
        pass
    # two successful execs, the last one in another directory
    os.execv("/bin/sh", ["sh", "-c", 'cd / && exec "$0" -c "exit 5" "$1"', "/bin/sh", m_fx])

def only_fail():
    try:
        os.execv("/nonexistent-psx/tool", ["/nonexistent-psx/tool", m_nf])
    except OSError:
        os._exit(127)

child("ok", lambda: os.execv(b"/bin/sh", [b"sh", b"-c", b"exit 3", m_ok.encode(),
                                          b"\xff\x1b[31m"]))
child("kill", lambda: os.execv("/bin/sh", ["sh", "-c", "kill -9 $$", m_kill]))
child("fx", fail_then_sh)
child("nf", only_fail)
child("fork", lambda: os._exit(4))
# still running when trace ends (--end-with-cmd): it waits for the test's pipe
child("linger", lambda: (os.read(hold, 1), os._exit(0)), wait=False)
with open(truth, "w") as f:
    json.dump(g, f)
'''


def rfc3339_ns(s):
    """procsnoop's "2026-12-01T11:46:24.101826140Z" as ns since the epoch."""
    secs, frac = s.rstrip("Z").split(".")
    t = time.strptime(secs, "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * 10**9 + int(frac.ljust(9, "0"))


def fffd(v):
    """@v as rsyslog's JSON parser (json-c) passes it on: each \\udcNN (a byte
    that is not UTF-8, README) becomes U+FFFD."""
    if isinstance(v, str):
        return re.sub("[\udc80-\udcff]", "\ufffd", v)
    if isinstance(v, list):
        return [fffd(x) for x in v]
    if isinstance(v, dict):
        return {k: fffd(x) for k, x in v.items()}
    return v


def test_rsyslog_ecs_trace():
    """trace's process records (what procsnoop.service writes) come out of
    rsyslog as one ECS document per life, with the workload's own values:
    pid, parent pid, entity ids (from /proc, read by each life itself),
    args/executable/working_directory of the last successful exec (a failed
    exec before it, a life whose only exec failed, a fork that never
    exec'd: its parent's program), exit_code (none when killed), start,
    end, duration, event.type (start+end; start alone for a life still
    running at the end), and a non-UTF-8 argument kept in event.original."""
    rsyslogd = rsyslogd_path()
    with TmpDir() as d:
        d = os.path.realpath(d)
        out, ecs, truth, w = (os.path.join(d, f) for f in ("trace.json", "ecs.json",
                                                           "truth.json", "w.py"))
        with open(w, "w") as f:
            f.write(TRACE_WORKLOAD)
        conf = rsyslog_conf(d, out, ecs)
        check_conf(rsyslogd, conf)
        m = {k: marker() for k in ("ok", "kill", "fx", "nf")}
        hold_r, hold_w = os.pipe()
        top_args = [sys.executable, w, truth, m["ok"], m["kill"], m["fx"], m["nf"], str(hold_r)]
        t0 = time.time_ns()
        # a file, not a pipe, for its stderr: "linger" holds it past trace's end
        with open(os.path.join(d, "stderr"), "w+b") as errf:
            try:
                p = subprocess.Popen([lib.BIN, "trace", "--json", "--end-with-cmd", "-o", out,
                                      "--"] + top_args, cwd=d, pass_fds=(hold_r,),
                                     stdout=subprocess.DEVNULL, stderr=errf)
                os.close(hold_r)
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    raise lib.Failure("trace -- CMD did not end within 60 s")
                t1 = time.time_ns()
            finally:
                os.close(hold_w)            # lets "linger" end
            errf.seek(0)
            eq(p.returncode, 0, f"trace's exit status (CMD's): {errf.read()[-500:]!r}")
        with open(truth) as f:
            g = json.load(f)
        recs = [r for r in lines_of(out) if r["type"] == "process"]
        docs = ship(rsyslogd, conf, d, ecs, len(recs))
        raw = {}
        for ln in open(out, "rb").read().split(b"\n"):
            if ln.startswith(b'{"type":"process"'):
                raw[json.loads(ln)["entity_id"]] = ln.decode()

    lives = dict(g["lives"], top={"entity_id": g["top"], "status": 0})
    eq(len(recs), len(lives), f"one record per life: {[r['entity_id'] for r in recs]}")
    boot = open("/proc/sys/kernel/random/boot_id").read().strip()
    top_pid = int(g["top"].split(":")[0])
    sh = os.path.realpath("/bin/sh")
    py = os.path.realpath(sys.executable)

    def get(name):
        eid = lives[name]["entity_id"]
        pid = int(eid.split(":")[0])
        x = only([x for x in docs if x["process"]["entity_id"] == eid and
                  x["process"]["pid"] == pid], f"the document of {name} ({eid})")
        r = only([r for r in recs if r["entity_id"] == eid], f"the record of {name}")
        return x, r, pid

    for name in lives:
        x, r, pid = get(name)
        eq((x["ecs"]["version"], x["event"]["kind"], x["event"]["category"],
            x["event"]["action"], x["host"]["boot"]["id"]),
           ("8.11.0", "event", "process", "process", boot), f"{name}: ECS constants, host")
        parent = g["parent"] if name == "top" else g["top"]
        eq((x["process"]["pid"], x["process"]["parent"]["pid"],
            x["process"]["parent"]["entity_id"]),
           (pid, int(parent.split(":")[0]), parent), f"{name}: pid, parent pid, parent entity_id")
        eq((x["process"]["real_user"]["id"], x["process"]["user"]["id"]),
           (os.getuid(), os.geteuid()), f"{name}: user ids")
        eq((x["@timestamp"], x["process"]["start"], x["event"]["duration"]),
           (r["time"], r["start_time"], r["duration_ns"]), f"{name}: times, procsnoop's")
        start = rfc3339_ns(x["process"]["start"])
        check(t0 <= start <= t1, f"{name}: process.start {x['process']['start']} within the run")
        eq(x["procsnoop"]["execs"], fffd(r["execs"]), f"{name}: procsnoop.execs, the record's")
        if name == "linger":
            continue
        end = rfc3339_ns(x["process"]["end"])
        check(start <= end <= t1, f"{name}: process.end {x['process']['end']} in order")
        check(abs(end - start - x["event"]["duration"]) <= 1000,
              f"{name}: event.duration is end - start")
        eq((x["event"]["type"], x["procsnoop"]["running"], x["procsnoop"]["start_observed"]),
           (["start", "end"], False, True), f"{name}: a life seen from fork to exit")
        st = lives[name]["status"]
        if os.WIFEXITED(st):
            eq(x["process"].get("exit_code"), os.WEXITSTATUS(st), f"{name}: process.exit_code")
            eq(x["procsnoop"]["signal"], 0, f"{name}: procsnoop.signal")

    # the lives in the order the workload made them (each waited for)
    order = ["ok", "kill", "fx", "nf", "fork"]
    ends = [rfc3339_ns(get(n)[0]["process"]["end"]) for n in order]
    starts = [rfc3339_ns(get(n)[0]["process"]["start"]) for n in order]
    check(all(ends[i] <= starts[i + 1] for i in range(len(order) - 1)),
          f"each life ends before the next starts: {list(zip(starts, ends))}")

    x, r, _ = get("top")
    eq((x["process"]["args"], x["process"]["executable"], x["process"]["working_directory"],
        x["process"]["exit_code"]), (top_args, py, d, 0), "top: args, executable, cwd, exit_code")

    x, r, _ = get("ok")
    eq(x["process"]["args"], ["sh", "-c", "exit 3", m["ok"], "\ufffd\x1b[31m"],
       "ok: process.args (rsyslog's parser makes the byte 0xff U+FFFD)")
    eq((x["process"]["executable"], x["process"]["working_directory"],
        x["process"]["args_count"], x["process"]["exit_code"]), (sh, d, 5, 3),
       "ok: executable, working_directory, args_count, exit_code")
    orig = json.loads(x["event"]["original"])
    eq(x["event"]["original"], raw[r["entity_id"]], "ok: event.original is procsnoop's line")
    eq(os.fsencode(orig["args"][4]), b"\xff\x1b[31m", "ok: the hostile argument, exact")

    x, r, _ = get("kill")
    eq(os.WTERMSIG(lives["kill"]["status"]), 9, "kill: the workload's kill -9")
    check("exit_code" not in x["process"], f"kill: a signal death has no exit_code: {x}")
    eq((x["procsnoop"]["signal"], x["procsnoop"]["signal_name"], x["process"]["args"],
        x["process"]["executable"]),
       (9, "KILL", ["sh", "-c", "kill -9 $$", m["kill"]], sh), "kill: signal, args, executable")
    check("event" in x and "original" not in x["event"], "kill: no event.original (all UTF-8)")

    x, r, _ = get("fx")
    eq((x["process"]["args"], x["process"]["executable"], x["process"]["working_directory"],
        x["process"]["exit_code"]), (["/bin/sh", "-c", "exit 5", m["fx"]], sh, "/", 5),
       "fx: the last successful exec gives args, executable, cwd")
    ex = x["procsnoop"]["execs"]
    eq([(e["filename"], e["ret"], e.get("error"), e.get("cwd")) for e in ex],
       [("/nonexistent-psx/tool", -2, "ENOENT", d), ("/bin/sh", 0, None, d),
        ("/bin/sh", 0, None, "/")], "fx: all three execs under procsnoop.execs")

    for name in ("nf", "fork"):
        x, r, _ = get(name)
        eq((x["process"]["args"], x["process"]["executable"]), (top_args, py),
           f"{name}: no successful exec: the program of its parent at fork")
        check("working_directory" not in x["process"] and "args_count" not in x["process"],
              f"{name}: no exec, no working_directory: {x['process']}")
    x, _, _ = get("nf")
    eq([(e["filename"], e["args"], e["error"]) for e in x["procsnoop"]["execs"]],
       [("/nonexistent-psx/tool", ["/nonexistent-psx/tool", m["nf"]], "ENOENT")],
       "nf: its failed exec")
    eq(get("fork")[0]["procsnoop"]["execs"], [], "fork: no exec")

    x, r, _ = get("linger")
    eq((x["event"]["type"], x["procsnoop"]["running"], x["process"]["args"]),
       (["start"], True, top_args), "linger: running at the end: a start, no end")
    check("end" not in x["process"] and "exit_code" not in x["process"],
          f"linger: no process.end, no exit_code: {x['process']}")
    eq(x["process"]["uptime"], r["duration_ns"] // 10**9, "linger: process.uptime (s)")


def proc_eid(pid):
    with open(f"/proc/{pid}/stat") as f:
        return "%d:%s" % (pid, f.read().rsplit(")", 1)[1].split()[19])


def test_rsyslog_ecs_trace_seeded():
    """Lives running before trace started (machine-wide, filtered on a cgroup
    of the test's own, -c): the one that ends while traced becomes
    event.type ["end"] with its exit_code, the one still running at SIGINT
    ["info"] with no end; args and executable from /proc."""
    from test_cgroup import Tree, into
    rsyslogd = rsyslogd_path()
    tree = Tree()
    kids = []
    try:
        cg, _ = tree.mk("seeded")
        with TmpDir() as d:
            out, ecs = os.path.join(d, "trace.json"), os.path.join(d, "ecs.json")
            conf = rsyslog_conf(d, out, ecs)
            check_conf(rsyslogd, conf)
            m_end, m_run = marker(), marker()
            # each waits for EOF on its stdin: "read" fails, sh exits 1
            for m in (m_end, m_run):
                kids.append(subprocess.Popen(["/bin/sh", "-c", "read x", m],
                                             stdin=subprocess.PIPE, preexec_fn=into(cg)))
            ended, running = kids
            e_end, e_run = proc_eid(ended.pid), proc_eid(running.pid)
            with FileTool(out, ["trace", "--json", "-c", cg]) as t:
                ended.stdin.close()
                eq(ended.wait(timeout=30), 1, "the ended life's status")
                wait_for(lambda: ('"entity_id":"%s"' % e_end).encode() in open(out, "rb").read(),
                         "the ended life's record")
                t.stop()
            eq(t.rc, 0, f"trace's exit status ({t.err!r})")
            recs = [r for r in lines_of(out) if r["type"] == "process"]
            eq(sorted(r["entity_id"] for r in recs), sorted([e_end, e_run]),
               "the records: the cgroup's two lives")
            docs = ship(rsyslogd, conf, d, ecs, len(recs))
    finally:
        for k in kids:
            if k.stdin and not k.stdin.closed:
                k.stdin.close()
            k.wait(timeout=30)
        tree.close()

    me = proc_eid(os.getpid())
    sh = os.path.realpath("/bin/sh")
    for eid, m in ((e_end, m_end), (e_run, m_run)):
        x = only([x for x in docs if x["process"]["entity_id"] == eid and
                  x["process"]["pid"] == int(eid.split(":")[0])], f"the document of {eid}")
        r = only([r for r in recs if r["entity_id"] == eid], f"the record of {eid}")
        eq((x["process"]["parent"]["pid"], x["process"]["parent"]["entity_id"],
            x["process"]["args"], x["process"]["executable"], x["process"]["start"],
            x["procsnoop"]["start_observed"], x["procsnoop"]["execs"]),
           (os.getpid(), me, ["/bin/sh", "-c", "read x", m], sh, r["start_time"], False, []),
           f"{eid}: parent, args and executable (/proc's), start, not observed")
        check("working_directory" not in x["process"], f"{eid}: no exec seen, no cwd")
        if eid == e_end:
            eq((x["event"]["type"], x["process"]["exit_code"], x["process"]["end"],
                x["event"]["duration"], x["procsnoop"]["running"]),
               (["end"], 1, r["time"], r["duration_ns"], False), "the ended life")
        else:
            eq((x["event"]["type"], x["procsnoop"]["running"], x["process"]["uptime"]),
               (["info"], True, r["duration_ns"] // 10**9), "the life still running")
            check("end" not in x["process"] and "exit_code" not in x["process"],
                  f"the running life: no end, no exit_code: {x['process']}")
