/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel/user ABI of procsnoop: every record that crosses the ring
 * buffer (or perf buffer) is declared here, and only here.
 *
 * Rules: fixed-width types only, explicit zeroed padding, sizes and
 * offsets pinned by _Static_assert so the BPF and user-space compilers
 * cannot disagree silently.
 *
 * Every record starts with struct ps_hdr. A logical event may span
 * several records: the first carries the event struct, then its
 * variable data; if that data does not fit in one record (perf records
 * are limited to 64 KiB, and per-CPU scratch buffers are kept small),
 * PS_REC_CHUNK records with the same id carry the rest, in order, the
 * final one flagged PS_F_LAST. A record flagged PS_F_LAST|PS_F_FIRST
 * is a whole event. User space reassembles by id (ps_stream_feed in src/lib/transport.c).
 */
#ifndef PROCSNOOP_ABI_H
#define PROCSNOOP_ABI_H

#ifdef __BPF__
/* kernel side: types come from vmlinux_min.h */
#else
#include <linux/types.h>
#endif

/* Both compilers check the layout: a mismatch fails the build of either side. */
#define PS_ASSERT(c, m) _Static_assert(c, m)

#define PS_TASK_COMM_LEN 16
#define PS_PATH_MAX 4096

/* Largest data payload of one record; scratch buffers are twice this. */
#define PS_CHUNK 16384
/* Scratch slots per CPU (see common.bpf.h): user space sizes the map. */
#define PS_NSLOTS 4

/* Default and maximum bytes of argv captured per exec. */
#define PS_ARGS_DEFAULT (128u * 1024)
#define PS_ARGS_MAX (4u * 1024 * 1024)

enum ps_rec_type {
	PS_REC_EXEC = 1,
	PS_REC_EXIT = 2,
	PS_REC_PROBE = 3,
	PS_REC_CHUNK = 4,
	PS_REC_TOP = 5, /* struct ps_top_exit */
	PS_REC_FORK = 6,
	PS_REC_NR,
};

/* ps_hdr.flags */
#define PS_F_FIRST 0x1 /* first record of an event */
#define PS_F_LAST 0x2  /* last record of an event */

struct ps_hdr {
	__u16 type;  /* enum ps_rec_type */
	__u16 flags; /* PS_F_* */
	__u32 size;  /* bytes in this record, header included */
	__u64 id;    /* event id: ties chunks to their event */
};

/* Continuation of an event's variable data. */
struct ps_chunk {
	struct ps_hdr hdr;
	__u32 offset; /* offset of data[] in the event's variable data */
	__u32 len;    /* bytes of data[] */
	/* totals, valid in the PS_F_LAST chunk (they supersede the event's) */
	__u32 argc;
	__u32 args_len;
	__u32 args_cut;
	__u32 eflags;
	__u8 data[];
};

/*
 * Who a record is about, the same in every record type: filled by one
 * BPF helper (ps_ident_fill() in bpf/ident.bpf.h) from the current task
 * at the event, decoded and printed in one place (src/print/ident.c).
 */
struct ps_ident {
	__u64 ktime_ns;		      /* the event: CLOCK_BOOTTIME (or MONOTONIC, see ready line) */
	__u64 start_ns;		      /* the process's start (group leader's start_boottime) */
	__u64 pstart_ns;	      /* its parent's start, same clock */
	__u64 cgroup_id;	      /* cgroup v2 id */
	__u32 pid;		      /* tgid, host pid namespace */
	__u32 tid;		      /* the thread */
	__u32 ppid;		      /* the parent process (real_parent's tgid) */
	__u32 uid;		      /* real */
	__u32 gid;		      /* real */
	__u32 euid;		      /* effective */
	char comm[PS_TASK_COMM_LEN];  /* the process's name (group leader's comm) */
	char tcomm[PS_TASK_COMM_LEN]; /* the thread's name */
	char pcomm[PS_TASK_COMM_LEN]; /* the parent process's name */
	__u32 nspid;		      /* tgid in the process's own pid namespace (0: unknown) */
	__u32 pidns;		      /* inode number of that pid namespace */
	__u32 mntns;		      /* inode number of its mount namespace */
	__u32 auid;		      /* audit login uid; (__u32)-1: unset (or no CONFIG_AUDIT) */
	__u32 sessionid;	      /* audit session id; (__u32)-1: unset */
	__u32 pad;
};

