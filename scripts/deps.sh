#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what building and testing procsnoop needs, from Debian 12 packages by name.
# Idempotent: installs only what is missing, so it is cheap to run before every build.
# As root it calls apt-get directly (a minimal Debian has no sudo); otherwise sudo.
set -eu
# llvm: llvm-strip for the BPF objects. The static link needs no libzstd: Debian
# 12's libelf.a is built without it (-lbpf -lelf -lz is what pkg-config says).
need_build=(make gcc libc6-dev clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev)
# debootstrap: tests/fresh (make test-fresh, tests/e2e/test_fresh.py);
# libreadline-dev: test_probe builds a readline shell;
# prometheus: test_metrics scrapes the tools with a real one (and runs promtool);
# libclang-rt-14-dev: libFuzzer (make fuzz, tests/e2e/test_fuzz.py), a Recommends of
# clang that --no-install-recommends skips; test_pkg: debhelper, dpkg-dev and
# build-essential (make deb: dpkg-checkbuilddeps wants it), lintian, systemd (systemd-analyze verify), man-db and bash-completion (what
# the package's man pages and completion are for), util-linux (setpriv); rsyslog: the
# shipper of docs/shippers/ (test_shipper reads -o files into ECS documents with it)
need_test=(python3 clang-format systemtap-sdt-dev tmux util-linux qemu-system-x86 busybox-static
	cpio debootstrap libreadline-dev prometheus libclang-rt-14-dev debhelper dpkg-dev build-essential lintian
	systemd man-db bash-completion rsyslog)
# the 32-bit test helpers (tests/helpers32, built on x86_64 only): gcc -m32 -static
[ "$(uname -m)" = x86_64 ] && need_test+=(gcc-multilib)
# make ARCH=arm64 (a cross build with clang: Debian 12's gcc-aarch64-linux-gnu conflicts with
# gcc-multilib) and make test-arm64: the arm64 libraries through multiarch, which needs
# `dpkg --add-architecture arm64` (done here); the arm64 kernel and busybox are fetched by
# tests/qemu/boot.sh
need_arm64=(binutils-aarch64-linux-gnu libgcc-12-dev-arm64-cross libc6-dev-arm64-cross
	libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 systemtap-sdt-dev:arm64 qemu-system-arm)
want=("${need_build[@]}")
[ "${1:-}" = "--test" ] && want+=("${need_test[@]}")
[ "${1:-}" = "--arm64" ] && want+=("${need_test[@]}" "${need_arm64[@]}")
[ "${1:-}" = "--bench" ] && want+=("${need_test[@]}" libbpf-tools bpftrace)
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
	echo "deps: missing ${missing[*]}, and no apt-get to install them (Debian 12 expected)" >&2
	exit 1
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "deps: missing ${missing[*]}: run as root, or install sudo" >&2
		exit 1
	fi
	SUDO=sudo
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if [ "${1:-}" = "--arm64" ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "deps: dpkg --add-architecture arm64" >&2
	$SUDO dpkg --add-architecture arm64
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
