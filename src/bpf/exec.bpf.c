// SPDX-License-Identifier: GPL-2.0
/*
 * execsnoop kernel side.
 *
 * Success: at sched_process_exec the new image's argv sits, fully
 * copied by the kernel, between mm->arg_start and mm->arg_end of the
 * new mm. We read it there in one block: the argv the program really
 * got (no TOCTOU against a thread rewriting it during execve), any
 * length, no per-argument loop.
 *
 * Failure: the old image is intact when the syscall returns an error,
 * so the syscall-exit hook reads filename and argv back through the
 * user pointers stashed at syscall entry.
 *
 * Hooks (user space enables one set per side, chosen by probing or
 * --hook):
 *   syscall side: fentry/fexit on the syscall functions | syscall
 *                 tracepoints (need tracefs) | raw sys_enter/sys_exit
 *   exec side:    tp_btf | raw_tp | classic tracepoint
 *
 *   compat side:  fentry/fexit on the ia32 compat syscall functions |
 *                 raw sys_exit (compat_sys_exit) | nothing
 *
 * 32-bit (compat) execs: the fentry targets (__x64_sys_*) and the syscall
 * tracepoints never see them (the syscall tracepoints skip compat
 * syscalls: kernel/trace/trace_syscalls.c, trace_get_syscall_nr() returns
 * -1 for in_compat_syscall()). Their successes show at sched_process_exec
 * anyway; their failures need a compat side of their own: fentry/fexit on
 * __ia32_compat_sys_execve[at] (free for every other syscall), else
 * compat_sys_exit, a raw sys_exit program that runs for every syscall and
 * leaves at once unless the syscall failed and is a compat one. raw-sys
 * handles both ABIs itself: then the compat side loads nothing.
 */
#include "ident.bpf.h"
#include "ancestors.bpf.h"
#include "path.bpf.h"
#include "scope.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_uid = (__u32)-1;
const volatile __u32 targ_ppid = 0;
/* fexit_script is attached: a #! script's exec has in->script_file */
const volatile bool script_side = false;
const volatile bool failed_only = false;
const volatile __u32 max_args_bytes = PS_ARGS_DEFAULT;
const volatile __s32 nr_execve = 59; /* set by user space for raw sys_enter */
const volatile __s32 nr_execveat = 322;

/* The i386 syscall table (arch/x86/entry/syscalls/syscall_32.tbl). */
#define NR_IA32_EXECVE 11
#define NR_IA32_EXECVEAT 358
/* arch/x86/include/asm/thread_info.h */
#define PS_TS_COMPAT 0x0002
/* arch/arm64/include/asm/thread_info.h: an AArch32 task */
#define PS_TIF_32BIT 22

/*
 * The syscall number at sys_exit, as syscall_get_nr() has it: x86 keeps it
 * in orig_ax, arm64 in syscallno (the registers hold the return value).
 */
#if defined(__TARGET_ARCH_x86)
#define PS_SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define PS_SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#endif

/*
 * Is the current syscall a 32-bit one? x86: syscall_32_enter() (int $0x80,
 * sysenter, syscall from compat mode) sets TS_COMPAT in thread_info.status;
 * arch_exit_to_user_mode_prepare() clears it only after the sys_exit
 * tracepoint has run, so it is valid at sys_enter and sys_exit alike. This
 * is in_ia32_syscall(). It says nothing about the caller at
 * sched_process_exec: set_personality_64bit() / __set_personality_ia32()
 * have rewritten it (and orig_ax) for the new image by then.
 *
 * arm64: is_compat_task(), TIF_32BIT in thread_info.flags, set for the
 * life of an AArch32 image. Its syscalls are numbered by the arm (EABI)
 * table, so a raw sys_enter/sys_exit number means nothing for them: their
 * 221 is fcntl64, not execve. procsnoop does not trace AArch32 execs (no
 * compat side on arm64, README "arm64"); it only must not misread them.
 */
static __always_inline bool in_compat_syscall(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	if (bpf_core_field_exists(task->thread_info.status))
		return BPF_CORE_READ(task, thread_info.status) & PS_TS_COMPAT;
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ(task, thread_info.flags) & (1ul << PS_TIF_32BIT);
#endif
	return false;
}

