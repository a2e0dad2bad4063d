# SPDX-License-Identifier: GPL-2.0
# What the VM runs while each tracer is attached; the host test asserts on it.
/bin/echo qemu-marker "a b" 'tab	x'
/nonexistent/qemu-missing arg1
sh -c 'exit 7'
