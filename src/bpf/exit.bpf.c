// SPDX-License-Identifier: GPL-2.0
/*
 * exitsnoop kernel side: one hook, sched_process_exit, which every
 * exiting task passes in do_exit() (kernel/exit.c), in this order:
 *
 *   group_dead = atomic_dec_and_test(&tsk->signal->live);
 *   if (group_dead) ... setmax_mm_hiwater_rss(&tsk->signal->maxrss, tsk->mm);
 *   tsk->exit_code = code;
 *   trace_sched_process_exit(tsk, group_dead);   <- here (group_dead: 6.16+)
 *   exit_mm(); ... exit_notify() -> release_task() -> __exit_signal()
 *
 * So at the tracepoint of the last thread the whole group is done
 * except the bookkeeping: the status the parent will read is final
 * (wait_task_zombie(): signal->group_exit_code if SIGNAL_GROUP_EXIT,
 * else the group leader's exit_code), and signal->maxrss holds the peak.
 *
 * CPU: __exit_signal() folds a released thread's sum_exec_runtime into
 * signal->sum_sched_runtime and unlinks it from signal->thread_head in
 * one stats_lock write section. At our hook the current thread, a zombie
 * leader and threads of an exit_group still on their way out are not
 * folded yet, so we add up signal + every thread still listed, under the
 * seqcount like thread_group_cputime() does.
 *
 * But a thread's sum_exec_runtime is only brought up to date by
 * update_curr(), at a tick or a switch: a process that lives 1 ms often
 * shows 0 here, and threads of the group still on their way out are
 * behind too. So (when sched_switch can be hooked) the record waits in
 * "pending" for the exiting thread's last switch-out, in do_task_dead()
 * -> __schedule(), where pick_next_task() has accounted its final slice
 * and sibling threads have mostly been released, and the CPU time is
 * taken again there: the whole group for a process record (what
 * wait_task_zombie() will then sum for the parent), the thread's own
 * increase for a thread record.
 */
#include "ident.bpf.h"
#include "rusage.bpf.h"
#include "scope.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */
#define PF_KTHREAD 0x00200000	     /* include/linux/sched.h */
#define TASK_DEAD 0x00000080	     /* include/linux/sched.h */

const volatile __u32 targ_tgid = 0;
const volatile bool trace_threads = false;
const volatile bool failed_only = false;
const volatile __u64 min_duration_ns = 0;
const volatile __u64 max_duration_ns = 0; /* 0: none */
const volatile char targ_name[PS_TASK_COMM_LEN] = {};
const volatile __u32 targ_name_len = 0; /* 0: no --name */
/*
 * How to tell the last thread: the tracepoint's group_dead argument
 * (6.16+), or else signal->live == 0, which two threads exiting at once
 * can both see, hence the "reported" map below.
 */
const volatile bool have_group_dead_arg = true;
const volatile __u32 tp_group_dead_off = 0; /* classic tracepoint field, 0: absent */
/* Send from the final switch-out (btf_switch attached) rather than at exit. */
const volatile bool defer_to_switch = false;

/*
 * -p: how far the target's exit got, read by user space (mmapped .bss) to
 * end the run. hooked: its last thread passed the exit hook while we were
 * attached (so a target that is gone with hooked still 0 exited before we
 * attached). done: the kernel side is finished with it: its record was sent,
 * lost, or filtered out, and nothing is left waiting in "pending".
 */
volatile __u32 targ_hooked = 0;
volatile __u32 targ_done = 0;

/* Fallback only: processes already reported, by (tgid, leader start). */
struct dead_key {
	__u32 tgid;
	__u32 pad;
	__u64 start;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct dead_key);
	__type(value, __u8);
} reported SEC(".maps");

/* A record waiting for its thread's final switch-out, by tid. */
struct pending {
	struct ps_exit rec;
	__u64 rtime, utime, stime; /* the thread's own counters when rec was built */
	__u64 start;		   /* start of the process (thread) the lifetime is from */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

static __always_inline void group_cputime(struct ps_slot *slot, struct signal_struct *sig,
					  struct task_struct *self, struct ps_exit *e)
{
	struct ps_cputime t = {};