/* ps_exec.eflags */
#define PS_EXEC_ARGS_TRUNC 0x01	 /* argv longer than the limit: args_cut bytes not captured */
#define PS_EXEC_FNAME_TRUNC 0x02 /* filename longer than PS_PATH_MAX */
#define PS_EXEC_ARGV_EMPTY 0x04	 /* argv was NULL or argv[0] NULL (argc == 0) */
#define PS_EXEC_EXECVEAT 0x08	 /* the call was execveat() */
#define PS_EXEC_ARGS_FAULT 0x10	 /* argv (the array or a string) could not be read: bad pointer */
#define PS_EXEC_COUNT_TRUNC 0x20 /* more than --max-args arguments (set in user space only) */
#define PS_EXEC_CUT_LOWER 0x40	 /* args_cut is a lower bound (stopped measuring) */
#define PS_EXEC_COMPAT 0x80	 /* a 32-bit (compat, i386 ABI) execve/execveat */
#define PS_EXEC_ABI_KNOWN 0x100	 /* the syscall entry was seen: PS_EXEC_COMPAT is meaningful */
#define PS_EXEC_ANC_TRUNC 0x200 /* more than PS_ANC_MAX ancestors: the chain stops short of pid 1 */

/* Ancestors walked at exec: the parent first, up to pid 1 (or kthreadd). */
#define PS_ANC_MAX 64

/* One ancestor process, as its group leader describes it. */
struct ps_ancestor {
	__u64 start_ns; /* start_boottime: with pid, its entity id */
	__u32 pid;	/* tgid, host pid namespace */
	__u32 pad;
	char comm[PS_TASK_COMM_LEN];
};

/* Bound of each path walked in the kernel (exe, interp, cwd): PATH_MAX. */
#define PS_XPATH_MAX 4096
#define PS_TTY_LEN 64 /* tty_struct.name */

/* ps_exec.xflags: what ran, and how */
#define PS_EXEC_X_EXE 0x001	     /* exe_len bytes of exe path (success only) */
#define PS_EXEC_X_EXE_TRUNC 0x002    /* exe longer than PS_XPATH_MAX: its last components */
#define PS_EXEC_X_INTERP 0x004	     /* a #! script (or binfmt_misc): interp is the interpreter */
#define PS_EXEC_X_INTERP_TRUNC 0x008 /* interp longer than PS_XPATH_MAX */
#define PS_EXEC_X_CWD 0x010	     /* cwd_len bytes of cwd path */
#define PS_EXEC_X_CWD_TRUNC 0x020    /* cwd longer than PS_XPATH_MAX */
#define PS_EXEC_X_DELETED 0x040	     /* the executed file is unlinked (or never linked) */
#define PS_EXEC_X_CREDS 0x080	     /* egid, suid, cap_effective are set */
#define PS_EXEC_X_PRIV_KNOWN 0x100  /* the creds before exec were seen: PRIV_CHANGE is meaningful */
#define PS_EXEC_X_PRIV_CHANGE 0x200 /* exec changed euid/egid or raised cap_effective */
#define PS_EXEC_X_TTY 0x400	    /* tty[] is the controlling terminal */

/*
 * One exec attempt. Variable data: the filename (fname_len bytes, no
 * NUL), then nanc struct ps_ancestor (unaligned: copy them out; filename
 * and ancestors always fit the first record), then the exe, interp and
 * cwd paths (exe_len, interp_len, cwd_len bytes, no NUL; lengths in this
 * struct, so they are known before any chunk), then argv as
 * NUL-terminated strings (args_len bytes in all), possibly continued in
 * chunks.
 */
