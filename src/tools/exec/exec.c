// SPDX-License-Identifier: GPL-2.0
/* procsnoop exec (execsnoop): trace every exec attempt, with the full argv. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "tools/tools.h"
#include "lib/bpfutil.h"
#include "lib/opts.h"
#include "lib/out.h"
#include "lib/hooks.h"
#include "lib/json.h"
#include "lib/session.h"
#include "lib/transport.h"
#include "events/exec.h"
#include "exec.skel.h"

static const struct ps_hookset exec_hookset;

struct exec_cfg {
	const char *prog;
	bool json, fails, quote, verbose;
	struct exec_print_opts po;
	uint32_t uid, ppid;
	bool have_uid;
	const char *name, *line, *cgroup;
	uint32_t max_args;		/* count cap, applied in user space (0: none) */
	uint32_t max_args_bytes;
	size_t bufsize;
	bool bufsize_given;		/* --buffer-size was given (else it may be raised) */
	int transport;
	int forced[PS_HOOK_SIDES];	/* --hook: per side, a hook index or -1 */
	struct ps_session *sess;
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
"Usage: %s [OPTIONS]\n"
"\n"
"Trace every exec attempt on the machine (execve and execveat, any thread):\n"
"the full argument list, parent, user, and the result, failures included.\n"
"\n"
"Output:\n"
"  -T, --time              print a TIME (HH:MM:SS) column\n"
"  -t, --timestamp         print a TIME(s) column: seconds since start\n"
"  -U, --print-uid         print a UID column\n"
"  -q, --quote             quote each argument (\"...\")\n"
"      --json              JSON Lines on stdout (schema in the README)\n"
"Filters:\n"
"  -x, --fails             failed execs too (the default; as in libbpf-tools)\n"
"      --fails-only        only failed execs (in the kernel)\n"
"  -u, --uid UID           only this real user id (number or name)\n"
"  -P, --ppid PID          only children of this process\n"
"  -c, --cgroup PATH       only processes in this cgroup v2 subtree\n"
"  -n, --name NAME         only if the command name (comm) contains NAME\n"
"  -l, --line TEXT         only if the command line contains TEXT\n"
"Capture:\n"
"      --max-args N        print at most N arguments (default: all)\n"
"      --max-args-bytes N  capture up to N bytes of argv per exec (default 128K,\n"
"                          at most 4M); beyond it the event says how much was cut\n"
"      --buffer-size SIZE  ring buffer size (default 4M, or what one exec of\n"
"                          --max-args-bytes needs if more)\n"
"      --transport KIND    ringbuf | perf | auto (default auto: ringbuf if the\n"
"                          kernel has it)\n"
"      --hook LIST         force hooks, comma-separated, one per side:\n"
"                          syscall side: fentry | sys-tp | raw-sys\n"
"                          exec side:    exec-btf | exec-raw | exec-tp\n"
"  -v, --verbose           show libbpf and verifier messages\n"
"  -h, --help              this help\n"
"\n"
"Examples:\n"
"  %s                      every exec, as it happens\n"
"  %s --fails-only         only failed execs (ENOENT, EACCES, ...)\n"
"  %s -T -U -u 1000        with time and uid, for user 1000\n"
"  %s -l curl -q           command lines that mention curl, quoted\n"
"  %s --json > execs.jsonl record everything for later analysis\n"
"\n"
"Exit status: 0 ok (including SIGINT/SIGTERM), 1 runtime failure, 2 usage error.\n",
		prog, prog, prog, prog, prog, prog);
}

