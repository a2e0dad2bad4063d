/* SPDX-License-Identifier: GPL-2.0 */
/* Decoding and printing of probe hits and counts: the only place that knows struct ps_probe's data. */
#ifndef PROCSNOOP_PROBE_EVENT_H
#define PROCSNOOP_PROBE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"
#include "lib/transport.h"
#include "tools/probe/spec.h"

struct probe_view {
	const struct ps_probe *e;
	const struct probe_spec *spec;
	const uint8_t *str[PS_PROBE_NVALS];	/* string values (str_mask), into the data */
	size_t str_len[PS_PROBE_NVALS];
	bool incomplete;
};

/* Decode @ev against the specs it may come from; false if malformed (never trusted). */
bool probe_view_init(struct probe_view *v, const struct ps_event *ev,
		     const struct probe_spec *specs, int nspecs);

/* procsnoop probe: one hit */
void probe_print_header(void);
void probe_print_table(const struct probe_view *v);
void probe_print_json(const struct probe_view *v);

/* procsnoop bashreadline: the return value of readline() is the line */
void bashline_print_header(void);
void bashline_print_table(const struct probe_view *v);
void bashline_print_json(const struct probe_view *v);

/* --count: one probe's (or one probe and process's, @pid >= 0) hits in an interval */
void count_print_header(bool per_pid);
void count_print(const char *probe, long pid, uint64_t count, uint64_t realtime_ns,
		 uint64_t interval_ns, bool json);
/* at the end: the whole run's total per probe */
void count_print_total(const char *probe, uint64_t count, bool json);
/* hits that could not be counted (the count map was full) */
void count_print_missed(uint64_t missed, bool json);

#endif
