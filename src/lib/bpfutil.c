// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "lib/bpfutil.h"

volatile sig_atomic_t ps_exiting;
bool ps_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!ps_verbose && level != LIBBPF_WARN)
		return 0;
	if (!ps_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void ps_libbpf_setup(bool verbose)
{
	ps_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

void ps_require_bpf(const char *tool)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d) == 0 && !has_cap(d, CAP_SYS_ADMIN) &&
	    !(has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON))) {
		fprintf(stderr,
			"%s: permission denied: tracing needs root, or CAP_BPF and "
			"CAP_PERFMON (try sudo)\n",
			tool);
		exit(1);
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		fprintf(stderr,
			"%s: this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): "
			"a kernel built with CONFIG_DEBUG_INFO_BTF=y is required\n",
			tool);
		exit(1);
	}
}

static void on_signal(int sig)
{
	ps_exiting = 1;
}

void ps_install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int ps_ensure_tracefs(void)
{
	struct statfs st;

	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return 0;
	if (statfs("/sys/kernel/tracing", &st) != 0)
		return -errno;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0)
		return -errno;
	return 0;
}

static struct btf *probe_btf;
static bool probe_btf_tried;

static struct btf *vmlinux_btf(void)
{
	if (!probe_btf_tried) {
		probe_btf_tried = true;
		probe_btf = btf__load_vmlinux_btf();
	}
	return probe_btf;
}

void ps_probe_btf_release(void)
{
	/* libbpf parses its own copy at load (and bpf_program__set_attach_target
	 * another): never hold two (~12 MB peak each); return the pages too */
	if (!probe_btf)
		return;
	btf__free(probe_btf);
	probe_btf = NULL;
	probe_btf_tried = false;
	malloc_trim(0);
}

int ps_kernel_tp_nargs(const char *name)
{
	struct btf *btf = vmlinux_btf();
	const struct btf_type *t;
	char tn[128];
	int id;

	snprintf(tn, sizeof(tn), "btf_trace_%s", name);
	if (!btf || (id = btf__find_by_name_kind(btf, tn, BTF_KIND_TYPEDEF)) <= 0)
		return -1;
	/* typedef -> pointer -> func_proto (void *, args...) */
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_ptr(t) || !(t = btf__type_by_id(btf, t->type)) || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

const char *ps_bpf_strerror(int err)
{
	/* the kernel's internal ENOTSUPP (include/linux/errno.h), which the bpf
	 * syscall lets out (e.g. fentry on arm64 before 6.4): libc has no text */
	if (err == 524)
		return "not supported by this kernel (ENOTSUPP)";
	return strerror(err);
}

int ps_kernel_can_fentry(const char *func)
{
	/* r0 = 0; exit: the cheapest program that proves the kernel will load
	 * and attach fentry to @func (some kernels refuse with EPERM). */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *btf = vmlinux_btf();
	int id, fd, lfd, err;

	if (!btf || (id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC)) <= 0)
		return -ENOENT;
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = id);
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ps_probe", "GPL", insns, 2, &opts);
	if (fd < 0)
		return -errno;
	lfd = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	err = lfd < 0 ? -errno : 0;
	if (lfd >= 0)
		close(lfd);
	close(fd);
	return err;
}

bool ps_kernel_has_func(const char *func)
{
	struct btf *btf = vmlinux_btf();

	return btf && btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) > 0;
}

bool ps_kernel_has_ringbuf(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0;
}

bool ps_kernel_has_helper(enum bpf_prog_type type, enum bpf_func_id id)
{
	return libbpf_probe_bpf_helper(type, id, NULL) > 0;
}

const char *ps_syscall_prefix(void)
{
#if defined(__x86_64__)
	return "__x64_sys_";
#elif defined(__aarch64__)
	return "__arm64_sys_";
#elif defined(__s390x__)
	return "__s390x_sys_";
#else
	return "sys_";
#endif
}

int ps_attach(struct bpf_program *prog, struct bpf_link **out)
{
	struct bpf_link *l = bpf_program__attach(prog);

	if (!l) {
		int err = -errno;

		if (ps_verbose)
			fprintf(stderr, "prog '%s': failed to attach: %s\n",
				bpf_program__name(prog), strerror(-err));
		return err;
	}
	*out = l;
	return 0;
}

