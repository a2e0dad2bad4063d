// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID/stat (src/lib/procstat.c): any bytes, and any comm. The input
 * is parsed as a whole stat file (must not crash), then used as the comm
 * of a well-formed line the kernel could write: whatever the comm holds
 * (')', spaces, newlines, "(x) Z 1 ..."), the state and start time read
 * back are the line's own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/procstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char states[] = "RSDZTtXIW";
	unsigned long long start = 0, want;
	char *buf, *line, state = 0, st;
	size_t n, c;

	/* as a whole file: an exact-size copy, so a read past it is ASan's */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	ps_proc_stat_parse(buf, size, &state, &start);
	free(buf);

	/* as the comm: the kernel keeps at most 15 bytes, but any length must work */
	c = size > 64 ? 64 : size;
	st = states[size % (sizeof(states) - 1)];
	want = size * 2654435761u;
	line = malloc(c + 512);
	if (!line)
		return 0;
	n = snprintf(line, 32, "%zu (", size);
	memcpy(line + n, data, c);
	n += c;
	n += snprintf(line + n, 400,
		      ") %c 1 2 3 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 %llu 1000 200 "
		      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
		      st, want);
	if (ps_proc_stat_parse(line, n, &state, &start) || state != st || start != want)
		abort();
	free(line);
	return 0;
}
