// SPDX-License-Identifier: GPL-2.0
/* The exec object's hooks and their probes, shared by exec and trace (hooks_exec.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include "lib/bpfutil.h"
#include "lib/tool.h"
#include "tools/exec/hooks_exec.h"
#include "exec.skel.h"

static int probe_fentry(void *ctx, const struct ps_hook *h, char *why, size_t len)
{
	char name[64];
	int err;

	snprintf(name, sizeof(name), "%sexecve", ps_syscall_prefix());
	err = ps_kernel_can_fentry(name);
	if (err)
		snprintf(why, len, "the kernel refuses fentry on %s: %s", name,
			 ps_bpf_strerror(-err));
	return err;
}

static int probe_tracefs(void *ctx, const struct ps_hook *h, char *why, size_t len)
{
	int err = ps_ensure_tracefs();

	if (err)
		snprintf(why, len, "tracefs is not mounted and mounting it failed: %s",
			 strerror(-err));
	return err;
}

/* fentry/fexit attach to the architecture's syscall wrappers */
static int prepare_fentry(void *ctx, struct bpf_object *obj, const struct ps_hook *h)
{
	static const char *const progs[][2] = {
		{ "fentry_execve", "execve" },
		{ "fexit_execve", "execve" },
		{ "fentry_execveat", "execveat" },
		{ "fexit_execveat", "execveat" },
	};
	char target[128];

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, progs[i][0]);
		int err;

		snprintf(target, sizeof(target), "%s%s", ps_syscall_prefix(), progs[i][1]);
		err = p ? bpf_program__set_attach_target(p, 0, target) : -ENOENT;
		if (err)
			return err;
	}
	return 0;
}

/* The i386 ABI's execve/execveat on x86-64 (see exec.bpf.c, compat side). */
static const char *const compat_funcs[] = { "__ia32_compat_sys_execve",
					    "__ia32_compat_sys_execveat" };

#ifdef __aarch64__
#define PS_NO_COMPAT_WHY "AArch32 (compat) execs are not traced on arm64"
#else
#define PS_NO_COMPAT_WHY "32-bit (compat) execs are handled on x86-64 only"
#endif

/* Does the kernel run 32-bit programs at all? Its ia32 execve says so. */
static int compat_abi(char *why, size_t len)
{
#ifdef __x86_64__
	for (size_t i = 0; i < sizeof(compat_funcs) / sizeof(compat_funcs[0]); i++) {
		if (!ps_kernel_has_func(compat_funcs[i])) {
			snprintf(why, len,
				 "no IA32 emulation in this kernel (no %s in its BTF): "
				 "no 32-bit execs to see",
				 compat_funcs[i]);
			return -ENOENT;
		}
	}
	return 0;
#else
	/* AArch32 on arm64: not traced (README "arm64") */
	snprintf(why, len, "%s", PS_NO_COMPAT_WHY);
	return -EOPNOTSUPP;
#endif
}

static int probe_compat_fentry(void *ctx, const struct ps_hook *h, char *why, size_t len)
{
	int err = compat_abi(why, len);

	for (size_t i = 0; !err && i < sizeof(compat_funcs) / sizeof(compat_funcs[0]); i++) {
		err = ps_kernel_can_fentry(compat_funcs[i]);
		if (err)
			snprintf(why, len, "the kernel refuses fentry on %s: %s", compat_funcs[i],
				 ps_bpf_strerror(-err));
	}
	return err;
}

static int probe_compat_raw(void *ctx, const struct ps_hook *h, char *why, size_t len)
{
	return compat_abi(why, len);
}

/* fexit on load_script(): the #! script's own file for exe (exec.bpf.c) */
static int probe_script(void *ctx, const struct ps_hook *h, char *why, size_t len)
{
	int err = ps_kernel_can_fentry("load_script");

	if (err)
		snprintf(why, len,
			 "the kernel refuses fexit on load_script: %s (a #! script's exe is "
			 "derived from its filename)",
			 ps_bpf_strerror(-err));
	return err;
}