struct ps_exec {
	struct ps_hdr hdr;
	struct ps_ident id; /* tid: the thread that called exec (before de_thread);
				 * comm: after exec (before, for a failed exec) */
	__s32 ret;	    /* 0, or -errno */
	__u32 argc;	    /* argv entries captured */
	__u32 fname_len;
	__u32 args_len; /* bytes of argv data in this event, all records */
	__u32 args_cut; /* bytes of argv not captured (PS_EXEC_ARGS_TRUNC) */
	__u32 eflags;	/* PS_EXEC_* */
	__s32 fd;	/* execveat dirfd */
	__u32 at_flags; /* execveat flags */
	/* what ran, and how: after exec (before, for a failed exec); see xflags */
	__u64 exe_ino;	     /* the executed file's inode (bprm->file; a script: none) */
	__u64 cap_effective; /* the new credentials' effective capabilities */
	__u32 exe_dev;	     /* its superblock's s_dev, kernel encoding (MAJOR << 20 | MINOR) */
	__u32 egid;
	__u32 suid;
	__u32 xflags;	  /* PS_EXEC_X_* */
	__u16 exe_len;	  /* bytes of exe in the data, after the filename */
	__u16 interp_len; /* then interp */
	__u16 cwd_len;	  /* then cwd */
	__u16 pad;
	char tty[PS_TTY_LEN]; /* controlling terminal's name ("pts/3"), PS_EXEC_X_TTY */
	__u32 nanc;	      /* struct ps_ancestor entries after the filename */
	__u32 pad2;
	__u8 data[];
};

/*
 * Counters the kernel side keeps in a per-CPU array map named "stats",
 * indexed by these. User space sums over CPUs.
 */
enum ps_stat {
	PS_STAT_LOST = 0,     /* records that did not fit in the buffer (events lost or cut) */
	PS_STAT_LOST_EVENTS,  /* events lost whole */
	PS_STAT_SCRATCH_BUSY, /* no free scratch slot (deep preemption) */
	PS_STAT_EXEC_KILLED,  /* failed execs not reported: the caller was killed (SIGKILL
				 * pending, e.g. by a sibling thread's exec) and never saw it */
	PS_STAT_LIFE_NOMEM,   /* no task storage (life.bpf.h): failed execs uncounted */
	PS_STAT_SCOPE_FULL,   /* trace: a new task's scope flag could not be stored */
	PS_STAT_NR = 8,
};

/* ---- records of other tools go below; keep the rules above ---- */

/* ps_exit.xflags */
#define PS_EXIT_GROUP_DEAD 0x01 /* the last thread: this is the process's exit */
#define PS_EXIT_GROUP_EXIT 0x02 /* status is signal->group_exit_code (exit_group/fatal signal) */
#define PS_EXIT_CPU_RACY \
	0x04 /* CPU approximate: threads still exiting, or the list kept changing */
#define PS_EXIT_CPU_PARTIAL 0x08 /* more threads than the walk limit: CPU is a lower bound */
#define PS_EXIT_KTHREAD 0x10	 /* a kernel thread */

/*
 * One exit: of a whole process (PS_EXIT_GROUP_DEAD), or with --threads
 * of one thread. Fixed size, no variable data.
 */
struct ps_exit {
	struct ps_hdr hdr;
	struct ps_ident id; /* ktime_ns: the exit; comm: the process's, tcomm: the thread's */
	__u64 duration_ns;  /* ktime_ns - start of the process (thread record: of the thread) */
	__u64 rtime_ns;	    /* CPU: sum_exec_runtime of all its threads */
	__u64 utime_ns;	    /* tick-sampled user time (only the user/sys ratio is used) */
	__u64 stime_ns;	    /* tick-sampled system time */
	__u64 maxrss_pages; /* peak resident set, pages */
	__u32 status;	    /* wait(2) status: low 7 bits signal, 0x80 core, bits 8-15 code */
	__u32 xflags;	    /* PS_EXIT_* */
	__u32 nr_threads;   /* threads on the group's list at the last walk (diagnostic) */
	__u32 pad;
};
PS_ASSERT(sizeof(struct ps_exit) == 200, "ps_exit layout");
PS_ASSERT(__builtin_offsetof(struct ps_exit, duration_ns) == 144, "ps_exit.duration_ns offset");

