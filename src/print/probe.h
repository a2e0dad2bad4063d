/* SPDX-License-Identifier: GPL-2.0 */
/* Printing of probe hits, bashreadline lines and --count reports, as tables and JSON. */
#ifndef PROCSNOOP_PRINT_PROBE_H
#define PROCSNOOP_PRINT_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include "events/probe.h"
#include "tools/probe/elf.h"

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

/* --list: a binary's USDT probes and functions */
void probe_list_print(const char *path, const struct probe_elf *pe, bool json);

#endif
