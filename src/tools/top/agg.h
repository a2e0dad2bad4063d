/* SPDX-License-Identifier: GPL-2.0 */
/*
 * top's aggregates: processes that ended, grouped by a key, in a table
 * whose size is bounded by the number of groups (never by processes):
 * past PS_TOP_GROUPS_MAX keys, new keys are counted in "other".
 * Pure user space, no BPF: the unit tests drive it directly.
 */
#ifndef PROCSNOOP_TOP_AGG_H
#define PROCSNOOP_TOP_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"

#define PS_TOP_GROUPS_MAX 2048 /* groups per table; beyond: "other" */
#define PS_TOP_KEY_MAX 512     /* bytes of a key (a command line is cut there) */
#define PS_TOP_PARENTS 4       /* parent names tracked per group (top parent) */
/* lifetime histogram: 8 linear sub-buckets per power of two (p50/p95 within 1/8) */
#define PS_TOP_LBUCKETS (8 + 61 * 8)
#define PS_TOP_LOG2 64 /* log2 buckets (--hist) */

/* One process's end, decoded (what a group adds up). */
struct top_proc {
	uint64_t cpu_user_ns, cpu_sys_ns;
	uint64_t lifetime_ns;
	uint64_t max_rss_kb;
	uint32_t execs, exec_fails;
	bool failed;	    /* non-zero exit, a signal, or a failed exec */
	bool signaled;	    /* killed by a signal */
	const char *parent; /* the parent's comm (NUL-terminated, at most 15 bytes) */
	const char *cmd;    /* the command line: arguments, NUL-separated */
	size_t cmd_len;
	bool cmd_trunc;
};

struct top_group {
	char *key;
	size_t klen;
	bool other; /* the "other" bucket */
	uint64_t procs, failed, signaled, execs, exec_fails;
	uint64_t cpu_user_ns, cpu_sys_ns;
	double cpu_share_ns; /* CPU counted in the interval (see top_share()) */
	uint64_t life_max_ns, max_rss_kb;
	uint32_t life[PS_TOP_LBUCKETS];
	uint32_t hist_life[PS_TOP_LOG2], hist_cpu[PS_TOP_LOG2]; /* --hist=group: log2 of us */
	char last_cmd[PS_TOP_CMD];
	size_t last_cmd_len;
	bool last_cmd_trunc;
	char parents[PS_TOP_PARENTS][PS_TASK_COMM_LEN];
	uint64_t parent_n[PS_TOP_PARENTS];
};

struct top_table {
	struct top_group **slots; /* open addressing, 2 x PS_TOP_GROUPS_MAX */
	struct top_group *all[PS_TOP_GROUPS_MAX];
	size_t n;
	struct top_group other;
	uint64_t folded; /* processes counted in other because the table was full */
	/* totals over every process */
	uint64_t procs, failed, execs, exec_fails;
	double cpu_share_ns;
	uint64_t cpu_ns, short_cpu_ns; /* all CPU; of those that lived less than the interval */
	uint32_t hist_life[PS_TOP_LOG2], hist_cpu[PS_TOP_LOG2]; /* log2 of us */
};

int top_table_init(struct top_table *t);
void top_table_reset(struct top_table *t);
void top_table_free(struct top_table *t);
/* Count @p in the group of @key (klen bytes); @share_ns: its CPU counted in
 * the interval, @interval_ns: what "short-lived" means. Returns the group. */
struct top_group *top_table_add(struct top_table *t, const char *key, size_t klen,
				const struct top_proc *p, double share_ns, uint64_t interval_ns);

/*
 * The CPU of a process counted in an interval of @interval_ns that its
 * end fell in: its CPU spread evenly over its life, the part in the last
 * @interval_ns of it. So a long life's CPU is not dumped into the interval
 * it ended in; a process that lived less than the interval counts whole.
 */
double top_share(uint64_t cpu_ns, uint64_t lifetime_ns, uint64_t interval_ns);

/* Lifetime percentile @pct (0-100) of a group, from its histogram (never above the max). */
uint64_t top_group_pct(const struct top_group *g, double pct);
/* The parent name seen most often, or "" */
const char *top_group_parent(const struct top_group *g);
/* bcc's log2 slot of @v: 0 for 0 and 1, else floor(log2(v)) */
int top_log2(uint64_t v);

enum top_sort { TOP_SORT_CPU, TOP_SORT_COUNT, TOP_SORT_FAILED, TOP_SORT_LIFETIME, TOP_SORT_NR };
extern const char *const top_sort_names[TOP_SORT_NR];
/* The groups of @t sorted (descending), into @out (t->n entries). */
void top_table_sorted(const struct top_table *t, enum top_sort by, struct top_group **out);

#endif
