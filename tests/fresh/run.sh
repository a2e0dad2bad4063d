#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The README's two commands on a minimal Debian 12, run as a new user runs them: debootstrap
# --variant=minbase bookworm, apt-get install git, git clone HEAD into /root/procsnoop (mode
# 0700 /root, as root clones by default), then as root inside the chroot:
#   ./make.sh run    until execsnoop's table header, then SIGINT: exit status 0
#   ./make.sh check  last line "N passed, 0 failed, N skipped", exit status 0
#
#   tests/fresh/run.sh BUILD_DIR
#
# Cache (reruns skip debootstrap and the downloads): BUILD_DIR/fresh/base is minbase + git,
# BUILD_DIR/fresh/archives apt's .debs; PS_FRESH_CACHE=DIR keeps both elsewhere. The QEMU
# kernels the suite boots (tests/qemu/boot.sh) come from the host's cache (PS_QEMU_CACHE, or
# BUILD_DIR/qemu/kernels), bound into the chroot: downloaded once for both suites. The mirror
# is the host apt's (PS_FRESH_MIRROR overrides). Exit status: 0 pass, 1 fail, 77 the Debian
# mirror is unreachable (a skip: the reason is the last stderr line). PS_FRESH_BASE_ONLY=1
# stops once the cache is made (tests/fresh/deb.sh).
# Inside the chroot PS_FRESH_INSIDE=1 is set, so the suite does not run this test again, and
# PS_FRESH_CHROOT=1, so test_pkg does not make a chroot in the chroot.
set -euo pipefail

# A private mount namespace: the chroot's mounts never reach the host, and they go away
# with the last process even if this script is SIGKILLed. The trap unmounts on every
# other exit path.
if [ -z "${PS_FRESH_NS:-}" ]; then
	PS_FRESH_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "fresh: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }
src=$(cd "$(dirname "$0")/../.." && pwd)
cache=${PS_FRESH_CACHE:-$1/fresh}
mkdir -p "$cache/archives/partial"
cache=$(cd "$cache" && pwd)
root=$cache/root
kernels=${PS_QEMU_CACHE:-$1/qemu/kernels}
mkdir -p "$kernels"
# PS_FUZZ_SECONDS: the fuzz targets build and run there too, briefly (CI time: the
# outer suite fuzzes for real). SAN=0: the whole suite on the static build there
# (the outer `make check` runs it on the sanitizer build).
inside_env=(env -i HOME=/root LANG=C.UTF-8 TERM=dumb PS_FRESH_INSIDE=1 PS_FRESH_CHROOT=1 SAN=0 PS_FUZZ_SECONDS=3
	PS_QEMU_CACHE=/var/cache/procsnoop-kernels
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
bg=

say() { echo "fresh: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# pids below $1, deepest first (only our own process tree: never matched by name)
descendants() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		descendants "$c"
		echo "$c"
	done
}

mounted_under() { awk -v r="$1" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo; }

cleanup() {
	local p
	if [ -n "$bg" ]; then
		for p in $(descendants "$bg") "$bg"; do kill -KILL "$p" 2>/dev/null || true; done
		wait "$bg" 2>/dev/null || true
	fi
	for r in "$root" "$cache/base.tmp"; do
		[ -z "$(mounted_under "$r")" ] && continue
		umount -R "$r" 2>/dev/null || umount -R -l "$r"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The host apt's Debian mirror: the first bookworm "deb" entry of sources.list(.d).
host_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk 'function flush() { if (deb && bw && uri != "") { print uri; found = 1; exit } }
		     /^[ \t]*$/ { flush(); deb = bw = 0; uri = ""; next }
		     /^[Tt]ypes:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
		     /^URIs:/ { uri = $2 }
		     /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") bw = 1 }
		     END { if (!found) flush() }' "$f"
	done
	{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++
		     if ($(i + 1) == "bookworm") print $i }'
}
mirror=${PS_FRESH_MIRROR:-$(host_mirror | head -n1 || true)}
[ -n "$mirror" ] || { say "no bookworm mirror in /etc/apt/sources.list*"; exit 77; }
command -v debootstrap >/dev/null ||
	{ echo "fresh: debootstrap not installed (scripts/deps.sh --test installs it)" >&2; exit 1; }
if ! python3 - "$mirror/dists/bookworm/Release" <<'EOF' 2>"$cache/mirror.err"; then
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=30).read(1)
EOF
	say "cannot reach the Debian mirror $mirror: $(tail -n1 "$cache/mirror.err")"
	exit 77
fi

# mount the chroot's view of the machine, on a root that is a mount point itself
# (unshare --propagation, which tests use, refuses a root that is not)
bind_machine() {
	mount --bind "$1" "$1"
	mount --rbind /proc "$1/proc"
	mount --rbind /sys "$1/sys"
	mount --rbind /dev "$1/dev"
	mkdir -p "$1/var/cache/apt/archives"
	mount --bind "$cache/archives" "$1/var/cache/apt/archives"
	mkdir -p "$1/var/cache/procsnoop-kernels"
	mount --bind "$kernels" "$1/var/cache/procsnoop-kernels"
	cp /etc/resolv.conf "$1/etc/resolv.conf"
}

