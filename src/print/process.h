/* SPDX-License-Identifier: GPL-2.0 */
/* Printing of process lives (procsnoop trace), as JSON lines and table rows. */
#ifndef PROCSNOOP_PRINT_PROCESS_H
#define PROCSNOOP_PRINT_PROCESS_H

#include <stdint.h>
#include "tools/trace/table.h"

/* {"type":"process",...}: README "procsnoop trace". @t: for the ancestors' command lines. */
void process_print_json(const struct trace_life *l, const struct trace_table *t,
			uint64_t page_size);
void process_print_header(void);
void process_print_table(const struct trace_life *l, uint64_t page_size);

#endif
