// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/procstat.h"

int ps_proc_stat_parse(const char *buf, size_t n, char *state, unsigned long long *starttime)
{
	const char *p = memrchr(buf, ')', n), *end = buf + n;
	unsigned long long v = 0;
	int field = 2; /* the ')' ends field 2, comm */

	if (!p)
		return -EINVAL;
	p++;
	while (p < end) {
		if (*p != ' ')
			return -EINVAL; /* one space between fields, as the kernel writes */
		p++;
		field++;
		if (p >= end || *p == ' ' || *p == '\n')
			return -EINVAL;
		if (field == 3) {
			*state = *p;
		} else if (field == 22) {
			for (v = 0; p < end && *p >= '0' && *p <= '9'; p++) {
				if (v > (~0ull - 9) / 10)
					return -EINVAL;
				v = v * 10 + (*p - '0');
			}
			if (p < end && *p != ' ' && *p != '\n')
				return -EINVAL;
			*starttime = v;
			return 0;
		}
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (p < end && *p == '\n')
			break;
	}
	return -EINVAL;
}

int ps_proc_stat(int pid, char *state, unsigned long long *starttime)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	return ps_proc_stat_parse(buf, n, state, starttime);
}