# 1. minimal Debian 12 + git, made once and kept
if [ ! -d "$cache/base" ]; then
	say "debootstrap --variant=minbase bookworm from $mirror (cold: nothing cached)"
	t=$(now)
	cleanup
	rm -rf "$cache/base.tmp"
	mkdir -p "$cache/debootstrap-debs"
	debootstrap --variant=minbase --cache-dir="$cache/debootstrap-debs" bookworm "$cache/base.tmp" \
		"$mirror" >"$cache/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$cache/debootstrap.log" >&2; fail "debootstrap (log: $cache/debootstrap.log)"; }
	say "debootstrap: $(since "$t") s"
	t=$(now)
	bind_machine "$cache/base.tmp"
	"${inside_env[@]}" DEBIAN_FRONTEND=noninteractive chroot "$cache/base.tmp" /bin/sh -c \
		'apt-get update -qq && apt-get install -y -qq --no-install-recommends git >/dev/null' ||
		fail "apt-get install git in the chroot"
	umount -R "$cache/base.tmp"
	rm -f "$cache/base.tmp/etc/resolv.conf"
	mv "$cache/base.tmp" "$cache/base"
	say "apt-get install git: $(since "$t") s"
fi

# PS_FRESH_BASE_ONLY=1: make the cache and stop (tests/fresh/deb.sh reuses it)
[ -z "${PS_FRESH_BASE_ONLY:-}" ] || exit 0

# 2. a fresh copy of it, this repository's HEAD cloned into /root
[ -z "$(mounted_under "$root")" ] || fail "$root still has mounts: $(mounted_under "$root" | head -3)"
t=$(now)
rm -rf "$root"
cp -a "$cache/base" "$root"
# The chroot shares the host's network: a daemon a package starts from its postinst
# (prometheus, which deps.sh --test installs for test_metrics) would listen on the
# host and outlive the run. Deny every start, as Debian's build chroots do.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
say "fresh root from the cache: $(since "$t") s"
head=$(git -C "$src" rev-parse HEAD)
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
	say "note: uncommitted changes are not tested, only HEAD $head"
git -C "$src" bundle create -q "$root/tmp/procsnoop.bundle" HEAD
bind_machine "$root"
"${inside_env[@]}" chroot "$root" /bin/sh -c "git -c advice.detachedHead=false clone -q \
	/tmp/procsnoop.bundle /root/procsnoop && cd /root/procsnoop && git checkout -q $head" ||
	fail "git clone in the chroot"
say "cloned $head into /root/procsnoop (/root mode $(stat -c %a "$root/root"))"

# 3a. not root, no sudo (a minimal Debian has none), make missing: one clear line, exit 1
"${inside_env[@]}" chroot "$root" /bin/sh -c "git -c advice.detachedHead=false clone -q \
	/tmp/procsnoop.bundle /tmp/nobody && chmod -R a+rX /tmp/nobody" || fail "second clone"
rm -f "$root/tmp/procsnoop.bundle"
rc=0
"${inside_env[@]}" chroot "$root" setpriv --reuid=65534 --regid=65534 --clear-groups \
	/bin/sh -c 'cd /tmp/nobody && exec ./make.sh run' >"$cache/nobody.log" 2>&1 || rc=$?
if [ "$rc" -ne 1 ] || [ "$(wc -l <"$cache/nobody.log")" -ne 1 ] ||
	! grep -q '^deps: missing make .*: run as root, or install sudo$' "$cache/nobody.log"; then
	cat "$cache/nobody.log" >&2
	fail "./make.sh run as uid 65534 without sudo: exit status $rc, want 1 and one clear line"
fi
rm -rf "$root/tmp/nobody"
say "./make.sh run as uid 65534, no sudo: exit 1, $(cat "$cache/nobody.log")"

# 3b. ./make.sh run: deps, build, execsnoop; SIGINT once its table header is out
t=$(now)
rm -f "$cache/run.fifo" && mkfifo "$cache/run.fifo"
"${inside_env[@]}" chroot "$root" /bin/sh -c 'cd /root/procsnoop && exec ./make.sh run' \
	>"$cache/run.fifo" 2>&1 &
bg=$!
exec 3<"$cache/run.fifo"
: >"$cache/run.log"
header=
while IFS= read -r -t 1800 -u 3 line; do
	printf '%s\n' "$line" >>"$cache/run.log"
	case $line in PCOMM*PID*PPID*RET*ARGS*) header=$line; break ;; esac
done
if [ -z "$header" ]; then
	tail -n 30 "$cache/run.log" >&2
	fail "./make.sh run: no execsnoop table header (log: $cache/run.log)"
fi
say "./make.sh run (deps, build, start): $(since "$t") s to the header"
tool=()
for p in $(descendants "$bg"); do
	[ "$(cat /proc/"$p"/comm 2>/dev/null)" = procsnoop ] && tool+=("$p")
done
[ ${#tool[@]} -eq 1 ] || fail "expected one procsnoop under ./make.sh run, found: ${tool[*]}"
kill -INT "${tool[0]}"
cat <&3 >>"$cache/run.log"
exec 3<&-
rc=0
wait "$bg" || rc=$?
bg=
[ "$rc" -eq 0 ] || { tail -n 20 "$cache/run.log" >&2; fail "./make.sh run: exit status $rc after SIGINT"; }
say "./make.sh run: execsnoop printed its header and exited 0 on SIGINT"

# 4. ./make.sh check: every test, the last line says none failed
t=$(now)
rc=0
"${inside_env[@]}" chroot "$root" /bin/sh -c 'cd /root/procsnoop && exec ./make.sh check' \
	>"$cache/check.log" 2>&1 || rc=$?
last=$(tail -n1 "$cache/check.log")
say "./make.sh check (deps, build, suite): $(since "$t") s; suite run $(tail -n2 "$cache/check.log" | head -n1)"
if [ "$rc" -ne 0 ] || ! [[ $last =~ ^[0-9]+\ passed,\ 0\ failed,\ [0-9]+\ skipped$ ]]; then
	grep -A3 '^FAIL' "$cache/check.log" >&2 || tail -n 30 "$cache/check.log" >&2
	fail "./make.sh check: exit status $rc, last line '$last' (log: $cache/check.log)"
fi
say "ok: $last"
