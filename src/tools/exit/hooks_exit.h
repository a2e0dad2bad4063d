/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit object's hooks (exit.bpf.c), for every tool that loads that
 * object: exit, and trace beside its own. One table, so a hook added here
 * is a hook of both; each tool builds its ps_hookset from it under its own
 * name, which its messages and --hook say.
 */
#ifndef PROCSNOOP_HOOKS_EXIT_H
#define PROCSNOOP_HOOKS_EXIT_H

#include <stdbool.h>
#include "lib/hooks.h"

struct exit_bpf;
struct ps_tool;

enum { EXIT_SIDE_EXIT, EXIT_SIDE_CPU, EXIT_SIDE_NR };

/* the entries of exit_hooks (hooks_exit.c checks it at build time) */
#define EXIT_NHOOKS 5

extern const struct ps_hook_side exit_sides[EXIT_SIDE_NR];
/* in order of preference, per side */
extern const struct ps_hook exit_hooks[];
/* ps_hookset.attach_order */
extern const int exit_attach_order[EXIT_SIDE_NR];

/*
 * What the hooks' probes and the rodata need of the kernel. The ctx a tool
 * gives ps_hooks_load() with exit_hooks starts with one (the probes read
 * it there).
 */
struct exit_kernel {
	int exit_tp_nargs;   /* sched_process_exit's arguments (BTF), -1 unknown */
	int switch_tp_nargs; /* sched_switch's */
};

/* Fill @k, before loading. */
void exit_kernel_probe(struct exit_kernel *k);
/* ps_loader_ops.open */
struct bpf_object *exit_hooks_open(struct exit_bpf **skel);
/*
 * ps_loader_ops.configure, the part every tool shares: the session's
 * buffers, then the rodata that follows from the kernel @k, the transport,
 * @t's cgroup filter and the @picked hooks; @test_live: the last thread by
 * the live count, whatever the tracepoint says (exit --test-live). 0 or
 * -errno; the tool then sets its own filters.
 */
int exit_hooks_configure(struct exit_bpf *s, struct ps_tool *t, const struct exit_kernel *k,
			 const struct ps_hook *const *picked, bool test_live);
/* ps_loader_ops.close */
void exit_hooks_close(struct ps_tool *t, struct exit_bpf **skel);

#endif
