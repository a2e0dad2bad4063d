#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The .deb on a fresh minimal Debian 12, as an operator installs it:
#
#   tests/fresh/deb.sh BUILD_DIR DEB
#
# A copy of tests/fresh/run.sh's cached minbase (made by it if missing: PS_FRESH_BASE_ONLY),
# then in a chroot: apt-get install ./DEB next to libbpf-tools (its /usr/sbin/execsnoop must
# stay its own) and man-db; what the package left is printed as "KEY: VALUE" lines for
# tests/e2e/test_pkg.py to check; then apt-get remove, then purge, and what is left after each.
# Exit status: 0 done (the test judges the lines), 1 a step failed, 77 no mirror (a skip).
set -euo pipefail

if [ -z "${PS_FRESH_NS:-}" ]; then
	PS_FRESH_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR DEB" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
deb=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
rc=0
PS_FRESH_BASE_ONLY=1 PS_FRESH_NS= "$here/run.sh" "$1" >&2 || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
cache=$(cd "${PS_FRESH_CACHE:-$1/fresh}" && pwd)
root=$cache/deb-root

say() { echo "deb: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
mounted_under() { awk -v r="$1" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo; }
cleanup() {
	[ -z "$(mounted_under "$root")" ] || umount -R "$root" 2>/dev/null || umount -R -l "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

cleanup
rm -rf "$root"
cp -a "$cache/base" "$root"
mount --bind "$root" "$root"
mount --rbind /proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --bind "$cache/archives" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
in_root() {
	env -i HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin chroot "$root" /bin/sh -c "$1"
}
# What is left of the package's own files (directories aside) in the chroot.
left() {
	local p
	dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|' | while read -r p; do
		[ -d "$root$p" ] && [ ! -L "$root$p" ] && continue
		[ -e "$root$p" ] || [ -L "$root$p" ] && printf '%s ' "$p"
	done
	echo
}

in_root 'apt-get update -qq' >&2 || fail "apt-get update"
in_root "apt-get install -y -qq --no-install-recommends /tmp/$(basename "$deb") man-db libbpf-tools \
	>/tmp/apt.log 2>&1" || { cat "$root/tmp/apt.log" >&2; fail "apt install ./$(basename "$deb")"; }
echo "status: $(in_root 'dpkg-query -W -f "\${Status}" procsnoop')"
echo "version: $(in_root 'procsnoop --version')"
echo "man: $(in_root 'man -w procsnoop')"
echo "man-exec: $(in_root 'man -w procsnoop-exec')"
echo "execsnoop-owner: $(in_root 'dpkg -S /usr/sbin/execsnoop')"
echo "execsnoop-path: $(in_root 'command -v execsnoop')"
echo "link-usage: $(in_root '/usr/lib/procsnoop/bin/execsnoop --help | head -n1')"
echo "unit: $(in_root 'ls /lib/systemd/system/procsnoop.service')"
echo "enabled: $(in_root 'ls /etc/systemd/system/*.wants/ 2>/dev/null | grep -c procsnoop || true')"
echo "conffiles: $(in_root 'dpkg-query -W -f "\${Conffiles}" procsnoop' | awk 'NF { printf "%s ", $1 }')"
# bpfcc-tools pulls LLVM and python (~100 MB): compared by its file list, not installed.
in_root 'cd /tmp && apt-get download -qq bpfcc-tools >/dev/null 2>&1' || fail "apt-get download bpfcc-tools"
ours=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|' | grep -v '/$' | sort)
bpfcc=$(dpkg-deb --fsys-tarfile "$root"/tmp/bpfcc-tools_*.deb | tar -t | sed 's|^\./|/|' | grep -v '/$' | sort)
echo "bpfcc-files: $(printf '%s\n' "$bpfcc" | wc -l)"
echo "bpfcc-overlap: $(comm -12 <(printf '%s\n' "$ours") <(printf '%s\n' "$bpfcc") | tr '\n' ' ')"
libbpf=$(in_root 'dpkg -L libbpf-tools' | sort)
echo "libbpf-tools-overlap: $(comm -12 <(printf '%s\n' "$ours") <(printf '%s\n' "$libbpf") | tr '\n' ' ')"

# the service's log, as the unit would have left it
mkdir -p "$root/var/log/procsnoop" && echo '{}' >"$root/var/log/procsnoop/trace.json"
in_root 'apt-get remove -y -qq procsnoop >/tmp/apt.log 2>&1' || { cat "$root/tmp/apt.log" >&2; fail "apt remove"; }
echo "removed-status: $(in_root 'dpkg-query -W -f "\${Status}" procsnoop')"
echo "removed-left: $(left)"
echo "removed-execsnoop: $(in_root 'ls /usr/sbin/execsnoop')"
in_root 'apt-get purge -y -qq procsnoop >/tmp/apt.log 2>&1' || { cat "$root/tmp/apt.log" >&2; fail "apt purge"; }
echo "purged-status: $(in_root 'dpkg-query -W -f "\${Status}" procsnoop 2>&1 || true')"
echo "purged-left: $(left)"
echo "purged-log: $([ -e "$root/var/log/procsnoop" ] && echo present || echo absent)"
cleanup
rm -rf "$root"
