// SPDX-License-Identifier: GPL-2.0
/*
 * procsnoop top, kernel side: one compact record per process, at its
 * end, and nothing per exec but a counter. That is the whole cost
 * model: a storm of fork+exec pays two task-storage touches and one
 * record, not an argv stream per exec.
 *
 *   sys_exit_execve{,at}   ps_life_exec(): count the attempt (life.bpf.h)
 *   sched_process_exit     the last thread: build the record (status,
 *                          command line and exe while the mm is still
 *                          attached, ancestors, peak RSS, CPU so far) and
 *                          park it in the thread's task storage
 *   sched_switch           that thread's final switch-out (TASK_DEAD):
 *                          add the CPU of its last slice, send
 *
 * Why wait for the final switch-out: see exit.bpf.c (a thread's
 * sum_exec_runtime is only brought up to date at a tick or a switch).
 */
#include "ident.bpf.h"
#include "life.bpf.h"
#include "rusage.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */
#define PF_KTHREAD 0x00200000	     /* include/linux/sched.h */
#define TASK_DEAD 0x00000080	     /* include/linux/sched.h */

const volatile bool have_group_dead_arg = true;
const volatile bool defer_to_switch = false;

/* A record waiting for its thread's final switch-out. */
struct top_pend {
	struct ps_top_exit rec;
	__u64 rtime, utime, stime; /* the thread's own counters when rec was built */
	__u64 start;
};

/*
 * By tid. A preallocated hash, not task storage: creating task storage of
 * this size at every exit cost ~3 us (an allocation per process); this
 * is a free-list pop and push.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct top_pend);
} pend SEC(".maps");

static __always_inline int on_exec_exit(long ret)
{
	if (ps_cgroup_match())
		ps_life_exec(ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tp_exit_execve(struct ps_tp_sys_exit *ctx)
{
	return on_exec_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int tp_exit_execveat(struct ps_tp_sys_exit *ctx)
{
	return on_exec_exit(ctx->ret);
}

static __always_inline __u32 rec_size(const struct ps_top_exit *r)
{
	__u32 n = r->cmd_len;

	if (n > PS_TOP_CMD)
		n = PS_TOP_CMD;
	return __builtin_offsetof(struct ps_top_exit, cmd) + n;
}

/* What ran: the command line (argv as the process left it, like ps) and
 * the executable's name, read while the mm is still attached. */
static __always_inline void what_ran(struct ps_top_exit *r, struct task_struct *task)
{
	struct mm_struct *mm = task->mm;
	unsigned long a, b;
	struct dentry *d;
	__u32 n;

	r->cmd_len = 0;
	r->cmd_total = 0;
	r->exe[0] = 0;
	if (!mm) {
		r->tflags |= PS_TOP_CMD_FAULT;
		return;
	}
	a = mm->arg_start;
	b = mm->arg_end;
	n = b > a ? b - a : 0;
	r->cmd_total = n;
	if (n > PS_TOP_CMD) {
		n = PS_TOP_CMD;
		r->tflags |= PS_TOP_CMD_TRUNC;
	}
	barrier_var(n);
	if (n > PS_TOP_CMD)
		n = PS_TOP_CMD;
	if (n && bpf_probe_read_user(r->cmd, n, (void *)a) == 0)
		r->cmd_len = n;
	else if (n)
		r->tflags |= PS_TOP_CMD_FAULT;
	if (mm->exe_file) {
		d = mm->exe_file->f_path.dentry;
		if (bpf_probe_read_kernel_str(r->exe, sizeof(r->exe), d->d_name.name) ==
			    sizeof(r->exe) &&
		    d->d_name.len >= sizeof(r->exe))
			r->tflags |= PS_TOP_EXE_TRUNC;
	}
}

/* PS_TOP_WRAPPERS, each zero-padded to 8 bytes */
static const char wrappers[][8] = { PS_TOP_WRAPPERS };

/* Is the comm at @c (16 bytes, zero-padded: __set_task_comm pads) one of
 * PS_TOP_WRAPPERS? One 8-byte compare each. */
static __always_inline bool is_wrapper(const char *c)
{
	__u64 v = *(const __u64 *)c;

	if (c[8])
		return false;
	for (int i = 0; i < (int)(sizeof(wrappers) / sizeof(wrappers[0])); i++)
		if (v == *(const __u64 *)wrappers[i])
			return true;
	return false;
}

/* The ancestors' names, parent first, up to the first that is not a shell
 * or wrapper (what --by ancestor needs; the parent now: the process's own
 * end is still ahead, so it has not been reparented, unless its parent
 * died first). */
