/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process table of `procsnoop trace`: one entry per process life,
 * keyed by (tgid, exact start time), which is what entity_id names; fed
 * with fork, exec and exit events and with /proc (seeding), bounded in
 * entries (--max-processes) and bytes; a life is handed to the printer
 * once it has ended (or at the end of the run, still running).
 *
 * Events of the three BPF objects come through separate buffers, so they
 * reach user space out of order (a child's fork before its parent's exec).
 * They are queued and applied in kernel-time order once they are older
 * than TT_HOLD_NS, by which time every earlier event has been read.
 */
#ifndef PROCSNOOP_TRACE_TABLE_H
#define PROCSNOOP_TRACE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"
#include "lib/transport.h"
#include "tools/trace/view.h"

#define TT_MAX_PROCESSES_DEFAULT 32768
#define TT_MAX_BYTES_DEFAULT (512ull << 20)
#define TT_EXECS_MAX 64 /* exec attempts kept per life; later ones are counted */
#define TT_HOLD_NS 150000000ull

/* trace_life.missing: what a lost record took away */
#define TL_MISS_FORK 0x1      /* started while tracing, its fork record was lost */
#define TL_MISS_EXIT 0x2      /* gone at the end, its exit record was lost */
#define TL_MISS_EXEC 0x4      /* its name changed with no exec seen while records were lost */
#define TL_MISS_EXEC_ARGS 0x8 /* an exec record arrived with some of its records lost */

/* A copy of one event (the first record's struct, then its data). */
struct tt_event {
	uint64_t ktime, seq;
	int type;
	uint8_t *buf; /* rec_len bytes of struct, then data_len bytes */
	size_t rec_len, data_len;
	struct ps_chunk last;
	bool has_last, incomplete;
};

/* The program a life runs: its last successful exec, else inherited at
 * fork, else read from /proc (seeded). */
struct tt_prog {
	char *exe;  /* NUL-terminated, or NULL */
	char *args; /* argc NUL-terminated strings */
	size_t args_len;
	unsigned argc;
	bool args_truncated;
	bool exe_denied; /* /proc/PID/exe refused (ptrace access check): exe unknown */
};

struct trace_life {
	struct trace_life *hnext;	  /* hash chain (by pid) */
	struct trace_life *older, *newer; /* creation order: eviction */
	uint32_t pid;
	uint64_t start_ns; /* start_boottime; from /proc ticks until a kernel event says */
	bool start_exact;
	bool report; /* in scope: printed (a scope's seeded ancestors are not) */
	bool have_fork, have_exit, seeded, evicted;
	uint32_t missing;   /* TL_MISS_* */
	struct ps_ident id; /* the latest identity (exit, exec, fork, /proc) */
	bool ns_denied;	    /* id from /proc, whose ns links refused: pidns, mntns 0 */
	/* the parent at fork (or as first seen) */
	uint32_t ppid;
	uint64_t pstart_ns;
	char pcomm[PS_TASK_COMM_LEN];
	uint64_t fork_ns;
	struct ps_exit exit;
	struct tt_event *execs;
	unsigned nexecs, execs_dropped, nexec_failed;
	struct ps_ancestor *anc; /* from the parent up */
	unsigned nanc;
	bool anc_truncated;
	struct tt_prog prog;
	uint64_t proc_user_ns, proc_sys_ns; /* still running at the end: from /proc */
	uint64_t end_ns;		    /* still running: the time of the end */
	uint64_t lost_at_start;
	size_t bytes;
};

struct trace_table;

struct tt_cfg {
	size_t max_processes;
	uint64_t max_bytes;
	uint64_t page_size;
	bool keep_views; /* keep a view_life of each printed life (--tree ...) */
	/* a life to print (false: filtered out) */
	bool (*filter)(void *ctx, const struct trace_life *l);
	void (*emit)(void *ctx, const struct trace_life *l);
	void *ctx;
};

struct trace_table *tt_new(const struct tt_cfg *cfg);
void tt_free(struct trace_table *t);

/* Queue an event (any of fork, exec, exit); false without memory. */
bool tt_event(struct trace_table *t, const struct ps_event *ev);
/* Apply the queued events older than @now - TT_HOLD_NS (all with @now 0). */
void tt_apply(struct trace_table *t, uint64_t now);
/* The kernel time by which the fork hook was attached: a life that
 * started later and has no fork record lost it. */
void tt_set_fork_since(struct trace_table *t, uint64_t ktime);
/* @records_lost: the kernel's count now (for TL_MISS_EXEC). */
void tt_set_lost(struct trace_table *t, uint64_t records_lost);

/*
 * Seed from /proc: @pid (a process) unless the table has it already (a
 * live event wins), and its ancestors up to pid 1 (not reported when
 * @report is false... only @pid's own @report counts). Returns the life or NULL.
 */
struct trace_life *tt_seed(struct trace_table *t, uint32_t pid, bool report, bool ancestors);
/* Seed every process in /proc. */
void tt_seed_all(struct trace_table *t);

/* The end: apply everything, then print every life left (running, unless
 * @ended_only), at kernel time @now. */
void tt_finish(struct trace_table *t, uint64_t now, bool ended_only);

/* The life of (@pid, @start_ns) if the table has it. */
const struct trace_life *tt_find(const struct trace_table *t, uint32_t pid, uint64_t start_ns);

uint64_t tt_evicted(const struct trace_table *t);
/* Lives held now (--metrics: the table's size). */
uint64_t tt_lives(const struct trace_table *t);
uint64_t tt_late(const struct trace_table *t);
/* The printed lives (cfg.keep_views), in the order printed: at most
 * TT_VIEWS_MAX; the lives left out (past it, or out of memory) are counted. */
#define TT_VIEWS_MAX 200000
const struct view_life *tt_views(const struct trace_table *t, size_t *n);
uint64_t tt_views_dropped(const struct trace_table *t);

/* Helpers for printers: the life's exec attempt @i decoded, and its outcome. */
struct exec_view;
bool tt_exec_view(const struct trace_life *l, unsigned i, struct exec_view *v);
/* Attempt @a is a PATH-search miss of the search @b continues (execvp()):
 * printed as @b's path_tried, not as a failure of its own. */
bool tt_exec_folds(const struct exec_view *a, const struct exec_view *b);
/* Failed execs that are not such misses. */
unsigned tt_exec_failures(const struct trace_life *l);
/* A non-zero exit, a signal, or a failed exec (--failed). */
bool tt_failed(const struct trace_life *l);

#endif
