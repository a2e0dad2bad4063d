#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a Debian kernel under QEMU (TCG, no KVM) with a busybox initramfs holding
# only the static procsnoop binary, run the cases in CASES_FILE, print the console.
#   tests/qemu/boot.sh BINARY CASES_FILE WORKDIR KERNEL
# KERNEL is 6.1 (linux-image-6.1.0-*-amd64) or 6.12 (linux-image-6.12.*-amd64-unsigned),
# the newest of the series apt knows. The kernel image is kept in PS_QEMU_CACHE (default
# WORKDIR/../kernels): once one is there, no apt is needed. Exit status 3: the package
# cannot be found or downloaded (the reason on stderr), which the test reports as a skip.
set -euo pipefail
bin=$1 cases=$2 work=$3 kernel=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
work=$(cd "$work" && pwd)
cache=${PS_QEMU_CACHE:-$work/../kernels}
mkdir -p "$cache"
case $kernel in
6.1) re='^linux-image-6\.1\.0-[0-9]+-amd64$' glob='vmlinuz-6.1.0-*-amd64' ;;
6.12) re='^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-unsigned$' glob='vmlinuz-6.12.*-amd64' ;;
*) echo "unknown kernel $kernel (6.1 or 6.12)" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
vmlinuz=$(cd "$cache" && ls $glob 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$vmlinuz" ]; then
	pkg=$(apt-cache search --names-only "$re" | awk '{print $1}' | sort -V | tail -1)
	[ -n "$pkg" ] || { echo "no package matching $re known to apt" >&2; exit 3; }
	tmp=$(mktemp -d "$cache/dl.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1) ||
		{ echo "cannot download $pkg (apt-get download failed)" >&2; exit 3; }
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
	vmlinuz=$(basename "$tmp"/boot/vmlinuz-*)
	# a rename: a reader never sees half a kernel
	mv "$tmp/boot/$vmlinuz" "$cache/$vmlinuz"
	echo "downloaded $pkg into $cache/$vmlinuz" >&2
fi
rm -rf root && mkdir -p root/bin root/proc root/sys root/dev root/tmp
cp /bin/busybox root/bin/busybox
for a in sh mount ls echo cat sleep rm kill grep poweroff; do ln -s busybox "root/bin/$a"; done
cp "$bin" root/bin/procsnoop
# the 32-bit static fixture (tests/helpers32/exec32.c) for the compat case
exec32=$(dirname "$bin")/tests/exec32
[ -x "$exec32" ] && cp "$exec32" root/bin/exec32
cp "$here/init.sh" root/init
cp "$here/workload.sh" root/workload
cp "$cases" root/cases
chmod +x root/init
(cd root && find . | cpio -o -H newc 2>/dev/null | gzip -1) > initrd.gz
timeout 600 qemu-system-x86_64 -m 1024 -smp 2 -kernel "$cache/$vmlinuz" -initrd initrd.gz \
	-append "console=ttyS0 quiet panic=-1" -nographic -no-reboot -display none </dev/null