const struct ps_hook_side exec_sides[EXEC_SIDE_NR] = {
	[EXEC_SIDE_SYS] = { "syscall-side", true },
	[EXEC_SIDE_EXEC] = { "exec-side", true },
	[EXEC_SIDE_COMPAT] = { "compat-side", true },
	[EXEC_SIDE_SCRIPT] = { "script-side", true },
};

/* In order of preference, per side. */
const struct ps_hook exec_hooks[] = {
	{ "fentry",
	  EXEC_SIDE_SYS,
	  { "fentry_execve", "fentry_execveat", "fexit_execve", "fexit_execveat" },
	  0,
	  probe_fentry,
	  prepare_fentry },
	{ "sys-tp",
	  EXEC_SIDE_SYS,
	  { "tp_enter_execve", "tp_enter_execveat", "tp_exit_execve", "tp_exit_execveat" },
	  0,
	  probe_tracefs },
	{ "raw-sys", EXEC_SIDE_SYS, { "raw_sys_enter", "raw_sys_exit" } },
	{ "exec-btf", EXEC_SIDE_EXEC, { "btf_exec" } },
	{ "exec-raw", EXEC_SIDE_EXEC, { "raw_exec" } },
	{ "exec-tp", EXEC_SIDE_EXEC, { "tp_exec" }, 0, probe_tracefs },
	/*
	 * The __x64_sys_* fentry targets and the syscall tracepoints never see
	 * 32-bit (compat) syscalls: their failed execs need a side of their
	 * own. compat-fentry costs nothing to other syscalls; compat-raw runs
	 * at every syscall exit of the machine. raw-sys sees both ABIs itself.
	 */
	{ "compat-fentry",
	  EXEC_SIDE_COMPAT,
	  { "compat_fentry_execve", "compat_fentry_execveat", "compat_fexit_execve",
	    "compat_fexit_execveat" },
	  0,
	  probe_compat_fentry,
	  NULL,
	  "raw-sys" },
	{ "compat-raw",
	  EXEC_SIDE_COMPAT,
	  { "compat_sys_exit" },
	  0,
	  probe_compat_raw,
	  NULL,
	  "raw-sys" },
	{ "compat-off", EXEC_SIDE_COMPAT, {} },
	{ "script-fexit", EXEC_SIDE_SCRIPT, { "fexit_script" }, 0, probe_script },
	{ "script-off", EXEC_SIDE_SCRIPT, {} },
};

_Static_assert(sizeof(exec_hooks) / sizeof(exec_hooks[0]) == EXEC_NHOOKS,
	       "EXEC_NHOOKS is the number of exec_hooks");

struct bpf_object *exec_hooks_open(struct exec_bpf **skel)
{
	/* the probes' BTF must be gone before libbpf parses its own copies */
	ps_probe_btf_release();
	*skel = exec_bpf__open();
	return *skel ? (*skel)->obj : NULL;
}

int exec_hooks_configure(struct exec_bpf *s, struct ps_tool *t, const struct ps_hook *const *picked)
{
	const struct ps_hook *script = picked[EXEC_SIDE_SCRIPT];
	int err = ps_tool_configure(t, s->obj, &s->rodata->ps_use_perf, &s->rodata->ps_boottime,
				    &s->rodata->filter_cg);

	if (err)
		return err;
	s->rodata->script_side = script && script->progs[0];
	/* direct loads in the path walk (6.2+); probe reads otherwise */
	s->rodata->ps_fast_read = ps_kernel_has_func("bpf_rdonly_cast");
	s->rodata->nr_execve = SYS_execve;
	s->rodata->nr_execveat = SYS_execveat;
	return 0;
}

void exec_hooks_close(struct ps_tool *t, struct exec_bpf **skel)
{
	ps_tool_unload(t, *skel ? (*skel)->obj : NULL);
	exec_bpf__destroy(*skel);
	*skel = NULL;
}
