/* SPDX-License-Identifier: GPL-2.0 */
/* Strict parsing of option values: whole string, in range, or an error message. */
#ifndef PROCSNOOP_OPTS_H
#define PROCSNOOP_OPTS_H

#include <stdbool.h>
#include <stdint.h>

/* The largest pid a pid option accepts: the kernel's FUTEX_TID_MASK (pid_max
 * itself is at most 4M, but a bigger number is "no such process", not a typo). */
#define PS_PID_MAX 0x3fffffff

/* Decimal unsigned integer in [min, max]. 0 or -EINVAL/-ERANGE. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A size: "4096", "64k", "1M", "2MiB" (binary units). */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A duration: "10ms", "2s", "1.5s", "500us", "100ns", "3m", "1h"; bare number = ms. */
int parse_duration(const char *s, uint64_t *out_ns);
/* A uid: a number, or a user name resolved from /etc/passwd (no NSS: static binary). */
int parse_uid(const char *s, uint32_t *out);

/* --buffer-size: a power of two from 64K to 1G, or a usage error. */
uint64_t opt_buffer_size(const char *tool, const char *arg);

/*
 * A filter's value, given at most once and not empty: keeping the last of
 * two silently would trace what was not asked for, and an empty one is no
 * filter at all. @opt: "--cgroup"; @prev: the value given before, or NULL;
 * @what: "PATH" (for the message). Returns @arg, or a usage error.
 */
const char *opt_once(const char *tool, const char *opt, const char *prev, const char *arg,
		     const char *what);
/* -n/--name: opt_once(), and no longer than a comm (else it never matches). */
const char *opt_comm(const char *tool, const char *prev, const char *arg);

/* Usage error: "TOOL: MSG\nTry 'TOOL --help'." and exit(2). */
void usage_error(const char *tool, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
