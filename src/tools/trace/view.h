/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The views of `procsnoop trace`: the lives it collected, drawn at the end
 * as a tree (--tree), a Chrome trace-event timeline (--timeline FILE, for
 * ui.perfetto.dev and chrome://tracing) or an SVG Gantt chart (--svg FILE).
 *
 * The tracer hands over an array of lives; the views link them into a tree
 * by entity id (a parent that is not among them, or unknown, makes a root;
 * a reparented process stays under the parent that forked it), children in
 * order of start. Everything from traced processes (comm, argv, exe) is
 * hostile: the tree encodes it with the terminal encoder, the timeline with
 * the JSON writer, the SVG with the XML encoder (all in lib/out.c).
 * Strings point into the table's copies (table.h) and stay valid until it
 * is freed.
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
	const char *const *argv; /* the final program's args: hostile bytes */
	unsigned argc;
	const char *exe;
	/* added by the views: the filename of the last failed exec, or NULL */
	const char *failed_exec;
	bool args_truncated; /* argv is cut (the table keeps 4 KiB of it) */
};

/* The SVG draws at most this many rows (one per life, in tree order); past
 * it, one line says how many were left out (the timeline has them all). */
#define VIEW_SVG_MAX_ROWS 5000

/* Each returns 0, or -errno when writing @f failed (or memory ran out). */
/* @width: the terminal's columns; 0: unlimited. Only command lines are cut. */
int view_tree(FILE *f, const struct view_life *lives, size_t n, int width);
int view_timeline(FILE *f, const struct view_life *lives, size_t n);
int view_svg(FILE *f, const struct view_life *lives, size_t n);

#endif
