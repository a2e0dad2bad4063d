#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what building and testing procsnoop needs, from Debian 12 packages by name.
# Idempotent: installs only what is missing, so it is cheap to run before every build.
set -eu
need_build=(make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev pkg-config)
need_test=(python3 clang-format systemtap-sdt-dev tmux util-linux qemu-system-x86 busybox-static cpio)
want=("${need_build[@]}")
[ "${1:-}" = "--test" ] && want+=("${need_test[@]}")
[ "${1:-}" = "--bench" ] && want+=("${need_test[@]}" libbpf-tools bpftrace)
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
