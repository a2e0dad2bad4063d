/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stats API: every counter of a run, kernel and user space, by one
 * name each. The summary line prints them all; exporters read the same
 * table. Kernel counters are the per-CPU "stats" map of each BPF object
 * (enum ps_stat in abi.h), summed over CPUs and objects.
 */
#ifndef PROCSNOOP_STATS_H
#define PROCSNOOP_STATS_H

#include <stdbool.h>
#include <stdint.h>

enum ps_counter {
	PS_C_EVENTS,		/* events delivered to the tool */
	PS_C_RECORDS_LOST,	/* records the kernel could not put in the buffer */
	PS_C_EVENTS_LOST,	/* events lost whole or in part in the kernel */
	PS_C_SCRATCH_BUSY,	/* events lost for want of a free scratch slot */
	PS_C_EVENTS_INCOMPLETE, /* events delivered with records missing */
	PS_C_RECORDS_MALFORMED, /* records with a bad size or type, ignored */
	PS_C_OUTPUT_LOST,	/* events user space could not write out */
	PS_C_PATH_FAILED,	/* paths that could not be resolved */
	PS_C_CGROUP_FAILED,	/* cgroup ids that could not be resolved to a path */
	PS_C_EXEC_KILLED,	/* failed execs not reported: their thread was being killed */
	PS_C_RECORDS_LATE,	/* records of an event already delivered incomplete */
	PS_C_LIFE_NOMEM,	/* processes with no task storage: their failed execs not counted */
	PS_C_GROUPS_FOLDED,	/* aggregates: processes folded into "other" (group table full) */
	PS_C_SCOPE_FULL,	/* trace: tasks whose scope flag could not be stored */
	PS_C_PROC_EVICTED,	/* trace: process lives evicted from a full table */
	PS_C_OUTPUT_DROPPED,	/* lines dropped in user space: the writer's queue was full */
	PS_C_NR
};

struct ps_counter_info {
	const char *name; /* summary member and exporter name: "records_lost" */
	const char *help; /* one line */
	int kernel_stat;  /* index in the kernel's stats map (enum ps_stat), or -1 */
};

extern const struct ps_counter_info ps_counters[PS_C_NR];

#endif
