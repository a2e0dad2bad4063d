/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a process did during its life, kept in the kernel beside the
 * process itself (task storage of its group leader), so a tool that
 * reports a process once, at its end, needs no record per exec: its
 * failed exec attempts (successes the kernel counts itself: ps_life_execs()).
 *
 * Task storage, not a hash map keyed by pid: it is freed with the task
 * (nothing to clean up, no pid reuse to get wrong, no size to guess), and
 * a lookup is a pointer chase, not a hash.
 *
 * Which task: the group leader. A successful exec makes the caller the
 * leader (de_thread()); failed attempts of a non-leader thread are
 * counted on the leader too. (A
 * non-leader thread's successful exec after failures of the old leader
 * loses those failures: the old leader's storage goes with it.)
 */
#ifndef PROCSNOOP_LIFE_BPF_H
#define PROCSNOOP_LIFE_BPF_H

#include "common.bpf.h"

struct ps_life {
	__u32 fails;  /* failed attempts since the last success */
	__u32 misses; /* failed attempts that a later success ended (PATH search) */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ps_life);
} life SEC(".maps");

/*
 * The current task's exec attempt ended with @ret (0 or -errno); call
 * from the syscall's exit (after a success, the task runs the new image).
 * A success costs one lookup that finds nothing in the common case: the
 * storage exists only for processes that had a failed attempt.
 */
static __always_inline void ps_life_exec(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *leader = task->group_leader;
	struct ps_life *l;

	l = bpf_task_storage_get(&life, leader, 0, ret ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!l) {
		if (ret)
			ps_stat_inc(PS_STAT_LIFE_NOMEM);
		return;
	}
	if (ret) {
		l->fails++;
		return;
	}
	l->misses += l->fails;
	l->fails = 0;
}

/*
 * Successful execs of @task's process in its life: the kernel counts
 * them already (self_exec_id, +1 per exec, inherited at fork, where the
 * child's parent_exec_id is set to the same value), so success needs no
 * storage at all.
 */
static __always_inline __u32 ps_life_execs(struct task_struct *task)
{
	struct task_struct *leader = task->group_leader;

	return (__u32)(leader->self_exec_id - leader->parent_exec_id);
}

/* The failed attempts of @task's process, or NULL (none while we watched). */
static __always_inline struct ps_life *ps_life_get(struct task_struct *task)
{
	return bpf_task_storage_get(&life, task->group_leader, 0, 0);
}

#endif /* PROCSNOOP_LIFE_BPF_H */
