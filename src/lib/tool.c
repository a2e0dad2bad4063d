// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/bpfutil.h"
#include "lib/cgroup.h"
#include "lib/groups.h"
#include "lib/metrics.h"
#include "lib/opts.h"
#include "lib/out.h"
#include "lib/tool.h"
#include "lib/transport.h"

int ps_tool_filter(struct ps_tool *t, const char *cgroup, const char *container)
{
	char err[256];

	t->cgfd = -1;
	if (cgroup) {
		t->cgfd = ps_open_cgroup(cgroup, err, sizeof(err));
		if (t->cgfd < 0) {
			fprintf(stderr, "%s: --cgroup: %s\n", t->prog, err);
			return 1;
		}
	}
	if (container && (t->cgfd = ps_container_open(container, t->prog)) < 0)
		return 1;
	return 0;
}

/* -o FILE, before anything is loaded: a bad FILE fails at once. */
static int output_setup(struct ps_tool *t)
{
	const struct ps_output_opts *o = &ps_output;
	bool file = o->path && strcmp(o->path, "-");

	if ((o->max_size || o->keep) && !file)
		usage_error(t->prog, "--output-max-size and --output-keep rotate the file of "
				     "-o FILE: give one");
	if (o->keep && !o->max_size)
		usage_error(t->prog, "--output-keep needs --output-max-size (or rotate with "
				     "logrotate, which sends SIGHUP)");
	if (o->queue)
		out_set_queue(o->queue);
	/* the writer thread starts after the privilege drop (ps_session_run) */
	return file && out_output_open(o->path, o->max_size, o->keep) ? -EIO : 0;
}

int ps_tool_session(struct ps_tool *t, const struct ps_session_cfg *cfg)
{
	int err = output_setup(t);

	if (err)
		return err;
	t->sess = ps_session_new(cfg);
	if (!t->sess) {
		fprintf(stderr, "%s: out of memory\n", t->prog);
		return -ENOMEM;
	}
	return ps_metrics_listen(t->prog) ? -EADDRNOTAVAIL : 0;
}

struct groups_sink {
	struct ps_groups *g;
	void (*feed)(struct ps_groups *g, int kind, const void *view);
};

static void groups_event(void *ctx, int kind, const void *view)
{
	struct groups_sink *gs = ctx;

	gs->feed(gs->g, kind, view);
}

int ps_tool_groups(struct ps_tool *t, unsigned int what,
		   void (*feed)(struct ps_groups *g, int kind, const void *view))
{
	static struct groups_sink gs;

	if (!ps_metrics_enabled())
		return 0;
	t->groups = ps_groups_new(what);
	if (!t->groups) {
		fprintf(stderr, "%s: out of memory\n", t->prog);
		return -ENOMEM;
	}
	gs = (struct groups_sink){ t->groups, feed };
	ps_metrics_collector(&(struct ps_collector){ .snap = ps_groups_snap,
						     .render = ps_groups_collect,
						     .drop = (void (*)(void *))ps_groups_free,
						     .ctx = t->groups });
	return ps_session_sink(t->sess, &(struct ps_sink){ .event = groups_event, .ctx = &gs });
}

int ps_tool_configure(struct ps_tool *t, struct bpf_object *obj, bool *use_perf, bool *boottime,
		      bool *filter_cg)
{
	int err = ps_session_prepare(t->sess, obj);

	if (err)
		return err;
	*use_perf = ps_session_kind(t->sess) == PS_TRANSPORT_PERF;
	*boottime = ps_kernel_has_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_ktime_get_boot_ns);
	*filter_cg = t->cgfd >= 0;
	return 0;
}

int ps_tool_loaded(struct ps_tool *t, struct bpf_object *obj)
{
	int err = t->cgfd >= 0 ? ps_cgroup_filter_set(obj, t->cgfd, t->prog) : 0;

	return err ? err : ps_session_add(t->sess, obj, t->rec_len, t->on_event, t->ev_ctx);
}

void ps_tool_unload(struct ps_tool *t, struct bpf_object *obj)
{
	if (obj && t->sess)
		ps_session_remove(t->sess, obj);
}

void ps_tool_sinks(struct ps_tool *t, bool json, const struct ps_sink *json_sink,
		   const struct ps_sink *table_sink)
{
	ps_session_sink(t->sess, json ? json_sink : table_sink);
}

void ps_tool_end(struct ps_tool *t)
{
	ps_loaded_detach(&t->loaded);
	ps_session_free(t->sess);
	t->sess = NULL;
	ps_groups_free(t->groups);
	t->groups = NULL;
	if (t->cgfd >= 0)
		close(t->cgfd);
	t->cgfd = -1;
}
