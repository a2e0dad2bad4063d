// SPDX-License-Identifier: GPL-2.0
/*
 * procsnoop trace, kernel side: what exec.bpf.c and exit.bpf.c (loaded
 * beside this object, sharing its scope maps) do not see, the start of
 * each process life, at sched_process_fork, and the scope of
 * `trace -- CMD` / `--descendants-of`, inherited at every fork.
 *
 * sched_process_fork runs in the caller, after copy_process() succeeded
 * and before the child first runs, so the child's start time, pid,
 * real_parent (CLONE_PARENT: the caller's parent) and namespaces are
 * final, and no event of the child can precede this one.
 */
#include "ident.bpf.h"
#include "scope.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * @child: the new task; @btf: a trusted BTF pointer (tp_btf), which task
 * storage needs: only that hook carries the scope.
 */
static __always_inline int on_fork(void *ctx, struct task_struct *child, bool btf)
{
	struct task_struct *cur = (void *)bpf_get_current_task();
	struct task_struct *parent, *pleader;
	struct ps_fork e = {};
	bool thread;

	if (!ps_in_scope())
		return 0;
	thread = BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid);
	if (btf && scope_on) {
		/* threads too: one of them may exec and become the leader */
		if (!bpf_task_storage_get(&scope, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE))
			ps_stat_inc(PS_STAT_SCOPE_FULL);
		else if (!thread)
			ps_scope_live_add(1);
	}
	if (thread || !ps_cgroup_match())
		return 0;
	ps_ident_fill(&e.id, cur);
	parent = BPF_CORE_READ(child, real_parent);
	pleader = BPF_CORE_READ(parent, group_leader);
	e.caller_pid = e.id.pid;
	e.id.pid = BPF_CORE_READ(child, tgid);
	e.id.tid = e.id.pid;
	e.id.start_ns = BPF_CORE_READ(child, start_boottime);
	e.id.ppid = BPF_CORE_READ(pleader, tgid);
	e.id.pstart_ns = BPF_CORE_READ(pleader, start_boottime);
	BPF_CORE_READ_STR_INTO(&e.id.comm, child, comm);
	BPF_CORE_READ_STR_INTO(&e.id.tcomm, child, comm);
	BPF_CORE_READ_STR_INTO(&e.id.pcomm, pleader, comm);
	ps_ident_ns(&e.id, child, child);
	if (e.id.ppid != e.caller_pid)
		e.fflags |= PS_FORK_CLONE_PARENT;
	e.hdr.type = PS_REC_FORK;
	e.hdr.flags = PS_F_FIRST | PS_F_LAST;
	e.hdr.size = sizeof(e);
	e.hdr.id = ps_record_id();
	ps_emit_event(ctx, &e, sizeof(e));
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(ctx, child, true);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(ctx, child, false);
}
