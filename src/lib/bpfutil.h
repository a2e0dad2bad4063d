/* SPDX-License-Identifier: GPL-2.0 */
/* Loading and attaching: privileges, BTF, tracefs, feature probes, clocks, signals. */
#ifndef PROCSNOOP_BPFUTIL_H
#define PROCSNOOP_BPFUTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <bpf/libbpf.h>

extern volatile sig_atomic_t ps_exiting;
extern bool ps_verbose;

/* Route libbpf's log to stderr only with -v. */
void ps_libbpf_setup(bool verbose);
/* Exit 1 with one clear line unless we may load BPF and a BTF kernel is here. */
void ps_require_bpf(const char *tool);
/* SIGINT/SIGTERM set ps_exiting; SIGPIPE ignored (EPIPE is handled at write). */
void ps_install_signals(void);
/* Make sure tracefs is mounted (mount it if not); 0 or -errno. */
int ps_ensure_tracefs(void);
bool ps_kernel_has_ringbuf(void);
/* Will the kernel load and attach an fentry program on @func? 0, or -errno
 * (-ENOENT: no such function). A cheap probe: two instructions. */
int ps_kernel_can_fentry(const char *func);
/* strerror(@err), with a text for the kernel's ENOTSUPP (524) too */
const char *ps_bpf_strerror(int err);
/* Is @func a function in the kernel's BTF? */
bool ps_kernel_has_func(const char *func);
/* Free the BTF the probes above parsed; call before loading an object. */
void ps_probe_btf_release(void);
bool ps_kernel_has_helper(enum bpf_prog_type type, enum bpf_func_id id);
/* Arguments of the raw tracepoint NAME (from btf_trace_NAME), or -1 if unknown. */
int ps_kernel_tp_nargs(const char *name);
/* Architecture prefix of syscall wrappers, e.g. "__x64_sys_". */
const char *ps_syscall_prefix(void);

/* Attach one program, reporting failure by name; link kept in *out. */
int ps_attach(struct bpf_program *prog, struct bpf_link **out);

/* Kernel timestamps (boottime or monotonic ns) to wall clock. */
void ps_clock_init(bool boottime);
uint64_t ps_ktime_to_realtime(uint64_t ktime_ns);
uint64_t ps_ktime_now(void);
/* A CLOCK_BOOTTIME time (a process start: task->start_boottime) as wall-clock ns. */
uint64_t ps_boottime_to_realtime(uint64_t boottime_ns);
/* "boottime" or "monotonic": the kernel clock of every ktime_ns */
const char *ps_clock_name(void);
/* Seconds from @start_ns to @ktime_ns; 0 for an event from before the start
 * (between attach and the start stamp), never a wrapped 2^64 ns. */
double ps_elapsed_s(uint64_t ktime_ns, uint64_t start_ns);

/* Sum over every possible CPU of a per-CPU map's value (u64) at @key. 0 or -errno. */
int ps_map_sum_percpu(int fd, const void *key, uint64_t *sum);

/* Resolve a cgroup v2 path (absolute, or relative to the cgroup2 mount) to an open fd. */
int ps_open_cgroup(const char *path, char *err, size_t errlen);
/* After load: point the object's cgroup filter (common.bpf.h) at @cgfd.
 * 0, or -errno with one line on stderr. */
int ps_cgroup_filter_set(struct bpf_object *obj, int cgfd, const char *tool);

#endif
