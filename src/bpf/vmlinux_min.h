/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal kernel type definitions for CO-RE.
 *
 * Why not a generated vmlinux.h: the build must not depend on the build
 * machine's kernel (it may have no /sys/kernel/btf/vmlinux), and a
 * committed multi-megabyte vmlinux.h from one kernel hides which fields
 * we actually rely on. With preserve_access_index, libbpf relocates
 * every field access below against the running kernel's BTF by name,
 * so only the fields we read need declaring, in any order, and layout
 * differences between kernels are resolved at load time.
 *
 * UAPI types (__u32, BPF_MAP_TYPE_*, ...) come from linux-libc-dev.
 */
#ifndef PROCSNOOP_VMLINUX_MIN_H
#define PROCSNOOP_VMLINUX_MIN_H

#include <linux/types.h>
#include <linux/bpf.h>

/* Tell bpf_tracing.h to use kernel pt_regs field names (di, si, ...). */
#define __VMLINUX_H__ 1

typedef __u32 u32;
typedef __u64 u64;
typedef int pid_t;
typedef _Bool bool;
enum { false = 0, true = 1 };

#define __ps_core __attribute__((preserve_access_index))

#if defined(__TARGET_ARCH_x86)
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
} __ps_core;
#elif defined(__TARGET_ARCH_arm64)
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
} __ps_core;
struct pt_regs {
	union {
		struct user_pt_regs user_regs;
		struct {
			__u64 regs[31];
			__u64 sp;
			__u64 pc;
			__u64 pstate;
		};
	};
	__u64 orig_x0;
	__s32 syscallno; /* little endian: before unused2 */
} __ps_core;
#endif

typedef struct {
	int counter;
} atomic_t;
typedef struct {
	__s64 counter;
} atomic64_t;
typedef struct {
	__u32 val;
} kuid_t;
typedef struct {
	__u32 val;
} kgid_t;

struct list_head {
	struct list_head *next;
} __ps_core;

/* mm_struct.rss_stat since 6.2 (before: struct mm_rss_stat, probed with field_exists) */
struct percpu_counter {
	__s64 count;
} __ps_core;

/* signal_struct.stats_lock: seqlock_t -> seqcount_spinlock_t -> seqcount_t (5.10+) */
struct seqcount {
	unsigned int sequence;
} __ps_core;

struct seqcount_spinlock {
	struct seqcount seqcount;
} __ps_core;

typedef struct {
	struct seqcount_spinlock seqcount;
} __ps_core seqlock_t;

struct sched_entity {
	__u64 sum_exec_runtime;
} __ps_core;

/* kernel_cap_t: struct { u64 val; } since 6.3, u32 cap[2] before: 8 bytes either way */
typedef struct {
	__u64 val;
} kernel_cap_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t suid;
	kgid_t sgid;
	kuid_t euid;
	kgid_t egid;
	kernel_cap_t cap_effective;
} __ps_core;

/* ---- the path walk (path.bpf.h) ---- */
struct super_block {
	__u32 s_dev; /* dev_t, kernel encoding (MAJOR << 20 | MINOR) */
	unsigned long s_magic;
} __ps_core;

struct inode {
	unsigned long i_ino;
	unsigned int i_nlink; /* in an anonymous union with __i_nlink */
	struct super_block *i_sb;
} __ps_core;

struct qstr {
	__u32 hash; /* hash and len are in an anonymous struct in a union with hash_len */
	__u32 len;
	const unsigned char *name;
} __ps_core;

struct hlist_bl_node {
	struct hlist_bl_node *next, **pprev;
} __ps_core;

struct dentry {
	struct hlist_bl_node d_hash; /* pprev NULL: unhashed (d_unhashed()) */
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
} __ps_core;

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
} __ps_core;

/* fs/mount.h: not in any header a tool can include; CO-RE finds it by name */
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
} __ps_core;

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
} __ps_core;

struct file {
	struct path f_path;
	struct inode *f_inode;
} __ps_core;

struct fs_struct {
	struct path root;
	struct path pwd;
} __ps_core;

struct tty_struct {
	char name[64];
} __ps_core;

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
	unsigned long env_start;
	unsigned long hiwater_rss;
	struct file *exe_file;
	struct percpu_counter rss_stat[4];
} __ps_core;

struct signal_struct {
	atomic_t live;
	int nr_threads;
	struct list_head thread_head;
	int group_exit_code;
	unsigned int flags;
	seqlock_t stats_lock;
	__u64 utime;
	__u64 stime;
	unsigned long maxrss;
	unsigned long long sum_sched_runtime;
	struct tty_struct *tty;
} __ps_core;

struct kernfs_node {
	__u64 id;
} __ps_core;

struct cgroup {
	struct kernfs_node *kn;
} __ps_core;

struct css_set;

/* namespaces: only the inode number (what the /proc/PID/ns links show) */
struct ns_common {
	unsigned int inum;
} __ps_core;

struct pid_namespace {
	struct ns_common ns;
} __ps_core;

struct mnt_namespace {
	struct ns_common ns;
} __ps_core;

struct nsproxy {
	struct mnt_namespace *mnt_ns;
} __ps_core;

struct upid {
	int nr;
	struct pid_namespace *ns;
} __ps_core;

/* numbers[level] is the pid in the task's own (innermost) pid namespace */
struct pid {
	unsigned int level;
	struct upid numbers[1];
} __ps_core;

/* x86: thread_info.status holds TS_COMPAT during a 32-bit syscall */
struct thread_info {
	unsigned long flags;
	__u32 status;
} __ps_core;

typedef struct {
	unsigned long sig[1]; /* SIGKILL is bit 8 of sig[0] on every 64-bit arch */
} sigset_t;

struct sigpending {
	struct list_head list;
	sigset_t signal;
} __ps_core;

struct task_struct {
	struct thread_info thread_info;
	unsigned int flags;
	int exit_state;
	int exit_code;
	int exit_signal;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct mm_struct *mm;
	const struct cred *real_cred;
	const struct cred *cred;
	struct signal_struct *signal;
	struct fs_struct *fs;
	char comm[16];
	__u64 utime;
	__u64 stime;
	__u64 start_time;
	__u64 start_boottime;
	struct css_set *cgroups;
	struct sched_entity se;
	struct list_head thread_node;
	struct sigpending pending;
	struct pid *thread_pid;
	struct nsproxy *nsproxy;
	__u64 parent_exec_id; /* the parent's self_exec_id at fork (u64 since 5.8) */
	__u64 self_exec_id;   /* +1 at every successful exec */
	kuid_t loginuid;      /* CONFIG_AUDIT only */
	unsigned int sessionid;
} __ps_core;

struct linux_binprm {
	struct mm_struct *mm;
	unsigned long p;
	struct file *file;
	int argc;
	int envc;
	const char *filename;
	const char *interp;
	const char *fdpath;
} __ps_core;

/* Classic tracepoint contexts: the tracefs "format" layouts, stable ABI. */
struct ps_tp_sys_enter {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct ps_tp_sys_exit {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* group_dead only since 6.16; its offset is read from the format file */
struct ps_tp_sched_process_exit {
	__u64 common;
	char comm[16];
	__s32 pid;
	__s32 prio;
};

struct ps_tp_sched_process_exec {
	__u64 common;
	__u32 filename_loc; /* __data_loc char[] filename */
	__s32 pid;
	__s32 old_pid;
};

#endif /* PROCSNOOP_VMLINUX_MIN_H */