	ps_group_cputime(slot, sig, self, &t);
	e->rtime_ns = t.rtime_ns;
	e->utime_ns = t.utime_ns;
	e->stime_ns = t.stime_ns;
	e->nr_threads = t.nr_threads;
	e->xflags |= t.xflags;
}

static __always_inline bool name_match(const char *comm)
{
	__u32 nl = targ_name_len;

	if (!nl)
		return true;
	/* --name is a substring of comm (both at most 15 bytes) */
	for (__u32 i = 0; i + nl <= PS_TASK_COMM_LEN - 1; i++) {
		__u32 j;

		/* the buffer is not cleared past comm's NUL: stale bytes must not match */
		if (!comm[i & (PS_TASK_COMM_LEN - 1)])
			break;
		for (j = 0; j < nl && j < PS_TASK_COMM_LEN; j++)
			if (comm[(i + j) & (PS_TASK_COMM_LEN - 1)] != targ_name[j])
				break;
		if (j == nl)
			return true;
	}
	return false;
}

/*
 * Build (and send, or leave in "pending") the record of the current
 * thread's exit. Returns true when it waits in "pending".
 */
static __always_inline bool exit_record(void *ctx, struct task_struct *task,
					struct signal_struct *sig, int group_dead)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *leader, *who;
	struct ps_slot *slot;
	struct ps_exit *e;
	__u64 now, start, dur, rss;
	__u32 tgid = id >> 32;
	bool deferred = false;
	int status;

	if (!ps_cgroup_match())
		return false;

	leader = BPF_CORE_READ(task, group_leader);
	/* a thread record is about the thread, a process record about the group */
	who = group_dead ? leader : task;
	if (group_dead) {
		if (BPF_CORE_READ(sig, flags) & SIGNAL_GROUP_EXIT)
			status = BPF_CORE_READ(sig, group_exit_code);
		else
			status = BPF_CORE_READ(leader, exit_code);
	} else {
		status = BPF_CORE_READ(task, exit_code);
	}
	if (failed_only && (status & 0xffff) == 0)
		return false;

	now = ps_now();
	start = ps_boottime ? BPF_CORE_READ(who, start_boottime) : BPF_CORE_READ(who, start_time);
	dur = now > start ? now - start : 0;
	if (dur < min_duration_ns || (max_duration_ns && dur > max_duration_ns))
		return false;

	slot = ps_slot_get();
	if (!slot)
		return false; /* counted as lost by ps_slot_get() */
	e = (void *)slot->buf;
	ps_ident_fill(&e->id, task);
	if (!name_match(e->id.comm))
		goto out;

	if (group_dead && !have_group_dead_arg && !tp_group_dead_off) {
		struct dead_key k = { .tgid = tgid, .start = BPF_CORE_READ(leader, start_time) };
		__u8 one = 1;

		if (bpf_map_update_elem(&reported, &k, &one, BPF_NOEXIST))
			goto out; /* another thread that saw live == 0 was first */
	}

	e->hdr.type = PS_REC_EXIT;
	e->hdr.flags = PS_F_FIRST | PS_F_LAST;
	e->hdr.size = sizeof(*e);
	e->hdr.id = ps_record_id();
	/* the same instant as the duration (the identity's clock read is later) */
	e->id.ktime_ns = now;
	e->duration_ns = dur;
	e->status = status;
	e->xflags = 0;
	e->nr_threads = 1;
	e->pad = 0;
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		e->xflags |= PS_EXIT_KTHREAD;

	if (group_dead) {
		e->xflags |= PS_EXIT_GROUP_DEAD;
		if (BPF_CORE_READ(sig, flags) & SIGNAL_GROUP_EXIT)
			e->xflags |= PS_EXIT_GROUP_EXIT;
		group_cputime(slot, sig, task, e);
	} else {
		e->rtime_ns = BPF_CORE_READ(task, se.sum_exec_runtime);
		e->utime_ns = BPF_CORE_READ(task, utime);
		e->stime_ns = BPF_CORE_READ(task, stime);
	}

	rss = ps_peak_rss(task, sig);
	e->maxrss_pages = rss;
	if (defer_to_switch) {
		struct pending *p = (void *)slot->buf;
		__u32 tid = (__u32)id;

		_Static_assert(sizeof(*p) <= sizeof(slot->buf), "pending fits a slot");
		p->rtime = BPF_CORE_READ(task, se.sum_exec_runtime);
		p->utime = BPF_CORE_READ(task, utime);
		p->stime = BPF_CORE_READ(task, stime);
		p->start = start;
		/* full map, or the tid already waiting (cannot happen): send it now */
		if (!bpf_map_update_elem(&pending, &tid, p, BPF_NOEXIST)) {
			deferred = true;
			goto out;
		}
	}
	ps_emit_event(ctx, e, sizeof(*e));
out:
	ps_slot_put(slot);
	return deferred;
}