/*
 * Will this task never return to user space? __fatal_signal_pending()
 * (include/linux/sched/signal.h) is exactly "SIGKILL in task->pending".
 * Every path that kills a thread group puts it there per thread:
 * zap_other_threads() (kernel/signal.c), which de_thread() (fs/exec.c)
 * calls when a sibling's exec wins, and complete_signal() for a fatal
 * signal or exit_group() (zap_other_threads again). SIGKILL can be neither
 * blocked nor caught, so the thread dies at its next return to user space:
 * its failed exec (-ERESTARTNOHAND from copy_strings()/count(), E2BIG from
 * get_arg_page(), EAGAIN from de_thread()) is an artefact of being killed
 * that no caller ever sees.
 */
static __always_inline bool being_killed(struct task_struct *task)
{
	return BPF_CORE_READ(task, pending.signal.sig[0]) & (1ul << (9 - 1)); /* SIGKILL */
}

/*
 * kernel_cap_t is { u64 val } since 6.3 and { u32 cap[2] } before: the
 * same 8 bytes (little endian) either way, so read the whole field, whose
 * offset alone is relocated, not a member of it.
 */
static __always_inline __u64 ps_read_caps(const kernel_cap_t *caps)
{
	__u64 v = 0;

	bpf_core_read(&v, sizeof(v), caps);
	return v;
}

/* What syscall entry saw, for the exit (failure) and exec (success) hooks. */
struct inflight {
	__u64 filename; /* user pointer */
	__u64 argv;	/* user pointer */
	__s32 fd;
	__u32 at_flags;
	__u32 eflags; /* PS_EXEC_EXECVEAT, PS_EXEC_ARGV_EMPTY, PS_EXEC_COMPAT */
	__u32 egid;   /* the credentials before exec: privilege_change */
	__u64 cap_effective;
	__u32 euid;
	__u32 pad;
	/* the #! script's own file (struct file *), taken by fexit_script */
	__u64 script_file;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight SEC(".maps");

static __always_inline bool pass_filters(struct task_struct *task)
{
	if (targ_uid != (__u32)-1 && (__u32)bpf_get_current_uid_gid() != targ_uid)
		return false;
	if (targ_ppid && BPF_CORE_READ(task, real_parent, tgid) != targ_ppid)
		return false;
	if (!ps_cgroup_match())
		return false;
	return ps_in_scope();
}

/* What the syscall was called with; @eflags: PS_EXEC_EXECVEAT, PS_EXEC_COMPAT. */
static __always_inline void in_fill(struct inflight *in, __u64 filename, __u64 argv, int fd,
				    int at_flags, __u32 eflags)
{
	const struct cred *cred = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), cred);
	__u64 span[1] = {};
	__u64 a0 = 0;
	long err;

	PS_SPAN(span, cred, struct cred, euid, egid);
	in->euid = PS_AT(span, __u32, struct cred, euid, euid);
	in->egid = PS_AT(span, __u32, struct cred, euid, egid);
	in->cap_effective = ps_read_caps(&cred->cap_effective);
	in->filename = filename;
	in->argv = argv;
	in->fd = fd;
	in->at_flags = at_flags;
	in->eflags = eflags | PS_EXEC_ABI_KNOWN;
	/* compat argv is an array of 32-bit pointers (compat_uptr_t) */
	err = bpf_probe_read_user(&a0, eflags & PS_EXEC_COMPAT ? 4 : 8, (void *)argv);
	/*
	 * Empty only if argv is NULL or argv[0] is read as NULL: an unreadable
	 * pointer is not an empty argv (the failure path reads it again and
	 * says so; the success path has the kernel's own argc).
	 */
	if (!argv || (!err && !a0))
		in->eflags |= PS_EXEC_ARGV_EMPTY;
}

static __always_inline int on_enter(__u64 filename, __u64 argv, int fd, int at_flags, __u32 eflags)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct inflight in = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!pass_filters(task))
		return 0;
	in_fill(&in, filename, argv, fd, at_flags, eflags);
	bpf_map_update_elem(&inflight, &tid, &in, BPF_ANY);
	return 0;
}

