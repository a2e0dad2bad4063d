/* SPDX-License-Identifier: GPL-2.0 */
/* The process identity of a record (struct ps_ident), printed the same way by every tool. */
#ifndef PROCSNOOP_PRINT_IDENT_H
#define PROCSNOOP_PRINT_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"

struct jw;

/*
 * "time", "ktime_ns", "pid", "tid", "ppid", "uid", "gid", "euid", "comm",
 * "thread_comm", "pcomm", "cgroup_id", "cgroup" (and "cgroup_gone",
 * "container_id", "pod_uid": lib/cgroup.h), "entity_id",
 * "parent_entity_id", "start_time", "nspid", "pidns", "mntns", "auid",
 * "sessionid": the members every record has.
 */
void ps_ident_json(struct jw *w, const struct ps_ident *id);

/* Clock ticks since boot of a start_boottime: /proc/PID/stat field 22. */
uint64_t ps_start_ticks(uint64_t start_ns);
/* The entity id: "PID:TICKS", PID the tgid, TICKS ps_start_ticks() (README: entity_id). */
#define PS_ENTITY_ID_LEN 32
void ps_entity_id(char *buf, size_t cap, uint32_t pid, uint64_t start_ns);

/* Table columns. */
/* TIME: local HH:MM:SS of the event, then a space */
void ps_ident_col_time(const struct ps_ident *id);
/* TIME(s): seconds since @start_ns, then a space */
void ps_ident_col_elapsed(const struct ps_ident *id, uint64_t start_ns);
/* a comm column (escaped, spaces too, padded to 16) */
void ps_col_comm(const char *comm);

#endif
