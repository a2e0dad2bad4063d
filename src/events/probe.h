/* SPDX-License-Identifier: GPL-2.0 */
/* Decoding of probe hits: the only place that knows struct ps_probe's data (printing: print/probe.c). */
#ifndef PROCSNOOP_PROBE_EVENT_H
#define PROCSNOOP_PROBE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"
#include "lib/transport.h"
#include "tools/probe/spec.h"

struct probe_view {
	const struct ps_probe *e;
	const struct probe_spec *spec;
	const uint8_t *str[PS_PROBE_NVALS]; /* string values (str_mask), into the data */
	size_t str_len[PS_PROBE_NVALS];
	bool incomplete;
};

/* Decode @ev against the specs it may come from; false if malformed (never trusted). */
bool probe_view_init(struct probe_view *v, const struct ps_event *ev,
		     const struct probe_spec *specs, int nspecs);

#endif
