/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exec object's hooks (exec.bpf.c), for every tool that loads that
 * object: exec, and trace beside its own. One table, so a hook added here
 * is a hook of both; each tool builds its ps_hookset from it under its own
 * name, which its messages and --hook say.
 */
#ifndef PROCSNOOP_HOOKS_EXEC_H
#define PROCSNOOP_HOOKS_EXEC_H

#include "lib/hooks.h"

struct exec_bpf;
struct ps_tool;

enum { EXEC_SIDE_SYS, EXEC_SIDE_EXEC, EXEC_SIDE_COMPAT, EXEC_SIDE_SCRIPT, EXEC_SIDE_NR };

/* the entries of exec_hooks (hooks_exec.c checks it at build time) */
#define EXEC_NHOOKS 11

extern const struct ps_hook_side exec_sides[EXEC_SIDE_NR];
/* in order of preference, per side */
extern const struct ps_hook exec_hooks[];

/* ps_loader_ops.open: the probes' BTF released, then the skeleton opened */
struct bpf_object *exec_hooks_open(struct exec_bpf **skel);
/*
 * ps_loader_ops.configure, the part every tool shares: the session's
 * buffers, then the rodata that follows from the kernel, the transport,
 * @t's cgroup filter and the @picked hooks. 0 or -errno; the tool then
 * sets its own filters.
 */
int exec_hooks_configure(struct exec_bpf *s, struct ps_tool *t,
			 const struct ps_hook *const *picked);
/* ps_loader_ops.close */
void exec_hooks_close(struct ps_tool *t, struct exec_bpf **skel);

#endif