static __always_inline void fill_common(struct ps_exec *e, struct task_struct *task)
{
	const struct cred *cred = BPF_CORE_READ(task, cred);
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	__u64 span[2] = {};

	e->hdr.type = PS_REC_EXEC;
	ps_ident_fill(&e->id, task);
	PS_SPAN(span, cred, struct cred, suid, egid);
	e->suid = PS_AT(span, __u32, struct cred, suid, suid);
	e->egid = PS_AT(span, __u32, struct cred, suid, egid);
	e->cap_effective = ps_read_caps(&cred->cap_effective);
	e->xflags = PS_EXEC_X_CREDS;
	e->exe_ino = e->exe_dev = 0;
	e->exe_len = e->interp_len = e->cwd_len = e->pad = 0;
	if (tty) {
		BPF_CORE_READ_STR_INTO(&e->tty, tty, name);
		e->xflags |= PS_EXEC_X_TTY;
	}
}

/*
 * exe, interp and cwd into the record (right after the filename), with
 * their flags. What ran: bprm->file, the file exec_binprm() ended with.
 * For a #! script (binfmt_script; binfmt_misc alike) that is the
 * interpreter: load_script() renamed bprm->interp, and exec_binprm() put
 * the script's file and moved bprm->interpreter into bprm->file before
 * this tracepoint, so no file of the script is left (bprm->executable
 * only with binfmt_misc's O flag). Where fexit is allowed, fexit_script
 * kept the script's file at load_script() (its last reference is put by
 * task work on the return to user space, after this tracepoint): exe is
 * that file. Otherwise exe is derived from the filename in user space.
 * interp is the interpreter's file.
 */
static __always_inline void put_paths(void *ctx, struct ps_slot *slot, struct ps_exec *e,
				      struct task_struct *task, struct linux_binprm *bprm,
				      const struct inflight *in)
{
	struct file *file = 0, *exe = 0, *interp = 0;
	struct ps_walk_tail *t;
	struct super_block *sb;
	struct inode *ino;

	if (bprm) {
		file = PS_RD(struct linux_binprm, bprm, file);
		if (PS_RD(struct linux_binprm, bprm, interp) !=
		    PS_RD(struct linux_binprm, bprm, filename)) {
			interp = file;
			e->xflags |= PS_EXEC_X_INTERP;
			if (in && in->script_file)
				exe = (struct file *)in->script_file;
		} else {
			exe = file;
		}
	} else if (in && in->script_file) {
		/* exec-tp (no bprm): the script side saw a #! script */
		exe = (struct file *)in->script_file;
		interp = BPF_CORE_READ(task, mm, exe_file);
		e->xflags |= PS_EXEC_X_INTERP;
	} else if (in && script_side) {
		/* exec-tp, and no #! script: what runs is the new mm's file */
		exe = BPF_CORE_READ(task, mm, exe_file);
	}
	t = ps_walk(slot, task, exe, interp);
	if (exe) {
		ino = PS_RD(struct file, exe, f_inode);
		e->exe_ino = PS_RD(struct inode, ino, i_ino);
		sb = PS_RD(struct inode, ino, i_sb);
		e->exe_dev = PS_RD(struct super_block, sb, s_dev);
		e->xflags |= PS_EXEC_X_EXE;
		/* unlinked: d_unhashed() (d_delete() of a busy dentry), or no link left */
		if (!BPF_CORE_READ(exe, f_path.dentry, d_hash.pprev) ||
		    !BPF_CORE_READ(ino, i_nlink))
			e->xflags |= PS_EXEC_X_DELETED;
		if (t->trunc & 1)
			e->xflags |= PS_EXEC_X_EXE_TRUNC;
	}
	if (interp && (t->trunc & 2))
		e->xflags |= PS_EXEC_X_INTERP_TRUNC;
	if (t->len[2])
		e->xflags |= PS_EXEC_X_CWD;
	if (t->trunc & 4)
		e->xflags |= PS_EXEC_X_CWD_TRUNC;
	e->exe_len = t->len[0];
	e->interp_len = t->len[1];
	e->cwd_len = t->len[2];
	/* *e is gone once a record is sent: nothing of it is written below */
	ps_walk_put(ctx, slot, t, 0, sizeof(*e));
	ps_walk_put(ctx, slot, t, 1, sizeof(*e));
	ps_walk_put(ctx, slot, t, 2, sizeof(*e));
}

/* ---- failure path: read argv back through the user pointers ---- */

