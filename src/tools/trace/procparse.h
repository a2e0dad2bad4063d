/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What trace's /proc seeding parses, apart from the reading: pure functions
 * on bytes a traced process controls (its comm, its argv), so that
 * tests/fuzz/fuzz_procparse.c can feed them anything.
 */
#ifndef PROCSNOOP_TRACE_PROCPARSE_H
#define PROCSNOOP_TRACE_PROCPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"

struct proc_stat {
	char comm[PS_TASK_COMM_LEN];
	char state;
	uint32_t ppid;
	uint64_t start_ticks, utime, stime;
};

/* /proc/PID/stat in the NUL-terminated @buf: false unless every field is there. */
bool tp_parse_stat(const char *buf, struct proc_stat *st);

/* Value @idx of the @name line (e.g. "\nUid:") of /proc/PID/status in the
 * NUL-terminated @status (-1: the line's last value), or @dflt. */
unsigned tp_status_field(const char *status, const char *name, int idx, unsigned dflt);

/* The inode of a /proc/PID/ns/NAME link target ("pid:[4026531836]"), or 0. */
unsigned tp_ns_inode(const char *link);

/* The cgroup v2 path of /proc/PID/cgroup in the NUL-terminated @buf (cut in
 * place at its end of line), or NULL without a "0::" line. */
const char *tp_cgroup_v2(char *buf);

/* /proc/PID/cmdline, @n > 0 bytes read into @args of @cap bytes: NUL-ended
 * (a rewritten argv may lack its last NUL); sets @truncated when the read
 * filled @cap. Returns the new length; @argc gets the count of arguments. */
size_t tp_cmdline(char *args, size_t n, size_t cap, bool *truncated, unsigned *argc);

#endif
