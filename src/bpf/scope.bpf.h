/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scope of `procsnoop trace -- CMD` and `--descendants-of PID`: a flag
 * in task storage, set by user space on the first task(s) through a pidfd
 * and inherited at fork by every task those create, threads included (a
 * thread that execs becomes the leader and keeps it), so a daemon that
 * double-forks and is reparented to init stays in scope. Decided in the
 * kernel at the event, never from a pid user space saw earlier.
 *
 * The map is created with the exec object (trace loads it first) and
 * shared (bpf_map__reuse_fd) with the exit and fork (trace.bpf.c) objects; with scope_on false (every other tool) the
 * verifier drops the lookups and the map stays empty.
 */
#ifndef PROCSNOOP_SCOPE_BPF_H
#define PROCSNOOP_SCOPE_BPF_H

#include "common.bpf.h"

const volatile bool scope_on = false;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} scope SEC(".maps");

/*
 * Processes in scope that have not ended yet: +1 by user space for a task
 * it marks, +1 at each fork of a new process in scope, -1 once its exit
 * record is sent. Independent of lost records: `trace -- CMD` ends when
 * this reaches 0.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} scope_live SEC(".maps");

/* Is the current task in scope (or no scope)? */
static __always_inline bool ps_in_scope(void)
{
	if (!scope_on)
		return true;
	return bpf_task_storage_get(&scope, bpf_get_current_task_btf(), 0, 0) != 0;
}

static __always_inline void ps_scope_live_add(__s64 n)
{
	__u32 zero = 0;
	__s64 *v;

	if (!scope_on)
		return;
	v = bpf_map_lookup_elem(&scope_live, &zero);
	if (v)
		__sync_fetch_and_add(v, n);
}

#endif /* PROCSNOOP_SCOPE_BPF_H */