/*
 * Past the limit we still measure what is cut, up to this many bytes, in
 * at most the iterations bpf_loop allows (BPF_MAX_LOOPS, 2^23), several
 * arguments per iteration. Whichever runs out first, args_cut becomes a
 * lower bound, flagged PS_EXEC_CUT_LOWER. 2^23 iterations of CUT_PER_ITER
 * arguments measure at least 2^25 arguments exactly: more than fit in any
 * stack rlimit the kernel accepts for a failed exec to get that far.
 */
#define CUT_COUNT_BUDGET (64u << 20)
#define CUT_PER_ITER 4
#define ARGV_LOOPS (1u << 23)

/* Loop state, kept in the slot's state[] area (see struct ps_slot). */
struct argv_state {
	__u64 argv;	 /* user pointer to the pointer array */
	const char *cur; /* string being copied (NULL: fetch the next) */
	__u32 idx;	 /* argv entries fetched */
	__u32 bytes;	 /* argv bytes captured */
	__u32 cut;	 /* argv bytes not captured */
	__u32 eflags;
	__u32 done;  /* the loop ended by itself (not out of iterations) */
	__u32 psize; /* pointer size: 8, or 4 for a compat argv */
};

/* What the bpf_loop callbacks get: pointers only. */
struct loop_ctx {
	void *ctx;
	struct ps_slot *slot;
};

/* Fetch argv[idx] into a->cur; false at the end of argv (or on a fault). */
static __always_inline bool argv_fetch(struct argv_state *a)
{
	__u64 p = 0;
	__u32 sz = a->psize == 4 ? 4 : 8;

	if (bpf_probe_read_user(&p, sz, (void *)(a->argv + (__u64)a->idx * sz))) {
		a->eflags |= PS_EXEC_ARGS_FAULT;
		return false;
	}
	if (!p)
		return false;
	a->idx++;
	a->cur = (const char *)p;
	return true;
}

/* Past the limit: measure one (piece of an) argument; false: stop the loop. */
static __always_inline bool argv_measure(struct ps_slot *slot, struct argv_state *a)
{
	const char *s;
	long n;

	if (!a->cur && !argv_fetch(a))
		return false;
	s = a->cur;
	a->eflags |= PS_EXEC_ARGS_TRUNC;
	if (a->cut >= CUT_COUNT_BUDGET) {
		a->eflags |= PS_EXEC_CUT_LOWER;
		return false;
	}
	n = bpf_probe_read_user_str(slot->buf + PS_REC_MAX, PS_CHUNK, s);
	if (n <= 0) {
		a->eflags |= PS_EXEC_ARGS_FAULT;
		return false;
	}
	if (n < PS_CHUNK) {
		a->cut += n;
		a->cur = 0;
	} else {
		a->cut += n - 1;
		a->cur = s + n - 1;
	}
	return true;
}

/*
 * One bounded step per bpf_loop iteration: fetch the next argv pointer,
 * or copy one piece of the current string (strings may span records),
 * or, past the limit, measure a few pieces of what is cut. A state machine
 * instead of nested loops keeps the verifier's work constant.
 */
static long argv_cb(__u64 i, void *data)
{
	struct loop_ctx *lc = data;
	struct ps_slot *slot = lc->slot;
	struct argv_state *a = (void *)slot->state;
	const char *s;
	__u32 room, left, pos;
	long n;

	left = a->bytes < max_args_bytes ? max_args_bytes - a->bytes : 0;
	if (left == 0) {
		for (int k = 0; k < CUT_PER_ITER; k++) {
			if (!argv_measure(slot, a)) {
				a->done = 1;
				return 1;
			}
		}
		return 0;
	}
	if (!a->cur && !argv_fetch(a)) {
		a->done = 1;
		return 1;
	}
	s = a->cur;
	room = ps_sw_room(slot);
	/*
	 * A string read needs room for one byte and the NUL to make progress:
	 * with room 1 it copies nothing, looks "full", and the loop would spin
	 * without advancing until bpf_loop's limit, dropping the rest silently.
	 */
	if (room < 2) {
		ps_sw_flush(lc->ctx, slot, sizeof(struct ps_exec), false, 0, 0, 0, 0);
		return 0;
	}
	if (room > left + 1)
		room = left + 1;
	if (room > PS_REC_MAX)
		room = PS_REC_MAX;
	pos = slot->sw.pos;
	if (pos > PS_REC_MAX) {
		a->done = 1;
		return 1;
	}
	n = bpf_probe_read_user_str(slot->buf + pos, room, s);
	if (n <= 0) {
		a->eflags |= PS_EXEC_ARGS_FAULT;
		a->done = 1;
		return 1;
	}
	if (n < room) { /* the whole (rest of the) string, NUL included */
		slot->sw.pos += n;
		a->bytes += n;
		a->cur = 0;
		return 0;
	}
	/* filled the room: keep n - 1 bytes, drop the NUL the helper added */
	slot->sw.pos += n - 1;
	a->bytes += n - 1;
	a->cur = s + n - 1;
	return 0;
}

