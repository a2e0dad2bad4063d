#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the text and record seeds of tests/fuzz/corpus (run once; the
output is committed). The ELF seeds are small binaries with USDT notes
(gcc -Os -nostdlib, max-page-size=16), one truncated."""
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
EXEC, EXIT, PROBE, CHUNK = 1, 2, 3, 4
FIRST, LAST = 1, 2
SIZES = {EXEC: 288, EXIT: 200, PROBE: 232}


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(HERE, target, name), "wb") as f:
        f.write(data)


def first(typ, flags, ev_id, data=b""):
    body = struct.pack("<HHIQ", typ, flags, SIZES[typ] + len(data), ev_id)
    return body + bytes(SIZES[typ] - 16) + data


def chunk(flags, ev_id, off, data):
    return struct.pack("<HHIQIIIIII", CHUNK, flags, 40 + len(data), ev_id, off, len(data),
                       2, len(data) + off, 0, 0) + data


def stream(*recs):
    return b"".join(struct.pack("<H", len(r)) + r for r in recs)


put("stream", "whole", stream(first(EXEC, FIRST | LAST, 1, b"/bin/ls\0ls\0-l\0")))
put("stream", "chunked", stream(first(EXEC, FIRST, 2, b"a" * 100),
                                chunk(0, 2, 100, b"b" * 50), chunk(LAST, 2, 150, b"c\0")))
put("stream", "gap", stream(first(EXIT, FIRST, 3, b"x"), chunk(LAST, 3, 9, b"y")))
put("stream", "interleaved", stream(first(PROBE, FIRST, 4), first(EXEC, FIRST, 5, b"p"),
                                    chunk(LAST, 5, 1, b"q"), b"\xff\xff"[:0] + chunk(LAST, 4, 0, b"r")))
put("stream", "expire", stream(first(EXEC, FIRST, 6, b"z")) + b"\xff\xff" +
    stream(chunk(LAST, 6, 1, b"late")))
put("stream", "short", stream(b"\x01\x00\x03", first(EXEC, FIRST | LAST, 7)[:200]))

for i, s in enumerate(["4096", "64k", "1M", "2MiB", "1G", "1.5s", "10ms", "500us", "100ns",
                       "3m", "1h", "0", "18446744073709551615", "99999999999999999999",
                       "root", "65534", "ringbuf", "perf", "auto",
                       "9ec39b91f3d7", "-1", " 5", "1e3", "0x10"]):
    put("opts", f"s{i}", s)

for i, s in enumerate(["u:libc:malloc", "u:libc:malloc:%lu", "ur:bash:readline:%s",
                       "u:/bin/true:main+4:%d:%u:%x:%ld:%lu:%lx:%p:%s",
                       "usdt:/usr/lib/libpython3.so:python:function__entry:%s:%s:%d",
                       "usdt:x:name", "u:libc:0x1000", "ur:libc:getenv",
                       "u::", "u:a:b:%q", "-4@%edi 8@%rsi", "-4@$42 8@-8(%rbp) 1@%al",
                       "u:a:b+0x" + "f" * 20]):
    put("spec", f"s{i}", s)

for i, s in enumerate(["plain ascii", "tab\there\nnl\r\x1b[31mred\x07\x7f", "\\\"quoted\"",
                       "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                       "\xe2\x80\xaeevil\xe2\x80\xac \xe2\x80\x8b \xc2\x9b \xef\xbb\xbf",
                       "bad \xff\xfe \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82",
                       "nul\x00inside", "\x80" * 64]):
    put("encode", f"s{i}", s.encode("latin-1"))

ID = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
UID = "2c48913c-b29f-11e7-9350-020968147796"
for i, s in enumerate(["/", "/system.slice/docker-" + ID + ".scope", "/docker/" + ID,
                       "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                       UID.replace("-", "_") + ".slice/cri-containerd-" + ID + ".scope",
                       "/kubepods/besteffort/pod" + UID + "/" + ID,
                       "/machine.slice/libpod-" + ID + ".scope/container",
                       "/lxc.payload.c1", "/system.slice/crio-" + ID + ".scope",
                       "/user.slice/user-0.slice/session-1.scope", "//docker-.scope/",
                       "/docker/" + ID[:63]]):
    put("cgroup", f"s{i}", s)

put("procstat", "plain",
    "42 (sh) S 1 2 3 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 987654 1000 200 0 0\n")
put("procstat", "fake-fields", "x) Z 1 2 3) S")
put("procstat", "newline", "a\nb c")

# trace's seeding parsers (fuzz_procparse): each input is tried as every file
os.makedirs(os.path.join(HERE, "procparse"), exist_ok=True)
put("procparse", "stat",
    "42 (sh) S 1 2 3 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 987654 1000 200 0 0\n")
# a comm that fakes the next fields and a line end (fgets stopped there: ppid 99)
put("procparse", "stat-fake-ppid", "x) S 99\n")
put("procparse", "status", "Name:\tsh\nUid:\t0\t1000\t0\t0\nGid:\t0\t0\t0\t0\n"
    "NSpid:\t42\t7\n")
put("procparse", "status-overflow", "\nUid:\t99999999999\t-5\nNSpid:\t \n3")
put("procparse", "ns", "pid:[4026531836]")
put("procparse", "cgroup", "12:memory:/a\n1:name=systemd:/b\n0::/system.slice/x.scope\n")
# a v1 path holding "0::" before the v2 line (the v2 line was missed)
put("procparse", "cgroup-v1-0colons", "a0::b")
put("procparse", "cmdline", "/bin/sh\0-c\0exit 7\0")
put("procparse", "cmdline-rewritten", "nginx: worker process")
