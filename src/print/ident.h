/* SPDX-License-Identifier: GPL-2.0 */
/* The process identity of a record (struct ps_ident), printed the same way by every tool. */
#ifndef PROCSNOOP_PRINT_IDENT_H
#define PROCSNOOP_PRINT_IDENT_H

#include <stdbool.h>
#include <stdint.h>
#include "abi.h"

struct jw;

/*
 * "time", "ktime_ns", "pid", "tid", "ppid", "uid", "gid", "euid", "comm",
 * "thread_comm", "pcomm", "cgroup_id", "cgroup" (and "cgroup_gone",
 * "container_id", "pod_uid": lib/cgroup.h): the members every record has.
 */
void ps_ident_json(struct jw *w, const struct ps_ident *id);

/* Table columns. */
/* TIME: local HH:MM:SS of the event, then a space */
void ps_ident_col_time(const struct ps_ident *id);
/* TIME(s): seconds since @start_ns, then a space */
void ps_ident_col_elapsed(const struct ps_ident *id, uint64_t start_ns);
/* a comm column (escaped, spaces too, padded to 16) */
void ps_col_comm(const char *comm);

#endif