/* Report the failed exec described by @in (what syscall entry saw). */
static __always_inline int report_failure(void *ctx, long ret, const struct inflight *in)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_struct *task = (void *)bpf_get_current_task();
	struct argv_state *a;
	struct ps_slot *slot;
	struct ps_exec *e;
	__u32 eflags;
	char c = 0;
	long n;

	if (being_killed(task)) {
		ps_stat_inc(PS_STAT_EXEC_KILLED);
		return 0;
	}
	slot = ps_slot_get();
	if (!slot)
		return 0;
	e = (void *)slot->buf;
	fill_common(e, task);
	e->id.tid = tid;
	e->ret = ret;
	e->fd = in->fd;
	e->at_flags = in->at_flags;
	e->eflags = in->eflags;
	e->argc = e->args_len = e->args_cut = 0;
	ps_sw_init(slot, sizeof(*e));

	n = bpf_probe_read_user_str(slot->buf + sizeof(*e), PS_PATH_MAX, (void *)in->filename);
	if (n < 1)
		n = 1;
	if (n >= PS_PATH_MAX) {
		n = PS_PATH_MAX;
		/* 4095 bytes and the NUL fit PATH_MAX: cut only if more follows */
		if (bpf_probe_read_user(&c, 1, (void *)(in->filename + PS_PATH_MAX - 1)) || c)
			e->eflags |= PS_EXEC_FNAME_TRUNC;
	}
	e->fname_len = n - 1;
	slot->sw.pos += n - 1;
	ps_ancestors(slot, e);
	/* *e is gone once put_paths() sends a record: keep what is read below */
	eflags = e->eflags;
	put_paths(ctx, slot, e, task, 0, 0);

	a = (void *)slot->state;
	a->argv = in->argv;
	a->cur = 0;
	a->idx = a->bytes = a->cut = a->eflags = 0;
	a->done = 0;
	a->psize = in->eflags & PS_EXEC_COMPAT ? 4 : 8;
	struct loop_ctx lc = { .ctx = ctx, .slot = slot };
	if (!(in->eflags & PS_EXEC_ARGV_EMPTY)) {
		bpf_loop(ARGV_LOOPS, argv_cb, &lc, 0);
		/* out of iterations with argv left: what is counted is a lower bound */
		if (!a->done)
			a->eflags |= PS_EXEC_ARGS_TRUNC | PS_EXEC_CUT_LOWER;
	}
	eflags |= a->eflags;
	/*
	 * Once the first record is sent, slot->buf holds chunk data: *e is
	 * gone. Update it only while it is still the record being built; the
	 * totals travel in the final chunk otherwise.
	 */
	if (slot->sw.nrec == 0) {
		e->eflags = eflags;
		e->argc = a->idx;
		e->args_len = a->bytes;
		e->args_cut = a->cut;
	}
	ps_sw_flush(ctx, slot, sizeof(*e), true, a->idx, a->bytes, a->cut, eflags);
	ps_slot_put(slot);
	return 0;
}