PS_ASSERT(sizeof(struct ps_hdr) == 16, "ps_hdr layout");
PS_ASSERT(sizeof(struct ps_ident) == 128, "ps_ident layout");
PS_ASSERT(__builtin_offsetof(struct ps_ident, nspid) == 104, "ps_ident.nspid offset");
PS_ASSERT(__builtin_offsetof(struct ps_ident, comm) == 56, "ps_ident.comm offset");
PS_ASSERT(sizeof(struct ps_chunk) == 40, "ps_chunk layout");
PS_ASSERT(sizeof(struct ps_exec) == 288, "ps_exec layout");
PS_ASSERT(__builtin_offsetof(struct ps_exec, ret) == 144, "ps_exec.ret offset");
PS_ASSERT(__builtin_offsetof(struct ps_exec, exe_ino) == 176, "ps_exec.exe_ino offset");
PS_ASSERT(__builtin_offsetof(struct ps_exec, tty) == 216, "ps_exec.tty offset");
PS_ASSERT(PS_XPATH_MAX < 65536, "path lengths fit __u16");
PS_ASSERT(sizeof(struct ps_ancestor) == 32, "ps_ancestor layout");
PS_ASSERT(sizeof(struct ps_exec) + PS_PATH_MAX + PS_ANC_MAX * sizeof(struct ps_ancestor) <=
		  PS_CHUNK,
	  "filename and ancestors fit the first record");

/* ---- procsnoop probe (uprobes, uretprobes, USDT) ---- */

#define PS_PROBE_NARGS 6	    /* arg0..arg5 */
#define PS_PROBE_RET PS_PROBE_NARGS /* value index of the return value */
#define PS_PROBE_NVALS (PS_PROBE_NARGS + 1)
#define PS_PROBE_STR_DEFAULT 256
/* Per-string cap: all 7 values as strings still fit one record (7 * 2048 < PS_CHUNK),
 * so a hit is always one whole record, never chunked. */
#define PS_PROBE_STR_MAX 2048
#define PS_PROBE_MAX 64 /* specs per run */

enum ps_probe_kind {
	PS_PROBE_ENTRY = 1,  /* u:    function entry, args from registers */
	PS_PROBE_RETURN = 2, /* ur:   function return, the return value */
	PS_PROBE_USDT = 3,   /* usdt: args decoded by libbpf from the ELF note */
};

/* Map "probe_cfg" value; the key is the probe index, passed as the attach cookie. */
struct ps_probe_cfg {
	__u32 kind;	/* enum ps_probe_kind */
	__u32 nargs;	/* arguments to fetch (<= PS_PROBE_NARGS) */
	__u32 str_mask; /* bit i: value i is a char * read as a string (bit 6: ret) */
	__u32 pad;
};

/* Map "counts" key (--count): per probe, and per process with --per-pid (else pid 0). */
struct ps_probe_count_key {
	__u32 probe;
	__u32 pid;
};

/*
 * One probe hit, always one whole record. Variable data: the string
 * values, in value order (args, then ret), str_len[i] bytes each, no NUL.
 */
struct ps_probe {
	struct ps_hdr hdr;
	struct ps_ident id;
	__u32 probe; /* probe index (the attach cookie) */
	__u32 pad0;
	__u64 vals[PS_PROBE_NVALS];	   /* raw values; for a string, its pointer */
	__u16 str_len[PS_PROBE_NVALS + 1]; /* data bytes of string value i; [7] is padding */
	__u8 nargs;			   /* arguments captured */
	__u8 str_trunc;			   /* bit i: string i was longer than captured */
	__u8 str_fault;			   /* bit i: string i could not be read (bad pointer) */
	__u8 arg_fault;			   /* bit i: USDT argument i could not be fetched */
	__u32 pad;
	__u8 data[];
};

PS_ASSERT(sizeof(struct ps_probe_cfg) == 16, "ps_probe_cfg layout");
PS_ASSERT(sizeof(struct ps_probe_count_key) == 8, "ps_probe_count_key layout");
PS_ASSERT(sizeof(struct ps_probe) == 232, "ps_probe layout");
PS_ASSERT(__builtin_offsetof(struct ps_probe, vals) == 152, "ps_probe.vals offset");
PS_ASSERT(__builtin_offsetof(struct ps_probe, str_len) == 208, "ps_probe.str_len offset");
PS_ASSERT(PS_PROBE_NVALS *PS_PROBE_STR_MAX + sizeof(struct ps_probe) <= PS_CHUNK,
	  "a probe hit fits one record");

