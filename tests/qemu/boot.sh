#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a Debian kernel under QEMU (TCG, no KVM) with a busybox initramfs holding
# only the static procsnoop binary, run the cases in CASES_FILE, print the console.
#   tests/qemu/boot.sh BINARY CASES_FILE WORKDIR
set -euo pipefail
bin=$1 cases=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"
if ! ls vmlinuz-* >/dev/null 2>&1; then
	pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | awk '{print $1}' |
		sort -V | tail -1)
	[ -n "$pkg" ] || { echo "no linux-image-6.1.0-*-amd64 package found" >&2; exit 3; }
	rm -rf deb && mkdir deb
	(cd deb && apt-get download "$pkg" >/dev/null 2>&1) ||
		{ echo "cannot download $pkg (apt-get download failed)" >&2; exit 3; }
	dpkg-deb -x deb/*.deb deb/x
	cp deb/x/boot/vmlinuz-* .
	rm -rf deb
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
timeout 600 qemu-system-x86_64 -m 1024 -smp 2 -kernel vmlinuz-* -initrd initrd.gz \
	-append "console=ttyS0 quiet panic=-1" -nographic -no-reboot -display none </dev/null