static __always_inline int on_exit(void *ctx, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight *in = bpf_map_lookup_elem(&inflight, &tid);

	if (!in)
		return 0;
	if (ret < 0)
		report_failure(ctx, ret, in);
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

/* ---- success path: the new image's argv block ---- */

struct block_state {
	const __u8 *src;
	__u32 len; /* bytes to copy */
	__u32 done;
	__u32 fault;
};

static long block_cb(__u64 i, void *data)
{
	struct loop_ctx *lc = data;
	struct ps_slot *slot = lc->slot;
	struct block_state *b = (void *)slot->state;
	__u32 room, n, pos, done = b->done, len = b->len;

	if (done >= len)
		return 1;
	room = ps_sw_room(slot);
	if (room == 0) {
		ps_sw_flush(lc->ctx, slot, sizeof(struct ps_exec), false, 0, 0, 0, 0);
		return 0;
	}
	n = len - done;
	if (n > room)
		n = room;
	if (n > PS_REC_MAX)
		n = PS_REC_MAX;
	pos = slot->sw.pos;
	if (pos > PS_REC_MAX)
		return 1;
	if (bpf_probe_read_user(slot->buf + pos, n, b->src + done)) {
		b->fault = 1;
		return 1;
	}
	slot->sw.pos = pos + n;
	b->done = done + n;
	return 0;
}

static __always_inline int on_exec(void *ctx, struct task_struct *task, __u32 old_pid,
				   struct linux_binprm *bprm, const char *kfilename)
{
	struct inflight *in = bpf_map_lookup_elem(&inflight, &old_pid);
	struct block_state *b;
	struct ps_slot *slot;
	struct ps_exec *e;
	struct mm_struct *mm;
	__u64 start, end, total;
	__u32 argc, cut, eflags;
	long n;

	if (failed_only || !pass_filters(task))
		goto out;
	slot = ps_slot_get();
	if (!slot)
		goto out;
	e = (void *)slot->buf;
	fill_common(e, task);
	e->id.tid = old_pid;
	e->ret = 0;
	e->eflags = in ? in->eflags : 0;
	e->fd = in ? in->fd : 0;
	e->at_flags = in ? in->at_flags : 0;
	e->args_cut = 0;
	e->argc = bprm ? BPF_CORE_READ(bprm, argc) : 0;
	ps_sw_init(slot, sizeof(*e));

	if (bprm)
		kfilename = BPF_CORE_READ(bprm, filename);
	n = bpf_probe_read_kernel_str(slot->buf + sizeof(*e), PS_PATH_MAX, kfilename);
	if (n < 1)
		n = 1;
	e->fname_len = n - 1;
	slot->sw.pos += n - 1;
	ps_ancestors(slot, e);

	mm = BPF_CORE_READ(task, mm);
	start = BPF_CORE_READ(mm, arg_start);
	end = BPF_CORE_READ(mm, arg_end);
	total = end > start ? end - start : 0;
	/* The kernel turns an empty argv into [""]; report what was passed. */
	if (e->eflags & PS_EXEC_ARGV_EMPTY) {
		total = 0;
		e->argc = 0;
	}
	if (total > max_args_bytes) {
		e->args_cut = total - max_args_bytes;
		e->eflags |= PS_EXEC_ARGS_TRUNC;
		total = max_args_bytes;
	}
	e->args_len = total;

	if (in) {
		const struct cred *cred = BPF_CORE_READ(task, cred);

		e->xflags |= PS_EXEC_X_PRIV_KNOWN;
		if (in->euid != BPF_CORE_READ(cred, euid.val) || in->egid != e->egid ||
		    (e->cap_effective & ~in->cap_effective))
			e->xflags |= PS_EXEC_X_PRIV_CHANGE;
	}

	/* *e is overwritten once the first record is sent: keep the totals here */
	argc = e->argc;
	cut = e->args_cut;
	eflags = e->eflags;
	put_paths(ctx, slot, e, task, bprm, in);

	b = (void *)slot->state;
	b->src = (void *)start;
	b->len = total;
	b->done = 0;
	b->fault = 0;
	struct loop_ctx lc = { .ctx = ctx, .slot = slot };
	bpf_loop((PS_ARGS_MAX / PS_CHUNK) * 2 + 4, block_cb, &lc, 0);
	if (b->fault || b->done < b->len) {
		eflags |= PS_EXEC_ARGS_FAULT;
		if (slot->sw.nrec == 0) {
			e->eflags = eflags;
			e->args_len = b->done;
		}
	}
	ps_sw_flush(ctx, slot, sizeof(*e), true, argc, b->done, cut, eflags);
	ps_slot_put(slot);
out:
	if (in)
		bpf_map_delete_elem(&inflight, &old_pid);
	return 0;
}

/* ---- hooks: syscall side ---- */

/*
 * fentry/fexit on the syscall wrappers; target names set at run time
 * (ps_syscall_prefix()). The section names say the target too, as the
 * ready line's "hooks" shows them: the build's architecture's wrapper.
 */
#if defined(__TARGET_ARCH_arm64)
#define PS_SYS_SEC(kind, name) SEC(kind "/__arm64_sys_" name)
#else
#define PS_SYS_SEC(kind, name) SEC(kind "/__x64_sys_" name)
#endif
PS_SYS_SEC("fentry", "execve")
int BPF_PROG(fentry_execve, struct pt_regs *regs)
{
	return on_enter(PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs), 0, 0,
			0);
}

