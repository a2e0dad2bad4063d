/* SPDX-License-Identifier: GPL-2.0 */
/* Printing of exec events, as table rows and JSON lines. */
#ifndef PROCSNOOP_PRINT_EXEC_H
#define PROCSNOOP_PRINT_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include "events/exec.h"

struct exec_print_opts {
	bool time;	   /* -T: HH:MM:SS */
	bool timestamp;	   /* -t: seconds since start */
	bool print_uid;	   /* -U */
	bool quote;	   /* -q */
	bool ancestors;	   /* --ancestors: the ANCESTORS column */
	uint64_t start_ns; /* ktime at start, for -t */
};

void exec_print_header(const struct exec_print_opts *o);
void exec_print_table(const struct exec_view *v, const struct exec_print_opts *o);
void exec_print_json(const struct exec_view *v);
struct jw;
/* The members of an exec record after the identity (filename, args, ret,
 * ..., exe, cwd), into an open object; trace prints one per exec of a life. */
void exec_json_attempt(struct jw *w, const struct exec_view *v, bool ancestors);

#endif
