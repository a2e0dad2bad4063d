// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "events/fork.h"

bool fork_view_init(struct fork_view *v, const struct ps_event *ev)
{
	const struct ps_fork *f = ev->rec;

	memset(v, 0, sizeof(*v));
	if (ev->rec_len < sizeof(*f) || f->hdr.type != PS_REC_FORK || !f->id.pid)
		return false;
	v->f = f;
	v->clone_parent = f->fflags & PS_FORK_CLONE_PARENT;
	return true;
}
