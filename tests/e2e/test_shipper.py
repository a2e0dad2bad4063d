# SPDX-License-Identifier: GPL-2.0
"""The shipper config of docs/ecs.md works: Debian's rsyslog (imfile +
mmjsonparse) reads the file procsnoop exec and exit write with -o and turns
each record into an ECS document; checked field by field against the
processes the test ran. Skipped when rsyslog is not installed (apt install
rsyslog)."""
import json
import os
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


def test_rsyslog_ecs():
    """exec (a success, a failure) and exit (a code, a signal) records in the
    -o file come out of rsyslog as ECS documents with the processes' own
    values: process.pid, parent.pid, args, executable, exit_code,
    entity_id (equal to procsnoop's), event.outcome, error.code, host.boot.id."""
    rsyslogd = shutil.which("rsyslogd") or (os.path.exists("/usr/sbin/rsyslogd") and
                                            "/usr/sbin/rsyslogd")
    if not rsyslogd:
        raise lib.Skip("rsyslog is not installed (apt install rsyslog)")
    with TmpDir() as d:
        # one file per tool, read through a glob, as docs/ecs.md says
        inx, inz, ecs = (os.path.join(d, f) for f in ("exec.jsonl", "exit.jsonl", "ecs.json"))
        conf = rsyslog_conf(d, os.path.join(d, "*.jsonl"), ecs)
        p = lib.run([rsyslogd, "-N1", "-f", conf])
        eq(p.returncode, 0, f"rsyslogd -N1 (config check): {p.stderr.decode()[-1000:]}")
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
        rs = subprocess.Popen([rsyslogd, "-n", "-f", conf, "-i", os.path.join(d, "pid")],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        want = len([r for r in recs if r["type"] in ("exec", "exit")])
        try:
            wait_for(lambda: os.path.exists(ecs) and
                     open(ecs, "rb").read().count(b"\n") >= want, f"{want} ECS documents")
        finally:
            rs.send_signal(signal.SIGTERM)
            out = rs.communicate(timeout=30)[0]
        docs = lines_of(ecs)
        eq(len(docs), want, f"ECS documents (rsyslog said {out[-500:]!r})")

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
