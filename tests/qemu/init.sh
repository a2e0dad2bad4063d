#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the test VM (busybox). Runs each case from /cases: one line
# "NAME|procsnoop args", starts the tracer, waits for its first output line
# (the ready line), runs /workload, stops it with SIGINT, prints its output
# between markers the host-side test parses. Then powers off.
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# cgroup v2, for the cgroup and container_id of records (test_qemu_61_cgroup)
mount -t cgroup2 none /sys/fs/cgroup
echo "=== KERNEL $(cat /proc/sys/kernel/osrelease)"
echo "=== UPTIME boot $(cut -d" " -f1 /proc/uptime)"
while IFS='|' read -r name args; do
	[ -n "$name" ] || continue
	case "$name" in mount-tracefs) mount -t tracefs nodev /sys/kernel/tracing; continue;; esac
	rm -f /tmp/out /tmp/err
	/bin/procsnoop $args > /tmp/out 2> /tmp/err &
	p=$!
	i=0
	while [ ! -s /tmp/out ] && [ $i -lt 600 ] && kill -0 $p 2>/dev/null; do sleep 0.1; i=$((i+1)); done
	sh /workload > /dev/null 2>&1
	kill -INT $p 2>/dev/null
	i=0
	while kill -0 $p 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
	kill -0 $p 2>/dev/null && { echo "=== HUNG $name"; kill -9 $p; }
	wait $p
	rc=$?
	echo "=== BEGIN $name"
	cat /tmp/out
	echo "=== STDERR $name"
	grep -v '^libbpf' /tmp/err
	echo "=== END $name rc=$rc"
	echo "=== UPTIME $name $(cut -d" " -f1 /proc/uptime)"
done < /cases
poweroff -f
