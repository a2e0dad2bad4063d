/* SPDX-License-Identifier: GPL-2.0 */
/* Decoding of exit events: the only place that knows struct ps_exit (printing: print/exit.c). */
#ifndef PROCSNOOP_EXIT_EVENT_H
#define PROCSNOOP_EXIT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"
#include "lib/transport.h"

struct exit_view {
	const struct ps_exit *e;
	bool process;  /* the process's exit (else one thread's, -T) */
	int exit_code; /* 0-255, or -1 when killed by a signal */
	int signal;    /* 0 when none */
	bool core_dumped;
	uint64_t duration_ns;
	uint64_t cpu_user_ns, cpu_sys_ns;
	uint64_t max_rss_kb;
	bool cpu_approx; /* thread list raced or too long */
};

/* Decode @ev; false if malformed. @page_size: bytes per page (RSS is sent in pages). */
bool exit_view_init(struct exit_view *v, const struct ps_event *ev, uint64_t page_size);

/*
 * Split @rtime (precise CPU ns) into user and system in the ratio of the
 * tick-sampled @utime:@stime, as getrusage() and wait4() do
 * (cputime_adjust() in kernel/sched/cputime.c). 128-bit: an hour of CPU
 * in ns squared overflows 64 bits.
 */
void exit_cputime_split(uint64_t rtime, uint64_t utime, uint64_t stime, uint64_t *user,
			uint64_t *sys);

/* wait(2) status as the EXIT_CODE column: "0", "code 3", "signal 9 (KILL)",
 * "signal 11 (SEGV), core dumped". Returns the length (cut at @cap - 1). */
size_t exit_fmt_status(char *buf, size_t cap, uint32_t status);

/* "KILL" for 9, NULL if unknown; real-time signals as bash names them:
 * 34 "RTMIN", 35-49 "RTMIN+n", 50-63 "RTMAX-n", 64 "RTMAX". */
const char *exit_signal_name(int sig, char *buf, size_t cap);

#endif
