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

/* The record's header, and the caller-versus-parent flag. */
static __always_inline int fork_send(void *ctx, struct ps_fork *e)
{
	if (e->id.ppid != e->caller_pid)
		e->fflags |= PS_FORK_CLONE_PARENT;
	e->hdr.type = PS_REC_FORK;
	e->hdr.flags = PS_F_FIRST | PS_F_LAST;
	e->hdr.size = sizeof(*e);
	e->hdr.id = ps_record_id();
	ps_emit_event(ctx, e, sizeof(*e));
	return 0;
}

/*
 * tp_btf: @child is a trusted BTF pointer, which task storage needs (so only
 * this hook carries the scope), and the fields below are plain loads, not a
 * helper call each: this runs at every fork of the machine, a third of a
 * process life's hooks, and costs about what one exit record does.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct task_struct *pl;
	struct ps_fork e = {};
	bool thread = child->pid != child->tgid;
	__u64 ug;

	if (!ps_in_scope())
		return 0;
	if (scope_on) {
		/* threads too: one of them may exec and become the leader */
		if (!bpf_task_storage_get(&scope, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE))
			ps_stat_inc(PS_STAT_SCOPE_FULL);
		else if (!thread)
			ps_scope_live_add(1);
	}
	if (thread || !ps_cgroup_match())
		return 0;
	pl = child->real_parent->group_leader;
	ug = bpf_get_current_uid_gid();
	e.id.ktime_ns = ps_now();
	e.id.start_ns = child->start_boottime;
	e.id.pstart_ns = pl->start_boottime;
	e.id.cgroup_id = bpf_get_current_cgroup_id();
	e.id.pid = e.id.tid = child->tgid;
	e.id.ppid = pl->tgid;
	e.id.uid = (__u32)ug;
	e.id.gid = ug >> 32;
	e.id.euid = cur->cred->euid.val;
	bpf_probe_read_kernel(e.id.comm, sizeof(e.id.comm), child->comm);
	__builtin_memcpy(e.id.tcomm, e.id.comm, sizeof(e.id.comm));
	bpf_probe_read_kernel(e.id.pcomm, sizeof(e.id.pcomm), pl->comm);
	ps_ident_ns(&e.id, child, child);
	e.id.auid = e.id.sessionid = PS_AUDIT_UNSET;
	if (bpf_core_field_exists(cur->loginuid)) {
		e.id.auid = cur->loginuid.val;
		e.id.sessionid = cur->sessionid;
	}
	e.caller_pid = cur->tgid;
	return fork_send(ctx, &e);
}

/* raw_tp, where tp_btf cannot load: no scope (user space refuses it then). */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *cur = (void *)bpf_get_current_task();
	struct task_struct *pl;
	struct ps_fork e = {};

	if (scope_on || BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid) ||
	    !ps_cgroup_match())
		return 0;
	ps_ident_fill(&e.id, cur);
	pl = BPF_CORE_READ(child, real_parent, group_leader);
	e.caller_pid = e.id.pid;
	e.id.pid = e.id.tid = BPF_CORE_READ(child, tgid);
	e.id.start_ns = BPF_CORE_READ(child, start_boottime);
	e.id.ppid = BPF_CORE_READ(pl, tgid);
	e.id.pstart_ns = BPF_CORE_READ(pl, start_boottime);
	BPF_CORE_READ_STR_INTO(&e.id.comm, child, comm);
	BPF_CORE_READ_STR_INTO(&e.id.tcomm, child, comm);
	BPF_CORE_READ_STR_INTO(&e.id.pcomm, pl, comm);
	ps_ident_ns(&e.id, child, child);
	return fork_send(ctx, &e);
}