/*
 * @group_dead: 1/0 from the tracepoint, or -1 when this kernel's
 * tracepoint does not say (before 6.16).
 */
static __always_inline int on_exit(void *ctx, int group_dead)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct signal_struct *sig;
	bool deferred;

	if (targ_tgid && tgid != targ_tgid)
		return 0;
	if (!ps_in_scope())
		return 0;
	sig = BPF_CORE_READ(task, signal);
	if (group_dead < 0)
		group_dead = BPF_CORE_READ(sig, live.counter) == 0;
	if (!group_dead && !trace_threads)
		return 0;
	if (targ_tgid && group_dead)
		targ_hooked = 1;
	deferred = exit_record(ctx, task, sig, group_dead);
	if (targ_tgid && group_dead && !deferred)
		targ_done = 1;
	/* trace: its record is out (or will never be): one fewer in scope */
	if (group_dead && !deferred)
		ps_scope_live_add(-1);
	return 0;
}

/* Runs on every context switch: keep the common path to one test. */
SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct ps_slot *slot;
	struct pending *p;
	__u32 tid;
	__u64 v, now;

	if (!(prev_state & TASK_DEAD))
		return 0;
	tid = BPF_CORE_READ(prev, pid);
	p = bpf_map_lookup_elem(&pending, &tid);
	if (!p)
		return 0;
	/*
	 * The CPU time is taken here, so the lifetime is too: one instant for
	 * both (taken at the exit hook, the lifetime was short of the CPU time
	 * spent since). The record's time moves with it: ktime_ns -
	 * duration_ns stays the start.
	 */
	now = ps_now();
	if (now > p->start && now > p->rec.id.ktime_ns) {
		p->rec.id.ktime_ns = now;
		p->rec.duration_ns = now - p->start;
	}
	/* --max-duration passed at the exit hook may no longer hold */
	if (max_duration_ns && p->rec.duration_ns > max_duration_ns)
		goto done;
	/* no free slot: fall back to this thread's own delta, still sent */
	if ((p->rec.xflags & PS_EXIT_GROUP_DEAD) && (slot = ps_slot_try())) {
		p->rec.xflags &= ~(PS_EXIT_CPU_RACY | PS_EXIT_CPU_PARTIAL);
		group_cputime(slot, BPF_CORE_READ(prev, signal), prev, &p->rec);
		ps_slot_put(slot);
		goto send;
	}
	/* the counters only grow; the guard is against a reused tid */
	v = BPF_CORE_READ(prev, se.sum_exec_runtime);
	if (v >= p->rtime)
		p->rec.rtime_ns += v - p->rtime;
	v = BPF_CORE_READ(prev, utime);
	if (v >= p->utime)
		p->rec.utime_ns += v - p->utime;
	v = BPF_CORE_READ(prev, stime);
	if (v >= p->stime)
		p->rec.stime_ns += v - p->stime;
send:
	ps_emit_event(ctx, &p->rec, sizeof(p->rec));
done:
	if (targ_tgid && (p->rec.xflags & PS_EXIT_GROUP_DEAD))
		targ_done = 1;
	if (p->rec.xflags & PS_EXIT_GROUP_DEAD)
		ps_scope_live_add(-1);
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int btf_exit(u64 *ctx)
{
	/* args: (struct task_struct *p[, bool group_dead]); p is current */
	return on_exit(ctx, have_group_dead_arg ? (int)(ctx[1] & 1) : -1);
}

SEC("raw_tp/sched_process_exit")
int raw_exit(u64 *ctx)
{
	return on_exit(ctx, have_group_dead_arg ? (int)(ctx[1] & 1) : -1);
}

SEC("tracepoint/sched/sched_process_exit")
int tp_exit(struct ps_tp_sched_process_exit *ctx)
{
	__u8 gd = 0;

	if (!tp_group_dead_off)
		return on_exit(ctx, -1);
	bpf_probe_read_kernel(&gd, 1, (void *)ctx + (tp_group_dead_off & 0xff));
	return on_exit(ctx, gd & 1);
}
