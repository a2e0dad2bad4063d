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

/* A duration option (@opt, e.g. "--min-duration"): ns, or a usage error. */
uint64_t opt_duration(const char *tool, const char *opt, const char *arg);

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

/*
 * The output options, every tool's (one parser, one help text):
 * -o/--output FILE, --output-max-size SIZE, --output-keep N, --output-queue
 * SIZE. A tool puts PS_OUTPUT_LONGOPTS in its getopt_long() table, "o:" in
 * its short options and PS_OUTPUT_HELP in its --help, and tries
 * ps_output_opt() before calling an option unknown. ps_tool_session()
 * applies them (lib/tool.c).
 */
enum { PS_O_OUTPUT_MAX = 0x4f00, PS_O_OUTPUT_KEEP, PS_O_OUTPUT_QUEUE };
/* clang-format off */
#define PS_OUTPUT_LONGOPTS						\
	{ "output", required_argument, NULL, 'o' },			\
	{ "output-max-size", required_argument, NULL, PS_O_OUTPUT_MAX },	\
	{ "output-keep", required_argument, NULL, PS_O_OUTPUT_KEEP },	\
	{ "output-queue", required_argument, NULL, PS_O_OUTPUT_QUEUE }
/* clang-format on */
#define PS_OUTPUT_HELP                                                                       \
	"  -o, --output FILE       write to FILE, not stdout: appended, created with mode\n" \
	"                          0600; SIGHUP reopens it (logrotate)\n"                    \
	"      --output-max-size SIZE  rotate FILE when it reaches SIZE (K, M, G)\n"         \
	"      --output-keep N     rotated files to keep: FILE.1 .. FILE.N (default 5)\n"    \
	"      --output-queue SIZE output not yet written, at most (default 64M); beyond,\n" \
	"                          lines are dropped and counted (output_dropped)\n"

struct ps_output_opts {
	const char *path;  /* -o; NULL: stdout */
	uint64_t max_size; /* 0: no rotation */
	unsigned int keep; /* 0: not given */
	uint64_t queue;	   /* 0: the default */
};
extern struct ps_output_opts ps_output;
/* One of the options above: parse it into ps_output and return true. */
bool ps_output_opt(const char *tool, int opt, const char *arg);

/* Usage error: "TOOL: MSG\nTry 'TOOL --help'." and exit(2). */
void usage_error(const char *tool, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
