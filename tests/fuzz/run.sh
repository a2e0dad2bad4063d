#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run every fuzz target for SECONDS each, from its committed seed corpus
# (tests/fuzz/corpus/TARGET) plus a working corpus in the build dir.
# One line per target: its executions and whether it found anything.
# Exit 1 if any target crashed, leaked or tripped a sanitizer; its input
# is kept in DIR/crashes/TARGET/ (add it to the corpus once fixed).
#   tests/fuzz/run.sh DIR SECONDS [TARGET...]
set -u
dir=$1
secs=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
targets=${*:-$(cd "$dir" && ls fuzz_* | grep -v '\.' )}
fail=0
for t in $targets; do
	name=${t#fuzz_}
	work=$dir/corpus/$name
	crashes=$dir/crashes/$name
	log=$dir/$name.log
	mkdir -p "$work" "$crashes"
	seeds=$src/corpus/$name
	[ -d "$seeds" ] || seeds=
	# -rss_limit_mb: a target that balloons is a finding too (LSan covers leaks)
	"$dir/$t" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=1024 \
		-timeout=10 -artifact_prefix="$crashes/" "$work" $seeds >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	found=$(ls "$crashes" | wc -l)
	if [ $rc -ne 0 ] || [ "$found" -ne 0 ]; then
		echo "fuzz $name: ${execs:-?} executions in ${secs}s: FAILED (exit $rc, $found inputs in $crashes)"
		grep -m1 -E 'ERROR: |runtime error:|SUMMARY:' "$log" | sed 's/^/    /'
		fail=1
	else
		echo "fuzz $name: ${execs:-?} executions in ${secs}s: ok"
	fi
done
exit $fail
