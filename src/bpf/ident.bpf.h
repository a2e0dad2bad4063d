/* SPDX-License-Identifier: GPL-2.0 */
/* The process identity every record carries (struct ps_ident in abi.h). */
#ifndef PROCSNOOP_IDENT_BPF_H
#define PROCSNOOP_IDENT_BPF_H

#include "common.bpf.h"

#define PS_AUDIT_UNSET 0xffffffffu /* AUDIT_UID_UNSET, AUDIT_SID_UNSET */

/*
 * The namespaces: the process's pid as its own pid namespace sees it
 * (the leader's thread_pid->numbers[level], the innermost; that upid's ns
 * is task_active_pid_ns(), not nsproxy->pid_ns_for_children, which
 * setns/unshare change for children only) and the inode numbers
 * /proc/PID/ns/{pid,mnt} link to. The mount namespace is the running
 * thread's: a zombie leader has no nsproxy left when its last thread exits.
 */
static __always_inline void ps_ident_ns(struct ps_ident *id, struct task_struct *task,
					struct task_struct *leader)
{
	struct pid *pid = BPF_CORE_READ(leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	bpf_core_read(&up, sizeof(up), &pid->numbers[level]);
	id->nspid = up.nr;
	id->pidns = BPF_CORE_READ(up.ns, ns.inum);
	id->mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
}

/*
 * Fill @id from the current task, at the event. Every hook procsnoop uses
 * runs in the context of the task the record is about, so the uid/gid
 * and cgroup helpers describe it. The process is the group leader: its
 * start, its name and its parent (real_parent, the one wait() reports
 * to) identify the process whichever thread the event came from.
 */
static __always_inline void ps_ident_fill(struct ps_ident *id, struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct task_struct *parent = BPF_CORE_READ(leader, real_parent);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();

	id->ktime_ns = ps_now();
	id->start_ns = BPF_CORE_READ(leader, start_boottime);
	id->pstart_ns = BPF_CORE_READ(parent, group_leader, start_boottime);
	id->cgroup_id = bpf_get_current_cgroup_id();
	id->pid = pid_tgid >> 32;
	id->tid = (__u32)pid_tgid;
	id->ppid = BPF_CORE_READ(parent, tgid);
	id->uid = (__u32)ug;
	id->gid = ug >> 32;
	id->euid = BPF_CORE_READ(task, cred, euid.val);
	BPF_CORE_READ_STR_INTO(&id->comm, leader, comm);
	bpf_get_current_comm(id->tcomm, sizeof(id->tcomm));
	BPF_CORE_READ_STR_INTO(&id->pcomm, parent, group_leader, comm);
	ps_ident_ns(id, task, leader);
	/* the thread's: what audit records of this task carry */
	id->auid = PS_AUDIT_UNSET;
	id->sessionid = PS_AUDIT_UNSET;
	if (bpf_core_field_exists(task->loginuid)) {
		id->auid = BPF_CORE_READ(task, loginuid.val);
		id->sessionid = BPF_CORE_READ(task, sessionid);
	}
	id->pad = 0;
}

/*
 * ps_ident_fill() for programs that have the current task as a BTF
 * pointer (tp_btf, raw_tp on 5.11+): the same members, read with plain
 * (fault-safe) loads instead of a helper call per field, a few hundred
 * ns less per record. For tools that send a record per process (top).
 */
static __always_inline void ps_ident_fill_btf(struct ps_ident *id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *leader = task->group_leader;
	struct task_struct *parent = leader->real_parent;
	struct pid *pid = leader->thread_pid;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();
	struct upid up = {};

	id->ktime_ns = ps_now();
	id->start_ns = leader->start_boottime;
	id->pstart_ns = parent->group_leader->start_boottime;
	id->cgroup_id = bpf_get_current_cgroup_id();
	id->pid = pid_tgid >> 32;
	id->tid = (__u32)pid_tgid;
	id->ppid = parent->tgid;
	id->uid = (__u32)ug;
	id->gid = ug >> 32;
	id->euid = task->cred->euid.val;
	bpf_probe_read_kernel(id->comm, sizeof(id->comm), leader->comm);
	bpf_get_current_comm(id->tcomm, sizeof(id->tcomm));
	bpf_probe_read_kernel(id->pcomm, sizeof(id->pcomm), parent->group_leader->comm);
	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[pid->level]);
	id->nspid = up.nr;
	id->pidns = BPF_CORE_READ(up.ns, ns.inum);
	id->mntns = task->nsproxy->mnt_ns->ns.inum;
	id->auid = PS_AUDIT_UNSET;
	id->sessionid = PS_AUDIT_UNSET;
	if (bpf_core_field_exists(task->loginuid)) {
		id->auid = task->loginuid.val;
		id->sessionid = task->sessionid;
	}
	id->pad = 0;
}

#endif /* PROCSNOOP_IDENT_BPF_H */
