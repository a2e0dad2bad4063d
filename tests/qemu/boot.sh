#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a Debian kernel under QEMU (TCG, no KVM) with a busybox initramfs holding
# only the static procsnoop binary, run the cases in CASES_FILE, print the console.
#   tests/qemu/boot.sh BINARY CASES_FILE WORKDIR KERNEL
# KERNEL: 6.1 (linux-image-6.1.0-*-amd64), 6.12 (linux-image-6.12.*-amd64-unsigned), or
# arm64-6.1, arm64-6.12 (the arm64 packages, under qemu-system-aarch64 -M virt -cpu max, with
# busybox from busybox-static:arm64; needs `dpkg --add-architecture arm64`: scripts/deps.sh
# --arm64). The newest of the series apt knows. Kernel images (and the arm64 busybox) are kept
# in PS_QEMU_CACHE (default WORKDIR/../kernels): once there, no apt is needed. Exit status 3:
# a package cannot be found or downloaded (the reason on stderr), which the test reports as a
# skip.
set -euo pipefail
bin=$1 cases=$2 work=$3 kernel=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"
work=$(pwd)
cache=${PS_QEMU_CACHE:-$work/../kernels}
mkdir -p "$cache"
arch=amd64
case $kernel in
6.1) re='^linux-image-6\.1\.0-[0-9]+-amd64$' glob='vmlinuz-6.1.0-*-amd64' ;;
6.12) re='^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-unsigned$' glob='vmlinuz-6.12.*-amd64' ;;
arm64-6.1) arch=arm64 re='^linux-image-6\.1\.0-[0-9]+-arm64$' glob='vmlinuz-6.1.0-*-arm64' ;;
arm64-6.12)
	arch=arm64 re='^linux-image-6\.12\.[0-9]+\+deb[0-9]+-arm64-unsigned$'
	glob='vmlinuz-6.12.*-arm64' ;;
*) echo "unknown kernel $kernel (6.1, 6.12, arm64-6.1, arm64-6.12)" >&2; exit 2 ;;
esac
if [ $arch = arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "apt has no arm64 architecture (scripts/deps.sh --arm64 adds it)" >&2
	exit 3
fi

# fetch PACKAGE and extract the files matching PATTERN into the cache, by rename
fetch() {
	local tmp
	tmp=$(mktemp -d "$cache/dl.XXXXXX")
	(cd "$tmp" && apt-get download "$1" >/dev/null 2>&1) ||
		{ rm -rf "$tmp"; echo "cannot download $1 (apt-get download failed)" >&2; exit 3; }
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" --wildcards "$2"
	# a rename: a reader never sees half a file
	mv "$tmp/${2#./}" "$cache/$3"
	rm -rf "$tmp"
	echo "downloaded $1 into $cache/$3" >&2
}
# shellcheck disable=SC2086
vmlinuz=$(cd "$cache" && ls $glob 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$vmlinuz" ]; then
	pkg=$(apt-cache search --names-only "$re" | awk '{print $1}' | sort -V | tail -1)
	[ -n "$pkg" ] || { echo "no package matching $re known to apt" >&2; exit 3; }
	ver=${pkg#linux-image-}
	fetch "$pkg:$arch" "./boot/vmlinuz-${ver%-unsigned}" "vmlinuz-${ver%-unsigned}"
	vmlinuz=vmlinuz-${ver%-unsigned}
fi
busybox=/bin/busybox
if [ $arch = arm64 ]; then
	busybox=$cache/busybox-arm64
	[ -x "$busybox" ] || fetch busybox-static:arm64 ./bin/busybox busybox-arm64
fi
rm -rf root && mkdir -p root/bin root/proc root/sys root/dev root/tmp
cp "$busybox" root/bin/busybox
for a in sh mount ls echo cat sleep rm kill grep poweroff; do ln -s busybox "root/bin/$a"; done
cp "$bin" root/bin/procsnoop
# the 32-bit static fixture (tests/helpers32/exec32.c) for the compat case
exec32=$(dirname "$bin")/tests/exec32
[ -x "$exec32" ] && cp "$exec32" root/bin/exec32
# the probe case's target (tests/helpers/usdt_demo.c, linked static)
demo=$(dirname "$bin")/tests/usdt_demo_static
[ -x "$demo" ] && cp "$demo" root/bin/usdt_demo
cp "$here/init.sh" root/init
cp "$here/workload.sh" root/workload
cp "$cases" root/cases
chmod +x root/init
(cd root && find . | cpio -o -H newc 2>/dev/null | gzip -1) > initrd.gz
if [ $arch = arm64 ]; then
	# pauth-impdef: QEMU's own pointer-authentication hash, much cheaper under TCG
	timeout 900 qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on -m 1024 -smp 2 \
		-kernel "$cache/$vmlinuz" -initrd initrd.gz \
		-append "console=ttyAMA0 quiet panic=-1" -nographic -no-reboot -display none </dev/null
else
	timeout 600 qemu-system-x86_64 -m 1024 -smp 2 -kernel "$cache/$vmlinuz" -initrd initrd.gz \
		-append "console=ttyS0 quiet panic=-1" -nographic -no-reboot -display none </dev/null
fi
