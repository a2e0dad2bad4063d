/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ancestry of an exec'ing process, walked in the kernel at the exec:
 * a double-forked daemon shows ppid 1 by the time anyone looks in /proc,
 * so where it came from must be read while the chain still exists.
 *
 * From the parent (real_parent of the group leader, the one wait()
 * reports to) up to pid 1, or to kthreadd for a kernel-spawned helper:
 * the idle task (pid 0) above them ends the walk.
 */
#ifndef PROCSNOOP_ANCESTORS_BPF_H
#define PROCSNOOP_ANCESTORS_BPF_H

#include "common.bpf.h"

/*
 * Append the ancestors of the current process at the stream writer's
 * position (right after the filename, in the first record); sets
 * e->nanc, and PS_EXEC_ANC_TRUNC in e->eflags when the chain is longer.
 * Every hook that reports an exec runs in the exec'ing task (after
 * de_thread() on success: the leader).
 *
 * Why a bounded loop on BTF pointers and not bpf_loop over probe reads:
 * loads through task pointers from bpf_get_current_task_btf() are plain
 * (fault-safe) memory loads, a helper call each with BPF_CORE_READ; five
 * per level made a 15-level chain cost ~1.4 us. Here a level is four loads
 * and one 16-byte copy. The verifier walks the loop once per level, a few
 * thousand instructions in all.
 */
static __always_inline void ps_ancestors(struct ps_slot *slot, struct ps_exec *e)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 pos = slot->sw.pos, n = 0;
	bool done = false;

	t = t->group_leader->real_parent;
#pragma clang loop unroll(disable)
	for (int i = 0; i < PS_ANC_MAX; i++) {
		struct task_struct *leader = t->group_leader;
		struct ps_ancestor *a;
		__u32 pid = leader->tgid;

		if (!pid) {
			done = true;
			break;
		}
		/* always true (filename and ancestors fit, abi.h): tells the verifier,
		 * on this very register (else clang adds to a pointer it hoisted) */
		barrier_var(pos);
		if (pos > PS_REC_MAX)
			break;
		a = (void *)(slot->buf + pos);
		a->pid = pid;
		a->pad = 0;
		a->start_ns = leader->start_boottime;
		bpf_probe_read_kernel(a->comm, sizeof(a->comm), leader->comm);
		pos += sizeof(*a);
		n++;
		if (pid == 1) {
			done = true;
			break;
		}
		t = leader->real_parent;
	}
	slot->sw.pos = pos;
	e->nanc = n;
	e->pad = 0;
	if (!done)
		e->eflags |= PS_EXEC_ANC_TRUNC;
}

#endif /* PROCSNOOP_ANCESTORS_BPF_H */