static __always_inline void ancestors(struct ps_top_exit *r, struct task_struct *task)
{
	struct task_struct *t = task->group_leader->real_parent;
	__u32 n = 0;

#pragma clang loop unroll(disable)
	for (int i = 0; i < PS_TOP_ANC; i++) {
		struct task_struct *leader = t->group_leader;
		__u32 pid = leader->tgid;

		if (!pid)
			break;
		bpf_probe_read_kernel(r->anc[i], PS_TASK_COMM_LEN, leader->comm);
		n++;
		if (pid == 1 || !is_wrapper(r->anc[i]))
			break;
		t = leader->real_parent;
	}
	r->nanc = n;
}

static __always_inline void on_group_exit(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct signal_struct *sig = task->signal;
	struct task_struct *leader = task->group_leader;
	struct top_pend *p;
	struct ps_top_exit *r;
	struct ps_slot *slot;
	struct ps_life *l;
	__u64 now, start;

	if (!ps_cgroup_match())
		return;
	slot = ps_slot_get();
	if (!slot)
		return; /* counted as lost */
	p = (void *)slot->buf;
	_Static_assert(sizeof(*p) <= sizeof(slot->buf), "top_pend fits a slot");
	r = &p->rec;
	ps_ident_fill_btf(&r->id);
	now = ps_now();
	start = leader->start_boottime;
	if (!ps_boottime)
		start = leader->start_time;
	r->hdr.type = PS_REC_TOP;
	r->hdr.flags = PS_F_FIRST | PS_F_LAST;
	r->hdr.id = ps_record_id();
	r->id.ktime_ns = now;
	r->duration_ns = now > start ? now - start : 0;
	r->xflags = PS_EXIT_GROUP_DEAD;
	r->tflags = 0;
	if (sig->flags & SIGNAL_GROUP_EXIT) {
		r->xflags |= PS_EXIT_GROUP_EXIT;
		r->status = sig->group_exit_code;
	} else {
		r->status = leader->exit_code;
	}
	if (task->flags & PF_KTHREAD)
		r->xflags |= PS_EXIT_KTHREAD;
	/* one thread (the usual short-lived process): its own time and the
	 * signal's, no walk */
	if (sig->nr_threads <= 1) {
		r->rtime_ns = sig->sum_sched_runtime + task->se.sum_exec_runtime;
		r->utime_ns = sig->utime + task->utime;
		r->stime_ns = sig->stime + task->stime;
	} else {
		struct ps_cputime t = {};

		ps_group_cputime(slot, sig, task, &t);
		r->rtime_ns = t.rtime_ns;
		r->utime_ns = t.utime_ns;
		r->stime_ns = t.stime_ns;
		r->xflags |= t.xflags;
	}
	r->maxrss_pages = ps_peak_rss(task, sig);
	r->execs = ps_life_execs(task);
	r->exec_fails = 0;
	r->path_misses = 0;
	l = ps_life_get(task);
	if (l) {
		r->exec_fails = l->fails;
		r->path_misses = l->misses;
	}
	what_ran(r, task);
	ancestors(r, task);
	r->pad = 0;
	r->pad0 = 0;
	r->hdr.size = rec_size(r);
	if (defer_to_switch) {
		__u32 tid = task->pid;

		p->rtime = task->se.sum_exec_runtime;
		p->utime = task->utime;
		p->stime = task->stime;
		p->start = start;
		/* a full map: send it as it is */
		if (!bpf_map_update_elem(&pend, &tid, p, BPF_NOEXIST))
			goto out;
	}
	ps_emit_event(ctx, r, rec_size(r));
out:
	ps_slot_put(slot);
}

SEC("tp_btf/sched_process_exit")
int btf_exit(u64 *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	int group_dead;

	/* args: (struct task_struct *p[, bool group_dead]); p is current */
	if (have_group_dead_arg)
		group_dead = ctx[1] & 1;
	else
		group_dead = task->signal->live.counter == 0;
	if (group_dead)
		on_group_exit(ctx);
	return 0;
}

/* Runs on every context switch: keep the common path to one test. */
SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct top_pend *p;
	__u64 v, now;
	__u32 tid;

	if (!(prev_state & TASK_DEAD))
		return 0;
	tid = prev->pid;
	p = bpf_map_lookup_elem(&pend, &tid);
	if (!p)
		return 0;
	/* CPU and lifetime at one instant (see exit.bpf.c) */
	now = ps_now();
	if (now > p->start && now > p->rec.id.ktime_ns) {
		p->rec.id.ktime_ns = now;
		p->rec.duration_ns = now - p->start;
	}
	/* the counters only grow */
	v = prev->se.sum_exec_runtime;
	if (v >= p->rtime)
		p->rec.rtime_ns += v - p->rtime;
	v = prev->utime;
	if (v >= p->utime)
		p->rec.utime_ns += v - p->utime;
	v = prev->stime;
	if (v >= p->stime)
		p->rec.stime_ns += v - p->stime;
	ps_emit_event(ctx, &p->rec, rec_size(&p->rec));
	bpf_map_delete_elem(&pend, &tid);
	return 0;
}
