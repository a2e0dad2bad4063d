// SPDX-License-Identifier: GPL-2.0
/* The exit object's hooks and their probes, shared by exit and trace (hooks_exit.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lib/bpfutil.h"
#include "lib/tool.h"
#include "tools/exit/hooks_exit.h"
#include "exit.skel.h"

void exit_kernel_probe(struct exit_kernel *k)
{
	/* group_dead is sched_process_exit's 2nd argument since 6.16; both
	 * from one BTF parse, freed before libbpf parses its own */
	k->switch_tp_nargs = ps_kernel_tp_nargs("sched_switch");
	k->exit_tp_nargs = ps_kernel_tp_nargs("sched_process_exit");
	ps_probe_btf_release();
}

/* Offset of "group_dead" in the classic tracepoint's record (6.16+), or 0. */
static unsigned int tp_group_dead_offset(void)
{
	static const char *const paths[] = {
		"/sys/kernel/tracing/events/sched/sched_process_exit/format",
		"/sys/kernel/debug/tracing/events/sched/sched_process_exit/format",
	};
	char line[256];
	unsigned int off = 0;

	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(paths[i], "r");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char *s = strstr(line, " group_dead;");

			if (s && (s = strstr(s, "offset:")) && sscanf(s, "offset:%u;", &off) == 1)
				break;
			off = 0;
		}
		fclose(f);
		return off < 256 ? off : 0;
	}
	return 0;
}

static int probe_tracefs(void *ctx, const struct ps_hook *h, char *why, size_t len)
{
	int err = ps_ensure_tracefs();

	if (err)
		snprintf(why, len, "needs tracefs, which cannot be mounted: %s", strerror(-err));
	return err;
}

/* prev_state is sched_switch's 4th argument since 5.18 */
static int probe_switch(void *ctx, const struct ps_hook *h, char *why, size_t len)
{
	const struct exit_kernel *k = ctx;

	if (k->switch_tp_nargs >= 4)
		return 0;
	snprintf(why, len, "tp_btf/sched_switch has no prev_state argument (Linux 5.18+)");
	return -EOPNOTSUPP;
}

const struct ps_hook_side exit_sides[EXIT_SIDE_NR] = {
	[EXIT_SIDE_EXIT] = { "sched_process_exit", false },
	/* the final switch-out completes CPU time; without it the tool still works */
	[EXIT_SIDE_CPU] = { "cpu-final", true },
};

const struct ps_hook exit_hooks[] = {
	{ "exit-btf", EXIT_SIDE_EXIT, { "btf_exit" } },
	{ "exit-raw", EXIT_SIDE_EXIT, { "raw_exit" } },
	{ "exit-tp", EXIT_SIDE_EXIT, { "tp_exit" }, 0, probe_tracefs },
	{ "switch-btf", EXIT_SIDE_CPU, { "btf_switch" }, 0, probe_switch },
	{ "switch-off", EXIT_SIDE_CPU, {} },
};

_Static_assert(sizeof(exit_hooks) / sizeof(exit_hooks[0]) == EXIT_NHOOKS,
	       "EXIT_NHOOKS is the number of exit_hooks");

/* the consumer of "pending" first, so no record waits for nothing */
const int exit_attach_order[EXIT_SIDE_NR] = { EXIT_SIDE_CPU, EXIT_SIDE_EXIT };

struct bpf_object *exit_hooks_open(struct exit_bpf **skel)
{
	*skel = exit_bpf__open();
	return *skel ? (*skel)->obj : NULL;
}

int exit_hooks_configure(struct exit_bpf *s, struct ps_tool *t, const struct exit_kernel *k,
			 const struct ps_hook *const *picked, bool test_live)
{
	int err = ps_tool_configure(t, s->obj, &s->rodata->ps_use_perf, &s->rodata->ps_boottime,
				    &s->rodata->filter_cg);

	if (err)
		return err;
	s->rodata->defer_to_switch = picked[EXIT_SIDE_CPU]->progs[0] != NULL;
	if (!strcmp(picked[EXIT_SIDE_EXIT]->name, "exit-tp")) {
		s->rodata->have_group_dead_arg = false;
		s->rodata->tp_group_dead_off = test_live ? 0 : tp_group_dead_offset();
	} else {
		s->rodata->have_group_dead_arg = !test_live && k->exit_tp_nargs >= 2;
	}
	return 0;
}

void exit_hooks_close(struct ps_tool *t, struct exit_bpf **skel)
{
	ps_tool_unload(t, *skel ? (*skel)->obj : NULL);
	exit_bpf__destroy(*skel);
	*skel = NULL;
}
