# SPDX-License-Identifier: GPL-2.0
"""The views of procsnoop trace (--tree, --timeline, --svg), parsed as their
consumers parse them.

The test_unit_* tests read the files that build/tests/unit_view --dump writes
from synthetic lives it knows (hostile argv included), and check them against
those lives with a JSON parser and an XML parser: every life one complete
event with ts/dur in microseconds, one bar per life, nothing that makes the
XML invalid.
"""
import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET

from lib import HELPERS, Failure, check, eq, run

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
