# SPDX-License-Identifier: GPL-2.0
# What the VM runs while each tracer is attached; the host test asserts on it.
/bin/echo qemu-marker "a b" 'tab	x'
/nonexistent/qemu-missing arg1
# a failed and a successful 32-bit exec (i386 syscalls)
[ -x /bin/exec32 ] && /bin/exec32 exec /nonexistent/qemu-compat qemu32 c1
[ -x /bin/exec32 ] && /bin/exec32 execveat /bin no-qemu-compat-at qemu32at c2
[ -x /bin/exec32 ] && /bin/exec32 exec /bin/echo echo qemu-compat-ok
# a process in a Docker-style cgroup: cgroup, container_id on 6.1 (test_qemu_61_cgroup)
cg=/sys/fs/cgroup/qemu.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope
mkdir -p $cg
sh -c "echo \$\$ > $cg/cgroup.procs && exec /bin/echo qemu-cgroup"
# a #! script: its exe is the script's own file where fexit on load_script is
# allowed (6.1 allows it; this machine's 6.18 refuses: exe_from_name there)
printf '#!/bin/sh\nexit 0\n' > /tmp/qemu-script.sh
chmod +x /tmp/qemu-script.sh
/tmp/qemu-script.sh qemu-script-arg
# uprobe, uretprobe and USDT hits for the probe case: 3 rounds, after its release line
[ -x /bin/usdt_demo ] && echo go | /bin/usdt_demo 3 qemu-probe
sh -c 'exit 7'
