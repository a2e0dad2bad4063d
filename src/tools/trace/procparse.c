// SPDX-License-Identifier: GPL-2.0
/* trace's /proc parsers (procparse.h): pure, any bytes are safe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/trace/procparse.h"

bool tp_parse_stat(const char *buf, struct proc_stat *st)
{
	unsigned long long ut, stt, start;
	const char *p, *q;
	unsigned ppid;
	size_t n;

	/* the comm is anything the process set: the fields start after the last ')' */
	p = strchr(buf, '(');
	q = strrchr(buf, ')');
	if (!p || !q || q < p)
		return false;
	n = q - p - 1;
	memset(st->comm, 0, sizeof(st->comm));
	memcpy(st->comm, p + 1, n < sizeof(st->comm) - 1 ? n : sizeof(st->comm) - 1);
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
	 * cutime cstime priority nice threads itrealvalue starttime */
	if (sscanf(q + 1,
		   " %c %u %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu %*s %*s %*s %*s %*s %*s"
		   " %llu",
		   &st->state, &ppid, &ut, &stt, &start) != 5)
		return false;
	st->ppid = ppid;
	st->start_ticks = start;
	st->utime = ut;
	st->stime = stt;
	return true;
}

unsigned tp_status_field(const char *status, const char *name, int idx, unsigned dflt)
{
	const char *p = strstr(status, name);
	unsigned v = dflt;
	int i = 0;

	if (!p)
		return dflt;
	p += strlen(name);
	/* values of this line only: a blank never lets the scan run into the next one */
	for (;;) {
		unsigned long x;
		char *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			break;
		x = strtoul(p, &end, 10);
		if (idx < 0 || i == idx)
			v = x > 0xffffffffUL ? dflt : (unsigned)x;
		if (i++ == idx)
			break;
		p = end;
	}
	return v;
}

unsigned tp_ns_inode(const char *link)
{
	const char *b = strchr(link, '[');
	unsigned v = 0;

	if (sscanf(b ? b + 1 : link, "%u", &v) != 1)
		v = 0;
	return v;
}

const char *tp_cgroup_v2(char *buf)
{
	char *p = strstr(buf, "0::"), *nl;

	/* the v2 line: "0::/path", at the start of a line */
	while (p && p != buf && p[-1] != '\n')
		p = strstr(p + 1, "0::");
	if (!p)
		return NULL;
	p += 3;
	nl = strchr(p, '\n');
	if (nl)
		*nl = 0;
	return p;
}

size_t tp_cmdline(char *args, size_t n, size_t cap, bool *truncated, unsigned *argc)
{
	*truncated = false;
	/* a rewritten argv may lack its last NUL */
	if (args[n - 1] != 0) {
		if (n == cap) {
			n--;
			*truncated = true;
		}
		args[n++] = 0;
	}
	*argc = 0;
	for (size_t i = 0; i < n; i++)
		*argc += args[i] == 0;
	return n;
}
