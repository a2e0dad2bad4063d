/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every tool's run shares, around its hook table and its own
 * callbacks: the session, the loaded hooks, the cgroup filter of -c or
 * --container, and the source its records come from. A tool embeds one
 * and calls these from its loader callbacks and its cmd_NAME().
 */
#ifndef PROCSNOOP_TOOL_H
#define PROCSNOOP_TOOL_H

#include <stdbool.h>
#include "lib/hooks.h"
#include "lib/session.h"

struct ps_groups;

struct ps_tool {
	const char *prog; /* for messages */
	struct ps_session *sess;
	struct ps_loaded loaded;
	int cgfd;	       /* the cgroup filter's directory, or -1 */
	const size_t *rec_len; /* PS_REC_NR entries: the record types it reads */
	ps_event_fn on_event;
	void *ev_ctx;
	struct ps_groups *groups; /* --metrics: the per-comm aggregates, or NULL */
};

/* -c PATH (absolute, or below the cgroup2 mount) or --container ID: open
 * the filter's cgroup. 0, or 1 after one line on stderr. Either may be NULL. */
int ps_tool_filter(struct ps_tool *t, const char *cgroup, const char *container);
/* -o FILE opened (lib/opts.h), the session, and
 * --metrics's socket (bound now: before any privilege drop); 0, or -errno
 * after a message. */
int ps_tool_session(struct ps_tool *t, const struct ps_session_cfg *cfg);
/* ps_loader_ops.configure's first step, the same for every object: the
 * session's buffers, then common.bpf.h's rodata, through pointers into the
 * object's skeleton (whose rodata type is its own). 0 or -errno. */
int ps_tool_configure(struct ps_tool *t, struct bpf_object *obj, bool *use_perf, bool *boottime,
		      bool *filter_cg);
/* ps_loader_ops.loaded: point the cgroup filter at cgfd, open the buffers. */
int ps_tool_loaded(struct ps_tool *t, struct bpf_object *obj);
/* ps_loader_ops.close, before the object is destroyed (NULL: none yet). */
void ps_tool_unload(struct ps_tool *t, struct bpf_object *obj);
/* Events go to @json_sink with --json, else to @table_sink. */
void ps_tool_sinks(struct ps_tool *t, bool json, const struct ps_sink *json_sink,
		   const struct ps_sink *table_sink);
/*
 * --metrics: per-comm aggregates (lib/groups.h) of what the tool emits, of
 * the kinds @what (PS_GROUPS_*); @feed turns each emitted view into
 * ps_groups_*() calls. Nothing without --metrics. 0, or -ENOMEM after a message.
 */
int ps_tool_groups(struct ps_tool *t, unsigned int what,
		   void (*feed)(struct ps_groups *g, int kind, const void *view));
/* Detach, free the session, close the filter (the object is the tool's). */
void ps_tool_end(struct ps_tool *t);

#endif