/* ---- procsnoop top ---- */

#define PS_TOP_CMD 256 /* bytes of the command line kept per process */
#define PS_TOP_EXE 64  /* bytes of the executable's file name */
#define PS_TOP_ANC 6   /* ancestors' names, from the parent up */

/*
 * The names --by ancestor looks past (a shell, or a wrapper that runs a
 * command): the kernel side stops its walk at the first other name, and
 * user space picks the same one. Each at most 7 bytes (one 8-byte compare).
 */
#define PS_TOP_WRAPPERS                                                                       \
	"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox", "fish", "csh", "tcsh",  \
		"env", "nice", "timeout", "xargs", "sudo", "su", "setsid", "nohup", "stdbuf", \
		"chrt", "ionice", "flock", "runuser"

/* ps_top_exit.tflags */
#define PS_TOP_CMD_TRUNC 0x01 /* the command line is longer than cmd[] */
#define PS_TOP_CMD_FAULT 0x02 /* it could not be read (no mm, or not resident) */
#define PS_TOP_EXE_TRUNC 0x04 /* the file name is longer than exe[] */

/*
 * One process's end, for top: its resources (as ps_exit) and what it ran,
 * compact: no variable data (cmd[] is sent up to cmd_len, the record's
 * size says how much). Sent at the last thread's final switch-out.
 */
struct ps_top_exit {
	struct ps_hdr hdr;
	struct ps_ident id; /* at the exit; pcomm/ppid: the parent then */
	__u64 duration_ns;  /* lifetime: fork to the final switch-out */
	__u64 rtime_ns;	    /* CPU of all threads */
	__u64 utime_ns;	    /* tick-sampled, for the user/sys ratio */
	__u64 stime_ns;
	__u64 maxrss_pages;
	__u32 status;	   /* wait(2) status */
	__u32 xflags;	   /* PS_EXIT_* */
	__u32 execs;	   /* successful execs by the process */
	__u32 exec_fails;  /* failed exec attempts no later success of the process ended */
	__u32 path_misses; /* failed attempts a later success ended (PATH searches) */
	__u32 pad0;
	char exe[PS_TOP_EXE]; /* basename of the executable at the exit, NUL-terminated */
	char anc[PS_TOP_ANC][PS_TASK_COMM_LEN];
	__u32 nanc;	 /* entries of anc[] */
	__u16 cmd_len;	 /* bytes of cmd[] (NUL-separated arguments) */
	__u16 tflags;	 /* PS_TOP_* */
	__u32 cmd_total; /* bytes of the whole command line */
	__u32 pad;
	char cmd[PS_TOP_CMD];
};
PS_ASSERT(sizeof(struct ps_top_exit) == 640, "ps_top_exit layout");
PS_ASSERT(__builtin_offsetof(struct ps_top_exit, cmd) == 384, "ps_top_exit.cmd offset");
/* ---- procsnoop trace: fork (exec and exit are the records above) ---- */

/* ps_fork.fflags */
#define PS_FORK_CLONE_PARENT 0x1 /* the parent is not the caller (CLONE_PARENT, or a thread's) */

/*
 * A new process (not a thread) at sched_process_fork. @id describes the
 * child as it starts: pid/tid/start_ns are the child's, ppid/pstart_ns
 * its real_parent's (the one wait() reports to), comm/tcomm the name it
 * inherited (the forking thread's), pcomm the parent's; credentials,
 * cgroup and audit ids are the caller's, which the child inherits;
 * nspid/pidns the child's. ktime_ns: the fork. Fixed size.
 */
struct ps_fork {
	struct ps_hdr hdr;
	struct ps_ident id;
	__u32 caller_pid; /* tgid that called fork/clone */
	__u32 fflags;	  /* PS_FORK_* */
};
PS_ASSERT(sizeof(struct ps_fork) == 152, "ps_fork layout");

#endif /* PROCSNOOP_ABI_H */
