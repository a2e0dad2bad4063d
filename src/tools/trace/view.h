/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The views of `procsnoop trace` (--tree, --timeline, --svg): renderers of
 * the lives the process table (table.h) hands over at the end of a run.
 * Strings point into the table's copies and stay valid until it is freed.
 */
#ifndef PROCSNOOP_TRACE_VIEW_H
#define PROCSNOOP_TRACE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct view_life {
	const char *entity_id, *parent_entity_id; /* parent NULL if unknown */
	uint32_t pid, ppid;
	/* the records' kernel clock (ready line "clock": boottime, else
	 * monotonic); end_ns = stop time if running */
	uint64_t start_ns, end_ns;
	int64_t realtime_offset_ns; /* add to get wall-clock ns */
	bool running, start_observed, incomplete;
	uint64_t cpu_user_ns, cpu_sys_ns;
	int exit_code, signal;
	bool core_dumped;
	unsigned nexecs, nexec_failed;
	const char *comm;
	const char *const *argv; /* the final program's args (escape when printing!) */
	unsigned argc;
	const char *exe;
};

int view_tree(FILE *f, const struct view_life *lives, size_t n, int width); /* width 0: unlimited */
int view_timeline(FILE *f, const struct view_life *lives, size_t n);
int view_svg(FILE *f, const struct view_life *lives, size_t n);

#endif
