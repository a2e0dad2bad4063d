/* SPDX-License-Identifier: GPL-2.0 */
/* Decoding of fork events (trace): the only place that knows struct ps_fork. */
#ifndef PROCSNOOP_FORK_EVENT_H
#define PROCSNOOP_FORK_EVENT_H

#include <stdbool.h>
#include "abi.h"
#include "lib/transport.h"

struct fork_view {
	const struct ps_fork *f;
	bool clone_parent; /* the parent is not the caller (CLONE_PARENT) */
};

/* Decode @ev; false if it is malformed. */
bool fork_view_init(struct fork_view *v, const struct ps_event *ev);

#endif
