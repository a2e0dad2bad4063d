// SPDX-License-Identifier: GPL-2.0
/*
 * trace's /proc seeding parsers (src/tools/trace/procparse.c), on any bytes
 * (must not crash, each on an exact-size copy so a read past it is ASan's),
 * and with properties where the kernel writes the file around hostile data:
 * - stat: whatever the comm holds (')', spaces, newlines, "x) S 1 ..."), the
 *   state, ppid, utime, stime and start time read back are the line's own;
 * - status: a Name line holding the comm as the kernel escapes it never
 *   changes the Uid, Gid and NSpid values;
 * - cgroup: a v1 line with any path before the v2 line: the v2 path;
 * - cmdline: NUL-ended, within the buffer, argc its NUL count.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/trace/procparse.h"

static char *dupz(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = 0;
	}
	return s;
}

static void any_bytes(const uint8_t *data, size_t size)
{
	struct proc_stat st;
	unsigned argc;
	bool trunc;
	char *s = dupz(data, size);

	if (!s)
		return;
	tp_parse_stat(s, &st);
	tp_status_field(s, "\nUid:", 1, 0);
	tp_status_field(s, "\nNSpid:", -1, 0);
	tp_ns_inode(s);
	tp_cgroup_v2(s);
	free(s);
	if (size) {
		/* cmdline: the exact buffer the tool reads into (n == cap) */
		s = malloc(size);
		if (!s)
			return;
		memcpy(s, data, size);
		if (tp_cmdline(s, size, size, &trunc, &argc) > size || s[size - 1] != 0)
			abort();
		free(s);
	}
}

static void stat_comm(const uint8_t *data, size_t size)
{
	static const char states[] = "RSDZTtXIW";
	unsigned long long want = size * 2654435761u;
	size_t c = size > 64 ? 64 : size, n;
	struct proc_stat st;
	char line[600];
	char st_c = states[size % (sizeof(states) - 1)];

	n = snprintf(line, 32, "%zu (", size);
	memcpy(line + n, data, c);
	n += c;
	snprintf(line + n, 400,
		 ") %c %u 2 3 0 -1 4194560 100 0 0 0 %llu %llu 0 0 20 0 1 0 %llu 1000 200 "
		 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
		 st_c, (unsigned)size + 7, want + 1, want + 2, want);
	/* a NUL in the comm: the kernel never writes one, the line ends there */
	if (memchr(data, 0, c))
		return;
	if (!tp_parse_stat(line, &st) || st.state != st_c || st.ppid != size + 7 ||
	    st.utime != want + 1 || st.stime != want + 2 || st.start_ticks != want)
		abort();
}

static void status_name(const uint8_t *data, size_t size)
{
	char *buf = malloc(4 * size + 256), *p;
	size_t c;

	if (!buf)
		return;
	p = buf + sprintf(buf, "Name:\t");
	/* proc_task_name(): seq_escape_str(comm, ESCAPE_SPACE | ESCAPE_SPECIAL, "\n\\") */
	for (c = 0; c < size && data[c]; c++) {
		if (data[c] == '\n' || data[c] == '\\' || data[c] == '\t')
			p += sprintf(p, "\\%c",
				     data[c] == '\n' ? 'n' :
				     data[c] == '\t' ? 't' :
						       '\\');
		else
			*p++ = data[c];
	}
	sprintf(p,
		"\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nNgid:\t0\nPid:\t42\n"
		"PPid:\t1\nTracerPid:\t0\nUid:\t%u\t%u\t3\t4\nGid:\t5\t6\t7\t8\n"
		"FDSize:\t64\nNSpid:\t42\t%u\nNSpgid:\t42\t9\n",
		(unsigned)size, (unsigned)size + 1, (unsigned)size + 2);
	if (tp_status_field(buf, "\nUid:", 0, 99) != size ||
	    tp_status_field(buf, "\nUid:", 1, 99) != size + 1 ||
	    tp_status_field(buf, "\nGid:", 0, 99) != 5 ||
	    tp_status_field(buf, "\nNSpid:", -1, 99) != size + 2)
		abort();
	free(buf);
}

static void cgroup_v1(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 64), *p = buf;
	const char *got;
	size_t c;

	if (!buf)
		return;
	p += sprintf(p, "4:cpu:/");
	/* the kernel writes a v1 path with no newline in it (names cannot hold one) */
	for (c = 0; c < size && data[c]; c++)
		*p++ = data[c] == '\n' ? '_' : data[c];
	sprintf(p, "\n0::/v2/path\n");
	got = tp_cgroup_v2(buf);
	if (!got || strcmp(got, "/v2/path"))
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	any_bytes(data, size);
	stat_comm(data, size);
	status_name(data, size);
	cgroup_v1(data, size);
	return 0;
}
