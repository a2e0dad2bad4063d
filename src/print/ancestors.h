/* SPDX-License-Identifier: GPL-2.0 */
/* The ancestry of an exec record (struct ps_ancestor), as JSON and as a table column. */
#ifndef PROCSNOOP_PRINT_ANCESTORS_H
#define PROCSNOOP_PRINT_ANCESTORS_H

#include "events/exec.h"

struct jw;

/* "ancestors": [{"pid","comm","entity_id"}...] (parent first), "ancestors_truncated" */
void ps_ancestors_json(struct jw *w, const struct exec_view *v);
/* ANCESTORS: "init(1)>sshd(812)>bash(9981)" (top first, then a space; "-" when none);
 * a chain longer than the kernel walked starts with "...>" */
void ps_ancestors_col(const struct exec_view *v);

#endif
