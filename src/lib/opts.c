// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "lib/opts.h"
#include "lib/transport.h"

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Number with optional fraction, then a unit looked up in @units. */
static int parse_scaled(const char *s, const char *const *names, const uint64_t *mult,
			uint64_t dflt, uint64_t *out)
{
	const char *q;
	char *end;
	double v, x;
	int dots = 0, digits = 0;

	if (!s)
		return -EINVAL;
	/* Plain decimal only: strtod would also take "1e3", "0x10", "infinity". */
	for (q = s; isdigit((unsigned char)*q) || *q == '.'; q++) {
		dots += *q == '.';
		digits += *q != '.';
	}
	if (!digits || dots > 1 || (*q && !isalpha((unsigned char)*q)))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || v < 0 || end != q)
		return -EINVAL;
	uint64_t m = 0;
	if (!*end) {
		m = dflt;
	} else {
		for (int i = 0; names[i]; i++)
			if (!strcasecmp(end, names[i])) {
				m = mult[i];
				break;
			}
	}
	if (!m)
		return -EINVAL;
	x = v * (double)m;
	if (x > 1.8e19)
		return -ERANGE;
	/* a fraction of the unit is fine ("1.5k"), a fraction of a byte or ns is not */
	if (x - (double)(uint64_t)(x + 0.5) > 1e-6 || (double)(uint64_t)(x + 0.5) - x > 1e-6)
		return -EINVAL;
	*out = (uint64_t)(x + 0.5);
	return 0;
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	static const char *const names[] = { "b",  "k",	  "kb", "kib", "m",
					     "mb", "mib", "g",	"gib", NULL };
	static const uint64_t mult[] = { 1,	     1ull << 10, 1ull << 10, 1ull << 10, 1ull << 20,
					 1ull << 20, 1ull << 20, 1ull << 30, 1ull << 30 };
	uint64_t v;
	int err = parse_scaled(s, names, mult, 1, &v);

	if (err)
		return err;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_duration(const char *s, uint64_t *out)
{
	static const char *const names[] = { "ns", "us", "ms", "s", "m", "min", "h", NULL };
	static const uint64_t mult[] = {
		1, 1000, 1000000, 1000000000ull, 60000000000ull, 60000000000ull, 3600000000000ull
	};

	return parse_scaled(s, names, mult, 1000000, out);
}

int parse_uid(const char *s, uint32_t *out)
{
	uint64_t v;
	char line[1024];
	FILE *f;

	if (parse_u64(s, 0, 0xfffffffeu, &v) == 0) {
		*out = v;
		return 0;
	}
	if (!s || !*s || strchr(s, ':'))
		return -EINVAL;
	f = fopen("/etc/passwd", "r");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2, *c3;

		if (!c1 || (size_t)(c1 - line) != strlen(s) || strncmp(line, s, c1 - line))
			continue;
		if (!(c2 = strchr(c1 + 1, ':')) || !(c3 = strchr(c2 + 1, ':')))
			break;
		*c3 = 0;
		fclose(f);
		return parse_u64(c2 + 1, 0, 0xfffffffeu, &v) ? -EINVAL : (*out = v, 0);
	}
	fclose(f);
	return -ENOENT;
}

uint64_t opt_buffer_size(const char *tool, const char *arg)
{
	uint64_t v;

	if (parse_size(arg, PS_BUFFER_MIN, PS_BUFFER_MAX, &v) || (v & (v - 1)))
		usage_error(tool,
			    "invalid --buffer-size '%s': expected a power of two from 64K to 1G",
			    arg);
	return v;
}

uint64_t opt_duration(const char *tool, const char *opt, const char *arg)
{
	uint64_t v;

	if (parse_duration(arg, &v))
		usage_error(tool, "invalid %s '%s': expected a duration like 10ms, 2s, 1.5m", opt,
			    arg);
	return v;
}

const char *opt_once(const char *tool, const char *opt, const char *prev, const char *arg,
		     const char *what)
{
	if (!*arg)
		usage_error(tool, "%s needs a non-empty %s", opt, what);
	if (prev)
		usage_error(tool, "%s given twice ('%s', '%s'): give one %s", opt, prev, arg, what);
	return arg;
}

const char *opt_comm(const char *tool, const char *prev, const char *arg)
{
	if (*arg && strlen(arg) > PS_TASK_COMM_LEN - 1)
		usage_error(
			tool,
			"--name '%s' can never match: a process name (comm) is at most %d bytes",
			arg, PS_TASK_COMM_LEN - 1);
	return opt_once(tool, "--name", prev, arg, "NAME");
}

struct ps_output_opts ps_output;

bool ps_output_opt(const char *tool, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case 'o':
		ps_output.path = opt_once(tool, "--output", ps_output.path, arg, "FILE");
		return true;
	case PS_O_OUTPUT_MAX:
		if (parse_size(arg, 4096, 1ull << 50, &v))
			usage_error(tool,
				    "invalid --output-max-size '%s': expected a size of at least "
				    "4K (e.g. 100M, 1G)",
				    arg);
		ps_output.max_size = v;
		return true;
	case PS_O_OUTPUT_KEEP:
		if (parse_u64(arg, 1, 1000, &v))
			usage_error(tool,
				    "invalid --output-keep '%s': expected a number from 1 to 1000",
				    arg);
		ps_output.keep = v;
		return true;
	case PS_O_OUTPUT_QUEUE:
		if (parse_size(arg, 64 << 10, 1ull << 40, &v))
			usage_error(tool,
				    "invalid --output-queue '%s': expected a size of at least 64K "
				    "(e.g. 64M)",
				    arg);
		ps_output.queue = v;
		return true;
	}
	return false;
}

void usage_error(const char *tool, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", tool);
	exit(2);
}
