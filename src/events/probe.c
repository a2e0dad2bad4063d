// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "events/probe.h"

bool probe_view_init(struct probe_view *v, const struct ps_event *ev,
		     const struct probe_spec *specs, int nspecs)
{
	const struct ps_probe *e = ev->rec;
	size_t off = 0;

	memset(v, 0, sizeof(*v));
	if (ev->rec_len < sizeof(*e) || e->probe >= (uint32_t)nspecs || e->nargs > PS_PROBE_NARGS)
		return false;
	v->e = e;
	v->spec = &specs[e->probe];
	v->incomplete = ev->incomplete;
	for (int i = 0; i < PS_PROBE_NVALS; i++) {
		if (!(v->spec->str_mask & (1u << i)))
			continue;
		if (e->str_len[i] > ev->data_len - off)
			return false;
		v->str[i] = ev->data + off;
		v->str_len[i] = e->str_len[i];
		off += e->str_len[i];
	}
	return true;
}
