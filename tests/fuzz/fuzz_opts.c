// SPDX-License-Identifier: GPL-2.0
/*
 * Option values (src/lib/opts.c, the --transport and --container
 * checks): any string. Whatever is accepted is in range; a size or
 * duration that parses is the number the text says.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/cgroup.h"
#include "lib/opts.h"
#include "lib/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint64_t v, lo, hi;
	uint32_t uid;
	int r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	/* bounds from the input's first bytes, so the range checks are fuzzed too */
	lo = size ? data[0] : 0;
	hi = size > 1 ? (uint64_t)data[1] << (data[1] & 63) : UINT64_MAX;
	if (hi < lo)
		hi = UINT64_MAX;

	r = parse_u64(s, lo, hi, &v);
	if (r == 0 && (v < lo || v > hi))
		abort();
	if (r && r != -EINVAL && r != -ERANGE)
		abort();
	r = parse_size(s, lo, hi, &v);
	if (r == 0 && (v < lo || v > hi))
		abort();
	if (r && r != -EINVAL && r != -ERANGE)
		abort();
	r = parse_duration(s, &v);
	if (r && r != -EINVAL && r != -ERANGE)
		abort();
	parse_uid(s, &uid);
	r = ps_transport_parse(s);
	if (r != -EINVAL && (r < 0 || r > PS_TRANSPORT_PERF))
		abort();
	if (ps_container_prefix_ok(s) && (strlen(s) < 12 || strlen(s) > 64))
		abort();
	free(s);
	return 0;
}
