/* SPDX-License-Identifier: GPL-2.0 */
/* Printing of exit events, as table rows and JSON lines. */
#ifndef PROCSNOOP_PRINT_EXIT_H
#define PROCSNOOP_PRINT_EXIT_H

#include <stdbool.h>
#include <stdint.h>
#include "events/exit.h"

struct exit_print_opts {
	bool timestamp;	   /* -t: TIME column, wall clock HH:MM:SS (libbpf-tools) */
	bool since_start;  /* --since-start: TIME(s) column, seconds since start */
	bool rusage;	   /* --rusage: USER(ms) SYS(ms) MAXRSS(KB) columns */
	uint64_t start_ns; /* ktime at start, for --since-start */
};

void exit_print_header(const struct exit_print_opts *o);
void exit_print_table(const struct exit_view *v, const struct exit_print_opts *o);
void exit_print_json(const struct exit_view *v);

#endif