PS_SYS_SEC("fentry", "execveat")
int BPF_PROG(fentry_execveat, struct pt_regs *regs)
{
	return on_enter(PT_REGS_PARM2_CORE_SYSCALL(regs), PT_REGS_PARM3_CORE_SYSCALL(regs),
			PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM5_CORE_SYSCALL(regs),
			PS_EXEC_EXECVEAT);
}

PS_SYS_SEC("fexit", "execve")
int BPF_PROG(fexit_execve, struct pt_regs *regs, long ret)
{
	return on_exit(ctx, ret);
}

PS_SYS_SEC("fexit", "execveat")
int BPF_PROG(fexit_execveat, struct pt_regs *regs, long ret)
{
	return on_exit(ctx, ret);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int tp_enter_execve(struct ps_tp_sys_enter *ctx)
{
	return on_enter(ctx->args[0], ctx->args[1], 0, 0, 0);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int tp_enter_execveat(struct ps_tp_sys_enter *ctx)
{
	return on_enter(ctx->args[1], ctx->args[2], ctx->args[0], ctx->args[4], PS_EXEC_EXECVEAT);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tp_exit_execve(struct ps_tp_sys_exit *ctx)
{
	return on_exit(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int tp_exit_execveat(struct ps_tp_sys_exit *ctx)
{
	return on_exit(ctx, ctx->ret);
}

#if defined(__TARGET_ARCH_x86)
/*
 * The arguments of a compat execve (11) / execveat (358), from the i386
 * registers: ebx, ecx, edx, esi, edi. The kernel's __ia32_sys_* wrappers
 * take only the low 32 bits (a 64-bit program using int $0x80 may leave
 * garbage above them), and so must we.
 */
static __always_inline bool compat_args(struct pt_regs *regs, long id, struct inflight *in)
{
	__u64 bx = BPF_CORE_READ(regs, bx) & 0xffffffff;
	__u64 cx = BPF_CORE_READ(regs, cx) & 0xffffffff;
	__u64 dx = BPF_CORE_READ(regs, dx) & 0xffffffff;
	__u64 di = BPF_CORE_READ(regs, di) & 0xffffffff;

	if (id == NR_IA32_EXECVE)
		in_fill(in, bx, cx, 0, 0, PS_EXEC_COMPAT);
	else if (id == NR_IA32_EXECVEAT)
		in_fill(in, cx, dx, (int)bx, di, PS_EXEC_COMPAT | PS_EXEC_EXECVEAT);
	else
		return false;
	return true;
}
#else
static __always_inline bool compat_args(struct pt_regs *regs, long id, struct inflight *in)
{
	return false;
}
#endif

/*
 * Raw syscall tracepoints fire for every syscall: filter on the ABI and
 * the number first. A number means a syscall only in its own table: 59
 * and 322 are execve/execveat for x86-64 but oldolduname/timerfd_create
 * for i386, whose execve/execveat are 11 and 358.
 */
SEC("raw_tracepoint/sys_enter")
int raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct pt_regs *regs = (void *)ctx->args[0];
	long id = ctx->args[1];
	struct inflight in = {};
	__u32 tid;

	if (in_compat_syscall(task)) {
		if (!compat_args(regs, id, &in) || !pass_filters(task))
			return 0;
		tid = (__u32)bpf_get_current_pid_tgid();
		bpf_map_update_elem(&inflight, &tid, &in, BPF_ANY);
		return 0;
	}
	if (id == nr_execve)
		return on_enter(PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs),
				0, 0, 0);
	if (id == nr_execveat)
		return on_enter(PT_REGS_PARM2_CORE_SYSCALL(regs), PT_REGS_PARM3_CORE_SYSCALL(regs),
				PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM5_CORE_SYSCALL(regs),
				PS_EXEC_EXECVEAT);
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int raw_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct pt_regs *regs = (void *)ctx->args[0];
	long id = PS_SYSCALL_NR(regs);

	if (in_compat_syscall(task)) {
		if (id != NR_IA32_EXECVE && id != NR_IA32_EXECVEAT)
			return 0;
	} else if (id != nr_execve && id != nr_execveat) {
		return 0;
	}
	return on_exit(ctx, ctx->args[1]);
}

/*
 * compat-raw, where compat-fentry cannot run (e.g. fentry refused): at
 * sys_exit of a failed compat execve the registers still hold its
 * arguments (only ax has changed, to the return value), so no entry
 * program is needed. It runs for every syscall on the machine: the common
 * path is the sign of the return value, then one read of
 * thread_info.status; --no-compat drops it.
 */
SEC("raw_tracepoint/sys_exit")
int compat_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task;
	struct pt_regs *regs;
	struct inflight in = {};
	long ret = ctx->args[1];

	/* the common path, for every syscall: no helper call but this one */
	if (ret >= 0)
		return 0;
#if defined(__TARGET_ARCH_x86)
	task = bpf_get_current_task_btf();
	if (!(task->thread_info.status & PS_TS_COMPAT))
		return 0;
#else
	return 0;
#endif
	regs = (void *)ctx->args[0];
	if (!compat_args(regs, PS_SYSCALL_NR(regs), &in) || !pass_filters(task))
		return 0;
	return report_failure(ctx, ret, &in);
}

#if defined(__TARGET_ARCH_x86)
/*
 * compat-fentry: the i386 table's execve/execveat are compat_sys_execve[at]
 * (arch/x86/entry/syscalls/syscall_32.tbl), reached through the
 * __ia32_compat_sys_* wrappers (asm/syscall_wrapper.h) that take the user
 * registers. Only a 32-bit exec runs these programs. The entry stash also
 * marks a 32-bit caller's success compat, which sched_process_exec alone
 * cannot tell.
 */
static __always_inline int compat_enter(struct pt_regs *regs, long id)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct inflight in = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!compat_args(regs, id, &in) || !pass_filters(task))
		return 0;
	bpf_map_update_elem(&inflight, &tid, &in, BPF_ANY);
	return 0;
}

