/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/PID/stat, parsed once for every tool: "PID (COMM) STATE PPID ...".
 * COMM is whatever the process set (prctl, a file name): spaces, ')' and
 * newlines included, so the fields start after the last ')'. Pure: any
 * bytes are safe (tests/fuzz/fuzz_procstat.c).
 */
#ifndef PROCSNOOP_PROCSTAT_H
#define PROCSNOOP_PROCSTAT_H

#include <stddef.h>

/* The state (field 3) and start time (field 22, clock ticks) of the @n bytes
 * at @buf (no NUL needed). 0, or -EINVAL if they are not there. */
int ps_proc_stat_parse(const char *buf, size_t n, char *state, unsigned long long *starttime);

/* The same for /proc/@pid/stat; -errno if unreadable (-ENOENT: gone). */
int ps_proc_stat(int pid, char *state, unsigned long long *starttime);

#endif