static int64_t clock_off;
static clockid_t kclock = CLOCK_BOOTTIME;

static uint64_t ts(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

void ps_clock_init(bool boottime)
{
	uint64_t best = UINT64_MAX;

	kclock = boottime ? CLOCK_BOOTTIME : CLOCK_MONOTONIC;
	/* take the tightest of a few bracketed reads */
	for (int i = 0; i < 5; i++) {
		uint64_t a = ts(kclock), r = ts(CLOCK_REALTIME), b = ts(kclock);

		if (b - a < best) {
			best = b - a;
			clock_off = (int64_t)r - (int64_t)(a + (b - a) / 2);
		}
	}
}

uint64_t ps_ktime_to_realtime(uint64_t k)
{
	return (uint64_t)((int64_t)k + clock_off);
}

uint64_t ps_boottime_to_realtime(uint64_t b)
{
	static int64_t boot_off;
	static bool have;

	if (kclock == CLOCK_BOOTTIME)
		return ps_ktime_to_realtime(b);
	/* an old kernel's events are on CLOCK_MONOTONIC; process starts never are */
	if (!have) {
		uint64_t a = ts(CLOCK_BOOTTIME), r = ts(CLOCK_REALTIME), c = ts(CLOCK_BOOTTIME);

		boot_off = (int64_t)r - (int64_t)(a + (c - a) / 2);
		have = true;
	}
	return (uint64_t)((int64_t)b + boot_off);
}

uint64_t ps_ktime_now(void)
{
	return ts(kclock);
}

const char *ps_clock_name(void)
{
	return kclock == CLOCK_BOOTTIME ? "boottime" : "monotonic";
}

double ps_elapsed_s(uint64_t ktime_ns, uint64_t start_ns)
{
	int64_t d = (int64_t)(ktime_ns - start_ns);

	return d > 0 ? (double)d / 1e9 : 0.0;
}

int ps_map_sum_percpu(int fd, const void *key, uint64_t *sum)
{
	static uint64_t *vals;
	static int nvals;
	int ncpu = libbpf_num_possible_cpus();

	*sum = 0;
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	if (ncpu > nvals) {
		uint64_t *v = realloc(vals, ncpu * sizeof(*v));

		if (!v)
			return -ENOMEM;
		vals = v;
		nvals = ncpu;
	}
	if (bpf_map_lookup_elem(fd, key, vals))
		return -errno;
	for (int i = 0; i < ncpu; i++)
		*sum += vals[i];
	return 0;
}

static int cgroup2_root(char *buf, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			snprintf(buf, len, "%s", m->mnt_dir);
			ret = 0;
			break;
		}
	}
	endmntent(f);
	return ret;
}

int ps_open_cgroup(const char *path, char *err, size_t errlen)
{
	char root[512], full[PATH_MAX];
	struct statfs st;
	int fd;

	if (path[0] == '/' && statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) {
		snprintf(full, sizeof(full), "%s", path);
	} else {
		if (cgroup2_root(root, sizeof(root))) {
			snprintf(err, errlen, "no cgroup v2 hierarchy is mounted");
			return -ENOENT;
		}
		snprintf(full, sizeof(full), "%s/%s", root, path[0] == '/' ? path + 1 : path);
		if (statfs(full, &st) != 0 || st.f_type != CGROUP2_SUPER_MAGIC) {
			snprintf(err, errlen,
				 "'%s' is not a cgroup v2 directory (cgroup2 is at %s)", path,
				 root);
			return -ENOENT;
		}
	}
	fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open cgroup '%s': %s", full, strerror(errno));
		return -errno;
	}
	return fd;
}

int ps_cgroup_filter_set(struct bpf_object *obj, int cgfd, const char *tool)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "cgroup_map");
	__u32 zero = 0;

	if (!map || bpf_map_update_elem(bpf_map__fd(map), &zero, &cgfd, BPF_ANY)) {
		int err = map ? -errno : -ENOENT;

		fprintf(stderr, "%s: cannot set the cgroup filter: %s\n", tool, strerror(-err));
		return err;
	}
	return 0;
}