SEC("fentry/__ia32_compat_sys_execve")
int BPF_PROG(compat_fentry_execve, struct pt_regs *regs)
{
	return compat_enter(regs, NR_IA32_EXECVE);
}

SEC("fentry/__ia32_compat_sys_execveat")
int BPF_PROG(compat_fentry_execveat, struct pt_regs *regs)
{
	return compat_enter(regs, NR_IA32_EXECVEAT);
}

SEC("fexit/__ia32_compat_sys_execve")
int BPF_PROG(compat_fexit_execve, struct pt_regs *regs, long ret)
{
	return on_exit(ctx, ret);
}

SEC("fexit/__ia32_compat_sys_execveat")
int BPF_PROG(compat_fexit_execveat, struct pt_regs *regs, long ret)
{
	return on_exit(ctx, ret);
}
#endif

/* ---- hooks: script side ---- */

/*
 * A #! script was accepted (load_script() returned 0): keep its file for
 * the exec side, where bprm->file is the interpreter's by then. The first
 * one wins: a script run by a script interpreter is the exe, not its
 * interpreter's own #! line.
 */
SEC("fexit/load_script")
int BPF_PROG(fexit_script, struct linux_binprm *bprm, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight *in;

	if (ret)
		return 0;
	in = bpf_map_lookup_elem(&inflight, &tid);
	if (in && !in->script_file)
		in->script_file = (__u64)BPF_CORE_READ(bprm, file);
	return 0;
}

/* ---- hooks: exec side ---- */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(btf_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(ctx, p, old_pid, bprm, 0);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(ctx, p, old_pid, bprm, 0);
}

SEC("tracepoint/sched/sched_process_exec")
int tp_exec(struct ps_tp_sched_process_exec *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	const char *fname = (const char *)ctx + (ctx->filename_loc & 0xffff);

	return on_exec(ctx, task, ctx->old_pid, 0, fname);
}
