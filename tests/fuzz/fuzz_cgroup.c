// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup path parser (ps_cgroup_parse, src/lib/cgroup.c): any bytes.
 * A container found has a runtime name and an id that is a string taken
 * from the path; the ids are always terminated inside their arrays.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	struct ps_container c;
	bool found;

	if (!p)
		return 0;
	memcpy(p, data, size);
	found = ps_cgroup_parse(p, size, &c);
	if (!memchr(c.id, 0, sizeof(c.id)) || !memchr(c.pod_uid, 0, sizeof(c.pod_uid)))
		abort();
	if (c.runtime != PS_RT_NONE) {
		if (!found || !ps_runtime_name(c.runtime) || !c.id[0])
			abort();
		if (!memmem(p, size, c.id, strlen(c.id)))
			abort();
	} else if (c.id[0]) {
		abort();
	}
	if (!found && c.pod_uid[0])
		abort();
	free(p);
	return 0;
}