static void parse_args(struct exec_cfg *c, int argc, char **argv)
{
	enum { O_JSON = 256, O_MAXARGS, O_MAXBYTES, O_TRANSPORT, O_HOOK, O_BUFSIZE, O_FAILS_ONLY };
	static const struct option lo[] = {
		{ "time", no_argument, NULL, 'T' },
		{ "timestamp", no_argument, NULL, 't' },
		{ "fails", no_argument, NULL, 'x' },
		{ "fails-only", no_argument, NULL, O_FAILS_ONLY },
		{ "uid", required_argument, NULL, 'u' },
		{ "name", required_argument, NULL, 'n' },
		{ "line", required_argument, NULL, 'l' },
		{ "quote", no_argument, NULL, 'q' },
		{ "print-uid", no_argument, NULL, 'U' },
		{ "ppid", required_argument, NULL, 'P' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, O_JSON },
		{ "max-args", required_argument, NULL, O_MAXARGS },
		{ "max-args-bytes", required_argument, NULL, O_MAXBYTES },
		{ "buffer-size", required_argument, NULL, O_BUFSIZE },
		{ "transport", required_argument, NULL, O_TRANSPORT },
		{ "hook", required_argument, NULL, O_HOOK },
		{}
	};
	const char *p = c->prog;
	uint64_t v;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":TtxUu:n:l:qP:c:vh", lo, NULL)) != -1) {
		switch (opt) {
		case 'T': c->po.time = true; break;
		case 't': c->po.timestamp = true; break;
		/* libbpf-tools/bcc: -x includes failed execs, which we always show */
		case 'x': break;
		case O_FAILS_ONLY: c->fails = true; break;
		case 'q': c->quote = c->po.quote = true; break;
		case 'U': c->po.print_uid = true; break;
		case 'v': c->verbose = true; break;
		case 'h': usage(stdout, p); exit(0);
		case O_JSON: c->json = true; break;
		case 'u':
			if (parse_uid(optarg, &c->uid))
				usage_error(p, "invalid uid '%s': not a number or a known user", optarg);
			c->have_uid = true;
			break;
		case 'P':
			if (parse_u64(optarg, 1, 0x3fffffff, &v))
				usage_error(p, "invalid ppid '%s': expected a process id", optarg);
			c->ppid = v;
			break;
		/* one filter of each kind: silently keeping the last one would trace
		 * what was not asked for */
		case 'n':
			if (!*optarg)
				usage_error(p, "--name needs a non-empty NAME");
			if (strlen(optarg) > PS_TASK_COMM_LEN - 1)
				usage_error(p, "--name '%s' can never match: a process name (comm) is at "
					    "most %d bytes", optarg, PS_TASK_COMM_LEN - 1);
			if (c->name)
				usage_error(p, "--name given twice ('%s', '%s'): give one NAME", c->name,
					    optarg);
			c->name = optarg;
			break;
		case 'l':
			if (!*optarg)
				usage_error(p, "--line needs a non-empty TEXT");
			if (c->line)
				usage_error(p, "--line given twice ('%s', '%s'): give one TEXT", c->line,
					    optarg);
			c->line = optarg;
			break;
		case 'c':
			/* an empty PATH would open the cgroup2 root: no filter at all */
			if (!*optarg)
				usage_error(p, "--cgroup needs a non-empty PATH");
			if (c->cgroup)
				usage_error(p, "--cgroup given twice ('%s', '%s'): give one PATH",
					    c->cgroup, optarg);
			c->cgroup = optarg;
			break;
		case O_MAXARGS:
			if (parse_u64(optarg, 1, 1u << 30, &v))
				usage_error(p, "invalid --max-args '%s': expected a number >= 1", optarg);
			c->max_args = v;
			break;
		case O_MAXBYTES:
			if (parse_size(optarg, 1, PS_ARGS_MAX, &v))
				usage_error(p, "invalid --max-args-bytes '%s': expected a size from 1 to 4M",
					    optarg);
			c->max_args_bytes = v;
			break;
		case O_BUFSIZE:
			c->bufsize = opt_buffer_size(p, optarg);
			c->bufsize_given = true;
			break;
		case O_TRANSPORT:
			c->transport = ps_transport_opt(p, optarg);
			break;
		case O_HOOK:
			ps_hooks_parse(&exec_hookset, p, optarg, c->forced);
			break;
		case ':':
			usage_error(p, "option '%s' needs a value", argv[optind - 1]);
		default:
			usage_error(p, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error(p, "unexpected argument '%s'", argv[optind]);
	if (c->po.time && c->po.timestamp)
		usage_error(p, "-T and -t are exclusive: pick one time column");
}

static size_t pow2_ceil(size_t v)
{
	size_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * The smallest --buffer-size in which one whole exec event of @max_bytes of
 * argv fits when the buffer is empty. An event is written in one go, so a
 * smaller buffer could never deliver a big exec whole. Upper bound: the
 * event struct, a full-length filename, the argv, and per record a chunk
 * header plus the transport's own (8-byte ring header, perf's 8-byte header
 * and 4-byte size, rounded). Perf buffers are per CPU: the total is split.
 */
static size_t min_bufsize(uint32_t max_bytes, int kind)
{
	size_t data = PS_PATH_MAX + (size_t)max_bytes;
	size_t nrec = data / PS_CHUNK + 2;
	size_t need = sizeof(struct ps_exec) + data + nrec * (sizeof(struct ps_chunk) + 24);
	size_t page = sysconf(_SC_PAGESIZE);
	int ncpu = libbpf_num_possible_cpus();
	size_t min;

	if (kind == PS_TRANSPORT_PERF)
		min = pow2_ceil(pow2_ceil((need + page - 1) / page) * page * (ncpu > 0 ? ncpu : 1));
	else
		min = pow2_ceil(need);
	return min < 64 * 1024 ? 64 * 1024 : min;
}

static void fmt_size(char *buf, size_t cap, size_t v)
{
	if (v >= (1u << 20) && !(v & ((1u << 20) - 1)))
		snprintf(buf, cap, "%zuM", v >> 20);
	else if (v >= 1024 && !(v & 1023))
		snprintf(buf, cap, "%zuK", v >> 10);
	else
		snprintf(buf, cap, "%zu", v);
}

/* --buffer-size against --max-args-bytes: raise the default, refuse a given size. */
static void check_bufsize(struct exec_cfg *c)
{
	int kind = c->transport;
	size_t min;
	char a[32], b[32], m[32];

	if (kind == PS_TRANSPORT_AUTO)
		kind = ps_kernel_has_ringbuf() ? PS_TRANSPORT_RINGBUF : PS_TRANSPORT_PERF;
	min = min_bufsize(c->max_args_bytes, kind);
	if (c->bufsize >= min)
		return;
	if (!c->bufsize_given) {
		c->bufsize = min;
		return;
	}
	fmt_size(a, sizeof(a), c->bufsize);
	fmt_size(b, sizeof(b), c->max_args_bytes);
	fmt_size(m, sizeof(m), min);
	usage_error(c->prog, "--buffer-size %s cannot hold one exec of --max-args-bytes %s: "
		    "the smallest buffer that works is %s (%s)", a, b, m,
		    kind == PS_TRANSPORT_PERF ? "perf buffers are split per CPU" : "ring buffer");
}

/* ---- events ---- */

static bool memcontains(const uint8_t *h, size_t hl, const char *n)
{
	return memmem(h, hl, n, strlen(n)) != NULL;
}

static void on_event(void *ctx, const struct ps_event *ev)
{
	struct exec_cfg *c = ctx;
	struct exec_view v;

	if (!exec_view_init(&v, ev, c->max_args))
		return;
	if (c->name && !memcontains((const uint8_t *)v.e->comm, strnlen(v.e->comm, 16), c->name))
		return;
	if (c->line) {
		/* the command line: arguments joined by spaces */
		bool hit = false;
		size_t pos = 0, len;
		const uint8_t *a;
		size_t nl = strlen(c->line);

		if (memcontains(v.args, v.args_len, c->line))
			hit = true;
		if (!hit && memchr(c->line, ' ', nl)) {
			char *j = malloc(v.args_len + 1);

			if (j) {
				size_t k = 0;

				while (exec_view_next_arg(&v, &pos, &a, &len)) {
					if (k)
						j[k++] = ' ';
					memcpy(j + k, a, len);
					k += len;
				}
				hit = memmem(j, k, c->line, nl) != NULL;
				free(j);
			}
		}
		if (!hit)
			return;
	}
	ps_session_emit(c->sess, 0, &v);
}

/* ---- sinks ---- */

static void table_header(void *ctx)
{
	struct exec_cfg *c = ctx;

	exec_print_header(&c->po);
}

static void table_event(void *ctx, int kind, const void *view)
{
	struct exec_cfg *c = ctx;

	exec_print_table(view, &c->po);
	out_maybe_flush();
}

static void json_event(void *ctx, int kind, const void *view)
{
	exec_print_json(view);
	out_maybe_flush();
}

/* ---- loading ---- */

enum { SIDE_SYS, SIDE_EXEC, SIDE_NR };

static int probe_fentry(void *ctx, const struct ps_hook *h, char *why, size_t len)
{
	char name[64];
	int err;

	snprintf(name, sizeof(name), "%sexecve", ps_syscall_prefix());
	err = ps_kernel_can_fentry(name);
	if (err)
		snprintf(why, len, "the kernel refuses fentry on %s: %s", name, strerror(-err));
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
		{ "fentry_execve", "execve" }, { "fexit_execve", "execve" },
		{ "fentry_execveat", "execveat" }, { "fexit_execveat", "execveat" },
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

static const struct ps_hook_side exec_sides[SIDE_NR] = {
	[SIDE_SYS] = { "syscall-side", true },
	[SIDE_EXEC] = { "exec-side", true },
};

#ifdef __x86_64__
#define COMPAT_EXIT "compat_sys_exit"
#else
#define COMPAT_EXIT NULL
#endif

/* In order of preference, per side. */
static const struct ps_hook exec_hooks[] = {
	/*
	 * COMPAT_EXIT: the __x64_sys_* fentry targets and the syscall
	 * tracepoints never see 32-bit (compat) syscalls; a raw sys_exit
	 * companion reports their failed execs (raw-sys sees both ABIs).
	 */
	{ "fentry", SIDE_SYS,
	  { "fentry_execve", "fentry_execveat", "fexit_execve", "fexit_execveat", COMPAT_EXIT },
	  0, probe_fentry, prepare_fentry },
	{ "sys-tp", SIDE_SYS,
	  { "tp_enter_execve", "tp_enter_execveat", "tp_exit_execve", "tp_exit_execveat",
	    COMPAT_EXIT },
	  0, probe_tracefs },
	{ "raw-sys", SIDE_SYS, { "raw_sys_enter", "raw_sys_exit" } },
	{ "exec-btf", SIDE_EXEC, { "btf_exec" } },
	{ "exec-raw", SIDE_EXEC, { "raw_exec" } },
	{ "exec-tp", SIDE_EXEC, { "tp_exec" }, 0, probe_tracefs },
};

static const struct ps_hookset exec_hookset = {
	.tool = "exec",
	.sides = exec_sides,
	.nsides = SIDE_NR,
	.hooks = exec_hooks,
	.nhooks = sizeof(exec_hooks) / sizeof(exec_hooks[0]),
};

struct exec_run {
	struct exec_cfg *c;
	struct ps_session *sess;
	struct exec_bpf *skel;
	struct ps_loaded loaded;
	int cgfd;
};

static struct bpf_object *ld_open(void *ctx)
{
	struct exec_run *r = ctx;

	/* the probes' BTF must be gone before libbpf parses its own copies */
	ps_probe_btf_release();
	r->skel = exec_bpf__open();
	return r->skel ? r->skel->obj : NULL;
}

static int ld_configure(void *ctx, struct bpf_object *obj, const struct ps_hook *const *picked)
{
	struct exec_run *r = ctx;
	struct exec_cfg *c = r->c;
	struct exec_bpf *s = r->skel;
	int err = ps_session_prepare(r->sess, obj);

	if (err)
		return err;
	s->rodata->ps_use_perf = ps_session_kind(r->sess) == PS_TRANSPORT_PERF;
	s->rodata->ps_boottime = ps_kernel_has_helper(BPF_PROG_TYPE_TRACEPOINT,
						       BPF_FUNC_ktime_get_boot_ns);
	s->rodata->targ_uid = c->have_uid ? c->uid : (uint32_t)-1;
	s->rodata->targ_ppid = c->ppid;
	s->rodata->filter_cg = r->cgfd >= 0;
	s->rodata->fails_only = c->fails;
	s->rodata->max_args_bytes = c->max_args_bytes;
	s->rodata->nr_execve = SYS_execve;
	s->rodata->nr_execveat = SYS_execveat;
	return 0;
}

static int ld_loaded(void *ctx, struct bpf_object *obj)
{
	static const size_t rec_len[PS_REC_NR] = { [PS_REC_EXEC] = sizeof(struct ps_exec) };
	struct exec_run *r = ctx;
	int err = r->cgfd >= 0 ? ps_cgroup_filter_set(obj, r->cgfd, r->c->prog) : 0;

	return err ? err : ps_session_add(r->sess, obj, rec_len, on_event, r->c);
}

static void ld_close(void *ctx)
{
	struct exec_run *r = ctx;

	if (r->skel)
		ps_session_remove(r->sess, r->skel->obj);
	exec_bpf__destroy(r->skel);
	r->skel = NULL;
}

static const struct ps_loader_ops exec_loader = {
	.open = ld_open,
	.configure = ld_configure,
	.loaded = ld_loaded,
	.close = ld_close,
};

static void ready(void *ctx, struct jw *w)
{
	struct exec_run *r = ctx;

	ps_loaded_json(w, &r->loaded);
	jw_u64(w, "max_args_bytes", r->c->max_args_bytes);
}

int cmd_exec(int argc, char **argv, const char *prog)
{
	struct exec_cfg c = {
		.prog = prog, .max_args_bytes = PS_ARGS_DEFAULT, .bufsize = 4u << 20,
		.forced = { -1, -1, -1, -1 },
	};
	struct exec_run r = { .c = &c, .cgfd = -1 };
	struct ps_session_cfg sc;
	char err[256];
	int ret = 1;

	parse_args(&c, argc, argv);
	ps_libbpf_setup(c.verbose);
	ps_require_bpf(prog);
	check_bufsize(&c);
	if (c.cgroup) {
		r.cgfd = ps_open_cgroup(c.cgroup, err, sizeof(err));
		if (r.cgfd < 0) {
			fprintf(stderr, "%s: --cgroup: %s\n", prog, err);
			return 1;
		}
	}
	ps_install_signals();
	out_set_linebuf(isatty(STDOUT_FILENO));
	sc = (struct ps_session_cfg){
		.tool = "exec", .json = c.json, .want = c.transport, .bufsize = c.bufsize,
	};
	r.sess = ps_session_new(&sc);
	if (!r.sess) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	c.sess = r.sess;
	if (ps_hooks_load(&exec_hookset, c.forced, &exec_loader, &r, c.verbose, &r.loaded))
		goto out;
	ps_clock_init(r.skel->rodata->ps_boottime);
	c.po.start_ns = ps_ktime_now();
	ps_session_sink(r.sess, c.json ? &(struct ps_sink){ .event = json_event, .ctx = &c }
				       : &(struct ps_sink){ .header = table_header,
							    .event = table_event, .ctx = &c });
	ret = ps_session_run(r.sess, &(struct ps_session_hooks){ .ready = ready, .ctx = &r }) ?
		      1 : 0;
out:
	ps_loaded_detach(&r.loaded);
	ps_session_free(r.sess);
	exec_bpf__destroy(r.skel);
	if (r.cgfd >= 0)
		close(r.cgfd);
	return ret;
}
