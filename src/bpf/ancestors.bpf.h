/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ancestry of an exec'ing process, walked in the kernel at the exec:
 * a double-forked daemon shows ppid 1 by the time anyone looks in /proc,
 * so where it came from must be read while the chain still exists.
 *
 * From the parent (real_parent of the group leader, the one wait()
 * reports to) up to pid 1, or to kthreadd for a kernel-spawned helper:
 * the idle task (pid 0) above them ends the walk. Each level is one
 * bpf_loop iteration, so the verifier checks the body once, not
 * PS_ANC_MAX times.
 */
#ifndef PROCSNOOP_ANCESTORS_BPF_H
#define PROCSNOOP_ANCESTORS_BPF_H

#include "common.bpf.h"

/* Walk state, in the slot's state[] area (see struct ps_slot). */
struct anc_state {
	__u64 task; /* the next ancestor: any thread of it */
	__u32 n;    /* entries written */
	__u32 done; /* reached the top (not out of levels) */
};

struct anc_ctx {
	struct ps_slot *slot;
};

static long anc_cb(__u64 i, void *data)
{
	struct anc_ctx *ac = data;
	struct ps_slot *slot = ac->slot;
	struct anc_state *st = (void *)slot->state;
	struct task_struct *t = (void *)st->task;
	struct task_struct *leader = BPF_CORE_READ(t, group_leader);
	struct ps_ancestor *a;
	__u32 pos = slot->sw.pos;
	__u32 pid = BPF_CORE_READ(leader, tgid);

	if (!pid) {
		st->done = 1;
		return 1;
	}
	/* always true (filename and ancestors fit, abi.h): tells the verifier */
	if (pos > PS_REC_MAX)
		return 1;
	a = (void *)(slot->buf + pos);
	a->pid = pid;
	a->pad = 0;
	a->start_ns = BPF_CORE_READ(leader, start_boottime);
	BPF_CORE_READ_STR_INTO(&a->comm, leader, comm);
	slot->sw.pos = pos + sizeof(*a);
	st->n++;
	if (pid == 1) {
		st->done = 1;
		return 1;
	}
	st->task = (__u64)BPF_CORE_READ(leader, real_parent);
	return 0;
}

/*
 * Append the ancestors of @leader's process at the stream writer's
 * position (right after the filename, in the first record); sets
 * e->nanc, and PS_EXEC_ANC_TRUNC in e->eflags when the chain is longer.
 */
static __always_inline void ps_ancestors(struct ps_slot *slot, struct ps_exec *e,
					 struct task_struct *leader)
{
	struct anc_state *st = (void *)slot->state;
	struct anc_ctx ac = { .slot = slot };

	st->task = (__u64)BPF_CORE_READ(leader, real_parent);
	st->n = 0;
	st->done = 0;
	bpf_loop(PS_ANC_MAX, anc_cb, &ac, 0);
	e->nanc = st->n;
	e->pad = 0;
	if (!st->done)
		e->eflags |= PS_EXEC_ANC_TRUNC;
}

#endif /* PROCSNOOP_ANCESTORS_BPF_H */
