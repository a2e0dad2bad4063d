/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A process's resource usage at its exit, as wait4() will report it to
 * the parent: the group's CPU time (signal + every thread still listed,
 * under the stats_lock seqcount, as thread_group_cputime() sums it) and
 * the peak RSS. Shared by exit and top (and anything else that reports
 * a process's end), so the subtle part lives once.
 */
#ifndef PROCSNOOP_RUSAGE_BPF_H
#define PROCSNOOP_RUSAGE_BPF_H

#include "common.bpf.h"

#define MM_FILEPAGES 0
#define MM_ANONPAGES 1
#define MM_SHMEMPAGES 3

/* Threads summed per walk; a bigger group gives a lower bound (flagged). */
#define WALK_MAX 65536
#define WALK_TRIES 8

struct walk_state {
	struct list_head *head;
	struct list_head *pos;
	__u64 rtime, utime, stime;
	__u32 n;
	__u16 done;
	__u16 others; /* listed threads, not self, not past exit_notify() */
	struct task_struct *self;
};

struct walk_ctx {
	struct ps_slot *slot;
};

static long walk_cb(__u64 i, void *data)
{
	struct walk_ctx *wc = data;
	struct walk_state *w = (void *)wc->slot->state;
	struct list_head *pos = w->pos;
	struct task_struct *t;

	if (!pos || pos == w->head) {
		w->done = 1;
		return 1;
	}
	t = (void *)pos - bpf_core_field_offset(struct task_struct, thread_node);
	w->rtime += BPF_CORE_READ(t, se.sum_exec_runtime);
	w->utime += BPF_CORE_READ(t, utime);
	w->stime += BPF_CORE_READ(t, stime);
	w->n++;
	if (t != w->self && !BPF_CORE_READ(t, exit_state))
		w->others++;
	w->pos = BPF_CORE_READ(pos, next);
	return 0;
}

/* How long a reader waits for a stats_lock writer (reads of the sequence). */
#define SEQ_SPIN 4096

struct seq_wait {
	struct signal_struct *sig;
	__u32 seq;
};

/* read_seqcount_begin(): wait while a writer holds the sequence odd. */
static long seq_wait_cb(__u64 i, void *data)
{
	struct seq_wait *sq = data;
	struct signal_struct *sig = sq->sig; /* ours, not a kernel type: no CO-RE */

	sq->seq = BPF_CORE_READ(sig, stats_lock.seqcount.seqcount.sequence);
	return !(sq->seq & 1);
}

/*
 * The group's CPU time now; see thread_group_cputime() in
 * kernel/sched/cputime.c. @self: the exiting thread. A listed sibling
 * with no exit_state yet is alive or still in do_exit() before
 * exit_notify(): its time is still growing (the parent will see more),
 * so the result is flagged approximate. A zombie leader's is final.
 */
struct ps_cputime {
	__u64 rtime_ns, utime_ns, stime_ns; /* as in struct ps_exit */
	__u32 nr_threads;
	__u32 xflags; /* PS_EXIT_CPU_RACY, PS_EXIT_CPU_PARTIAL (only ever set) */
};

static __always_inline void ps_group_cputime(struct ps_slot *slot, struct signal_struct *sig,
					     struct task_struct *self, struct ps_cputime *e)
{
	struct walk_state *w = (void *)slot->state;
	struct walk_ctx wc = { .slot = slot };
	__u32 seq, seq2;

	/* not unrolled: one copy of the walk, verified as a bounded loop */
#pragma clang loop unroll(disable)
	for (int try = 0; try < WALK_TRIES; try++) {
		/* The writer is typically the parent reaping a thread on another
		 * CPU (__exit_signal folds its times in): sub-microsecond, so
		 * wait for it rather than burn the retries while it holds it. */
		struct seq_wait sq = { .sig = sig };

		bpf_loop(SEQ_SPIN, seq_wait_cb, &sq, 0);
		seq = sq.seq;
		w->head = &sig->thread_head;
		w->pos = BPF_CORE_READ(sig, thread_head.next);
		w->rtime = BPF_CORE_READ(sig, sum_sched_runtime);
		w->utime = BPF_CORE_READ(sig, utime);
		w->stime = BPF_CORE_READ(sig, stime);
		w->n = 0;
		w->done = 0;
		w->others = 0;
		w->self = self;
		bpf_loop(WALK_MAX, walk_cb, &wc, 0);
		seq2 = BPF_CORE_READ(sig, stats_lock.seqcount.seqcount.sequence);
		if (!(seq & 1) && seq == seq2)
			break;
		if (try == WALK_TRIES - 1)
			e->xflags |= PS_EXIT_CPU_RACY;
	}
	e->rtime_ns = w->rtime;
	e->utime_ns = w->utime;
	e->stime_ns = w->stime;
	e->nr_threads = w->n;
	if (!w->done)
		e->xflags |= PS_EXIT_CPU_PARTIAL;
	if (w->others)
		e->xflags |= PS_EXIT_CPU_RACY;
}

/* get_mm_rss(): file + anon + shmem pages, from the counters' global part. */
static __always_inline __u64 ps_mm_rss(struct mm_struct *mm)
{
	__s64 n = 0;

	if (!bpf_core_field_exists(mm->rss_stat))
		return 0;
	n += BPF_CORE_READ(mm, rss_stat[MM_FILEPAGES].count);
	n += BPF_CORE_READ(mm, rss_stat[MM_ANONPAGES].count);
	n += BPF_CORE_READ(mm, rss_stat[MM_SHMEMPAGES].count);
	return n > 0 ? n : 0;
}

/* Peak RSS (pages) as getrusage() computes it: signal->maxrss, and the
 * mm's high-water mark while the mm is still attached (it is, at the
 * sched_process_exit hook, since 6.13; hiwater_rss itself is only
 * updated lazily). */
static __always_inline __u64 ps_peak_rss(struct task_struct *task, struct signal_struct *sig)
{
	__u64 rss = BPF_CORE_READ(sig, maxrss), hw;
	struct mm_struct *mm = BPF_CORE_READ(task, mm);

	if (mm) {
		hw = BPF_CORE_READ(mm, hiwater_rss);
		if (hw > rss)
			rss = hw;
		hw = ps_mm_rss(mm);
		if (hw > rss)
			rss = hw;
	}
	return rss;
}

#endif /* PROCSNOOP_RUSAGE_BPF_H */
