// SPDX-License-Identifier: GPL-2.0
/*
 * procsnoop trace: one record per process life (fork, every exec, exit),
 * for the machine, for one command and its descendants (-- CMD), or for
 * the descendants of a running process (--descendants-of).
 *
 * Three BPF objects: trace.bpf.c (fork, and the scope flag inherited in
 * task storage) and the exec and exit tools' own objects, unchanged but
 * for the scope check; the first object's scope maps are shared with the
 * other two. The joining is the process table (table.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "tools/tools.h"
#include "lib/bpfutil.h"
#include "lib/cgroup.h"
#include "lib/hooks.h"
#include "events/exec.h"
#include "events/exit.h"
#include "lib/groups.h"
#include "lib/json.h"
#include "lib/metrics.h"
#include "lib/opts.h"
#include "lib/out.h"
#include "lib/session.h"
#include "lib/tool.h"
#include "lib/transport.h"
#include "print/process.h"
#include "tools/exec/hooks_exec.h"
#include "tools/exit/hooks_exit.h"
#include "tools/trace/procparse.h"
#include "tools/trace/table.h"
#include "tools/trace/view.h"
#include "trace.skel.h"
#include "exec.skel.h"
#include "exit.skel.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

struct trace_cfg {
	const char *prog;
	bool json, verbose, failed, ended_only, end_with_cmd;
	bool have_uid;
	uint32_t uid;
	const char *uid_arg, *name, *cgroup, *container, *desc_arg;
	uint32_t desc_pid;
	uint64_t min_ns, max_ns;
	bool have_min, have_max;
	uint64_t max_processes;
	size_t bufsize;
	int transport;
	char **cmd; /* -- CMD [ARGS...], or NULL */
	bool tree;  /* --tree, --timeline FILE, --svg FILE: the views, at the end */
	const char *timeline, *svg;
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTIONS] [-- CMD [ARGS...]]\n"
		"\n"
		"Follow fork, exec and exit of processes and print one record per process\n"
		"life when it ends: who started it, every exec it made, how it ended, what it\n"
		"cost. Processes already running are read from /proc; those still running at\n"
		"the end are reported as running.\n"
		"\n"
		"Scope (default: every process on the machine):\n"
		"  -- CMD [ARGS...]        run CMD and trace it and all its descendants, followed\n"
		"                          in the kernel from fork (daemons included); ends when\n"
		"                          all have ended; exits with CMD's status (128+N for a\n"
		"                          signal). Records go to stderr, CMD keeps stdout\n"
		"      --end-with-cmd      with -- CMD: end when CMD ends (descendants still\n"
		"                          running are reported running)\n"
		"      --descendants-of PID  trace PID and its descendants (until interrupted)\n"
		"Output:\n"
		"      --json              JSON Lines ({\"type\":\"process\",...}, README)\n" PS_OUTPUT_HELP
		"      --ended-only        do not report processes still running at the end\n"
		"      --tree              at the end, the tree of what ran instead of a line per\n"
		"                          life: duration, CPU, status; identical siblings folded\n"
		"      --timeline FILE     at the end, the lives as a Chrome trace-event JSON file\n"
		"                          (open it in ui.perfetto.dev or chrome://tracing)\n"
		"      --svg FILE          at the end, the lives as an SVG Gantt chart\n"
		"Filters (which lives are printed):\n"
		"  -u, --uid UID           only lives of this user (its uid at the end)\n"
		"  -n, --name NAME         only if the process name (comm) contains NAME\n"
		"  -c, --cgroup PATH       only processes in this cgroup v2 subtree (in the kernel)\n"
		"      --container ID      only processes in this container (id or a prefix of at\n"
		"                          least 12 hex digits)\n"
		"      --min-duration D    only lives of at least D (10ms, 2s; bare number: ms)\n"
		"      --max-duration D    only lives of at most D\n"
		"      --failed            only lives that failed: a non-zero exit, a signal, or\n"
		"                          a failed exec\n"
		"Capture:\n"
		"      --max-processes N   process lives held at once (default %u); beyond,\n"
		"                          the oldest are reported early (\"evicted\", counted)\n"
		"      --buffer-size SIZE  ring buffer size per BPF object (default 4M)\n"
		"      --transport KIND    ringbuf | perf | auto (default auto)\n" PS_METRICS_HELP
		"  -v, --verbose           show libbpf and verifier messages\n"
		"  -h, --help              this help\n"
		"\n"
		"Examples:\n"
		"  %s -- make -j2            what a build ran, how each step ended\n"
		"  %s --failed               every failing process on the machine\n"
		"  %s --json --descendants-of 812 > lives.jsonl\n"
		"\n"
		"Exit status: 0 ok, 1 runtime failure, 2 usage error; with -- CMD, CMD's.\n",
		prog, TT_MAX_PROCESSES_DEFAULT, prog, prog, prog);
}

static void parse_args(struct trace_cfg *c, int argc, char **argv)
{
	enum {
		O_JSON = 256,
		O_MIN,
		O_MAX,
		O_TRANSPORT,
		O_BUFSIZE,
		O_CONTAINER,
		O_FAILED,
		O_ENDED,
		O_DESC,
		O_MAXPROC,
		O_ENDCMD,
		O_TREE,
		O_TIMELINE,
		O_SVG,
	};
	static const struct option lo[] = { { "uid", required_argument, NULL, 'u' },
					    { "name", required_argument, NULL, 'n' },
					    { "cgroup", required_argument, NULL, 'c' },
					    { "container", required_argument, NULL, O_CONTAINER },
					    { "min-duration", required_argument, NULL, O_MIN },
					    { "max-duration", required_argument, NULL, O_MAX },
					    { "failed", no_argument, NULL, O_FAILED },
					    { "ended-only", no_argument, NULL, O_ENDED },
					    { "descendants-of", required_argument, NULL, O_DESC },
					    { "max-processes", required_argument, NULL, O_MAXPROC },
					    { "end-with-cmd", no_argument, NULL, O_ENDCMD },
					    { "tree", no_argument, NULL, O_TREE },
					    { "timeline", required_argument, NULL, O_TIMELINE },
					    { "svg", required_argument, NULL, O_SVG },
					    { "json", no_argument, NULL, O_JSON },
					    { "buffer-size", required_argument, NULL, O_BUFSIZE },
					    { "transport", required_argument, NULL, O_TRANSPORT },
					    PS_METRICS_LONGOPT,
					    { "verbose", no_argument, NULL, 'v' },
					    { "help", no_argument, NULL, 'h' },
					    PS_OUTPUT_LONGOPTS,
					    {} };
	const char *p = c->prog;
	uint64_t v;
	int opt;

	opterr = 0;
	/* '+': stop at the first non-option, so CMD's own options stay CMD's */
	while ((opt = getopt_long(argc, argv, "+:u:n:c:o:vh", lo, NULL)) != -1) {
		switch (opt) {
		case 'u':
			c->uid_arg = opt_once(p, "--uid", c->uid_arg, optarg, "UID");
			if (parse_uid(optarg, &c->uid))
				usage_error(p, "invalid uid '%s': expected a number or a user name",
					    optarg);
			c->have_uid = true;
			break;
		case 'n':
			c->name = opt_comm(p, c->name, optarg);
			break;
		case 'c':
			c->cgroup = opt_once(p, "--cgroup", c->cgroup, optarg, "PATH");
			break;
		case O_CONTAINER:
			c->container = ps_container_opt(p, optarg, c->container);
			break;
		case O_MIN:
			c->min_ns = opt_duration(p, "--min-duration", optarg);
			c->have_min = true;
			break;
		case O_MAX:
			c->max_ns = opt_duration(p, "--max-duration", optarg);
			c->have_max = true;
			break;
		case O_FAILED:
			c->failed = true;
			break;
		case O_ENDED:
			c->ended_only = true;
			break;
		case O_ENDCMD:
			c->end_with_cmd = true;
			break;
		case O_TREE:
			c->tree = true;
			break;
		case O_TIMELINE:
			c->timeline = opt_once(p, "--timeline", c->timeline, optarg, "FILE");
			break;
		case O_SVG:
			c->svg = opt_once(p, "--svg", c->svg, optarg, "FILE");
			break;
		case O_DESC:
			c->desc_arg = opt_once(p, "--descendants-of", c->desc_arg, optarg, "PID");
			if (parse_u64(optarg, 1, PS_PID_MAX, &v))
				usage_error(p, "invalid pid '%s': expected a process id", optarg);
			c->desc_pid = v;
			break;
		case O_MAXPROC:
			if (parse_u64(optarg, 16, 1u << 24, &v))
				usage_error(p,
					    "invalid --max-processes '%s': expected a number from "
					    "16 to 16777216",
					    optarg);
			c->max_processes = v;
			break;
		case O_JSON:
			c->json = true;
			break;
		case O_BUFSIZE:
			c->bufsize = opt_buffer_size(p, optarg);
			break;
		case O_TRANSPORT:
			c->transport = ps_transport_opt(p, optarg);
			break;
		case PS_OPT_METRICS:
			ps_metrics_opt(p, optarg);
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			usage(stdout, p);
			exit(0);
		case ':':
			usage_error(p, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (ps_output_opt(p, opt, optarg))
				break;
			usage_error(p, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		/* CMD only after "--": a stray word is a typo, not a command to run */
		if (strcmp(argv[optind - 1], "--"))
			usage_error(p, "unexpected argument '%s' (a command goes after --)",
				    argv[optind]);
		c->cmd = argv + optind;
	} else if (optind > 0 && !strcmp(argv[optind - 1], "--")) {
		usage_error(p, "-- must be followed by a command to run");
	}
	if (c->cmd && c->desc_arg)
		usage_error(p, "-- CMD and --descendants-of are exclusive: give one scope");
	if (c->end_with_cmd && !c->cmd)
		usage_error(p, "--end-with-cmd needs a command: -- CMD [ARGS...]");
	if (c->have_max && c->max_ns == 0)
		usage_error(p, "--max-duration 0 matches nothing: give a positive duration");
	if (c->have_min && c->have_max && c->min_ns > c->max_ns)
		usage_error(p, "--min-duration is longer than --max-duration: nothing can match");
	if (c->cgroup && c->container)
		usage_error(p, "--cgroup and --container are exclusive: give one of them");
	if (c->tree && c->json)
		usage_error(p, "--tree and --json would share one stream: give one of them");
}

/* ---- the run ---- */

struct trace_run {
	struct exit_kernel ek; /* first: the exit hooks' probes read it from ctx */
	struct ps_tool t;      /* session, cgroup filter, the fork object's hooks */
	struct trace_cfg *c;
	struct trace_bpf *tskel;
	struct exec_bpf *xskel;
	struct exit_bpf *eskel;
	struct ps_loaded xloaded, eloaded;
	struct trace_table *table;
	uint64_t page_size;
	bool scoped;
	char *cg_path; /* -c, --container: the filter's path below the mount, for /proc's lives */
	FILE *timeline, *svg; /* --timeline, --svg: created before tracing */
	bool views_failed;
	/* -- CMD */
	pid_t child;
	bool reaped;
	int status;
	unsigned ticks_after_reap;
};

/*
 * The kernel filters what it sends on -c and --container; a life read from
 * /proc at the start came through no filter: is its cgroup @path or below?
 */
static bool cg_under(const char *path, uint64_t id)
{
	const struct ps_cgroup *cg = ps_cgroup_lookup(id);
	size_t n = strlen(path);

	if (!cg || !cg->path)
		return false;
	if (!strcmp(path, "/"))
		return true;
	return !strncmp(cg->path, path, n) && (cg->path[n] == '\0' || cg->path[n] == '/');
}

static bool life_filter(void *ctx, const struct trace_life *l)
{
	struct trace_run *r = ctx;
	struct trace_cfg *c = r->c;
	uint64_t dur;

	if (c->have_uid && l->id.uid != c->uid)
		return false;
	if (c->name && !strstr(l->id.comm, c->name))
		return false;
	if (c->failed && !tt_failed(l))
		return false;
	if (r->cg_path && l->seeded && !cg_under(r->cg_path, l->id.cgroup_id))
		return false;
	if (c->have_min || c->have_max) {
		dur = l->have_exit ? l->exit.duration_ns :
				     (l->end_ns > l->start_ns ? l->end_ns - l->start_ns : 0);
		if ((c->have_min && dur < c->min_ns) || (c->have_max && dur > c->max_ns))
			return false;
	}
	return true;
}

static void life_emit(void *ctx, const struct trace_life *l)
{
	struct trace_run *r = ctx;

	if (r->c->json)
		process_print_json(l, r->table, r->page_size);
	else if (!r->c->tree)
		process_print_table(l, r->page_size);
	out_maybe_flush();
	/* --metrics: the sinks (ps_tool_groups) see the lives printed */
	ps_session_emit(r->t.sess, 0, l);
}

/*
 * --metrics: a printed life's execs by comm and result (a folded PATH
 * search is one, with its outcome, as exec counts it), and its exit as
 * exit counts it. A life still running at the end has no exit to count.
 */
static void groups_feed(struct ps_groups *g, int kind, const void *view)
{
	static struct exec_view a, b; /* 8 KiB each */
	const struct trace_life *l = view;
	struct ps_event ev = { .rec = &l->exit, .rec_len = sizeof(l->exit) };
	struct exit_view x;

	for (unsigned i = 0; i < l->nexecs; i++) {
		if (!tt_exec_view(l, i, &a))
			continue;
		if (i + 1 < l->nexecs && tt_exec_view(l, i + 1, &b) && tt_exec_folds(&a, &b))
			continue;
		ps_groups_exec(g, a.e->id.comm, sizeof(a.e->id.comm), a.e->ret == 0);
	}
	/* the page size only scales RSS, which is not exported */
	if (l->have_exit && exit_view_init(&x, &ev, 4096))
		ps_groups_exit(g, l->exit.id.comm, sizeof(l->exit.id.comm), x.exit_code != 0,
			       x.cpu_user_ns, x.cpu_sys_ns, x.duration_ns);
}

static uint64_t lives_entries(void *ctx)
{
	return tt_lives(ctx);
}

static uint64_t lives_evictions(void *ctx)
{
	return tt_evicted(ctx);
}

static void on_event(void *ctx, const struct ps_event *ev)
{
	struct trace_run *r = ctx;

	if (!tt_event(r->table, ev)) {
		ps_session_count(r->t.sess, PS_C_OUTPUT_LOST, 1);
		return;
	}
}

/* ---- loading: the fork object ---- */

enum { FSIDE_FORK, FSIDE_NR };

static int probe_fork_raw(void *ctx, const struct ps_hook *h, char *why, size_t len)
{
	struct trace_run *r = ctx;

	if (!r->scoped)
		return 0;
	snprintf(why, len, "cannot keep the scope (task storage needs tp_btf)");
	return -EOPNOTSUPP;
}

static const struct ps_hook_side fork_sides[FSIDE_NR] = { { "sched_process_fork", false } };
static const struct ps_hook fork_hooks[] = {
	{ "fork-btf", FSIDE_FORK, { "btf_fork" } },
	{ "fork-raw", FSIDE_FORK, { "raw_fork" }, 0, probe_fork_raw },
};
static const struct ps_hookset fork_hookset = {
	.tool = "trace",
	.sides = fork_sides,
	.nsides = FSIDE_NR,
	.hooks = fork_hooks,
	.nhooks = sizeof(fork_hooks) / sizeof(fork_hooks[0]),
};

static int share_scope(struct trace_run *r, struct bpf_object *obj);

static struct bpf_object *f_open(void *ctx)
{
	struct trace_run *r = ctx;

	r->tskel = trace_bpf__open();
	return r->tskel ? r->tskel->obj : NULL;
}

static int f_configure(void *ctx, struct bpf_object *obj, const struct ps_hook *const *picked)
{
	struct trace_run *r = ctx;
	struct trace_bpf *s = r->tskel;
	int err = ps_tool_configure(&r->t, obj, &s->rodata->ps_use_perf, &s->rodata->ps_boottime,
				    &s->rodata->filter_cg);

	if (err || (err = share_scope(r, obj)))
		return err;
	s->rodata->scope_on = r->scoped;
	return 0;
}

static int f_loaded(void *ctx, struct bpf_object *obj)
{
	return ps_tool_loaded(&((struct trace_run *)ctx)->t, obj);
}

static void f_close(void *ctx)
{
	struct trace_run *r = ctx;

	ps_tool_unload(&r->t, r->tskel ? r->tskel->obj : NULL);
	trace_bpf__destroy(r->tskel);
	r->tskel = NULL;
}

static const struct ps_loader_ops fork_loader = {
	.open = f_open,
	.configure = f_configure,
	.loaded = f_loaded,
	.close = f_close,
};

/* The exit and fork objects use the exec object's scope maps (loaded first). */
static int share_scope(struct trace_run *r, struct bpf_object *obj)
{
	static const char *const maps[] = { "scope", "scope_live" };

	for (int i = 0; i < 2; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, maps[i]);
		struct bpf_map *src = bpf_object__find_map_by_name(r->xskel->obj, maps[i]);
		int err = m && src ? bpf_map__reuse_fd(m, bpf_map__fd(src)) : -ENOENT;

		if (err) {
			fprintf(stderr, "%s: cannot share the %s map: %s\n", r->c->prog, maps[i],
				strerror(-err));
			return err;
		}
	}
	return 0;
}

/* ---- the exec object: the exec tool's hooks (hooks_exec.c) ---- */

static const struct ps_hookset exec_hookset = {
	.tool = "trace",
	.sides = exec_sides,
	.nsides = EXEC_SIDE_NR,
	.hooks = exec_hooks,
	.nhooks = EXEC_NHOOKS,
};

static struct bpf_object *x_open(void *ctx)
{
	return exec_hooks_open(&((struct trace_run *)ctx)->xskel);
}

static int x_configure(void *ctx, struct bpf_object *obj, const struct ps_hook *const *picked)
{
	struct trace_run *r = ctx;
	struct exec_bpf *s = r->xskel;
	int err = exec_hooks_configure(s, &r->t, picked);

	if (err)
		return err;
	s->rodata->scope_on = r->scoped;
	s->rodata->max_args_bytes = PS_ARGS_DEFAULT;
	return 0;
}

static int x_loaded(void *ctx, struct bpf_object *obj)
{
	return ps_tool_loaded(&((struct trace_run *)ctx)->t, obj);
}

static void x_close(void *ctx)
{
	struct trace_run *r = ctx;

	exec_hooks_close(&r->t, &r->xskel);
}

static const struct ps_loader_ops exec_loader = {
	.open = x_open,
	.configure = x_configure,
	.loaded = x_loaded,
	.close = x_close,
};

/* ---- the exit object ---- */

_Static_assert(offsetof(struct trace_run, ek) == 0, "exit_hooks' probes read exit_kernel at ctx");

/*
 * exit's hooks, but exit-tp: trace has never loaded the exit object on the
 * classic tracepoint (its copy of the table had left it out), and keeps
 * to the hooks it had. Every other hook of exit's, and any exit gains, is
 * trace's too, in exit's order.
 */
static struct ps_hook exit_hooks_trace[EXIT_NHOOKS];
static struct ps_hookset exit_hookset = {
	.tool = "trace",
	.sides = exit_sides,
	.nsides = EXIT_SIDE_NR,
	.hooks = exit_hooks_trace,
	.attach_order = exit_attach_order,
};

static void exit_hookset_init(void)
{
	exit_hookset.nhooks = 0;
	for (int i = 0; i < EXIT_NHOOKS; i++)
		if (strcmp(exit_hooks[i].name, "exit-tp"))
			exit_hooks_trace[exit_hookset.nhooks++] = exit_hooks[i];
}

static struct bpf_object *e_open(void *ctx)
{
	return exit_hooks_open(&((struct trace_run *)ctx)->eskel);
}

static int e_configure(void *ctx, struct bpf_object *obj, const struct ps_hook *const *picked)
{
	struct trace_run *r = ctx;
	struct exit_bpf *s = r->eskel;
	int err = exit_hooks_configure(s, &r->t, &r->ek, picked, false);

	if (err || (err = share_scope(r, obj)))
		return err;
	s->rodata->scope_on = r->scoped;
	return 0;
}

static int e_loaded(void *ctx, struct bpf_object *obj)
{
	return ps_tool_loaded(&((struct trace_run *)ctx)->t, obj);
}

static void e_close(void *ctx)
{
	struct trace_run *r = ctx;

	exit_hooks_close(&r->t, &r->eskel);
}

static const struct ps_loader_ops exit_loader = {
	.open = e_open,
	.configure = e_configure,
	.loaded = e_loaded,
	.close = e_close,
};

/* ---- scope ---- */

static int scope_fd(struct trace_run *r)
{
	return bpf_map__fd(r->xskel->maps.scope);
}

/* Put task @tid (a pidfd of it) in scope, or take it out. 0 or -errno. */
static int scope_mark(struct trace_run *r, pid_t tid, bool thread, bool on)
{
	int fd = syscall(SYS_pidfd_open, tid, thread ? PIDFD_THREAD : 0);
	__u32 one = 1;
	int err;

	if (fd < 0 && thread)
		fd = syscall(SYS_pidfd_open, tid, 0);
	if (fd < 0)
		return -errno;
	err = on ? bpf_map_update_elem(scope_fd(r), &fd, &one, BPF_ANY) :
		   bpf_map_delete_elem(scope_fd(r), &fd);
	err = err ? -errno : 0;
	close(fd);
	return err;
}

/* Process @pid and every thread it has now (new ones inherit the flag). */
static int scope_process(struct trace_run *r, pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int err = scope_mark(r, pid, false, true);

	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		pid_t tid = atoi(e->d_name);

		if (tid > 0 && tid != pid)
			scope_mark(r, tid, true, true);
	}
	if (d)
		closedir(d);
	return 0;
}

/* ppid of /proc/PID/stat, or 0 */
static pid_t proc_ppid(pid_t pid)
{
	char path[64], buf[1024];
	struct proc_stat st;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* one read: the whole line (a comm may hold a newline, fgets would stop there) */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return tp_parse_stat(buf, &st) ? (pid_t)st.ppid : 0;
}

/*
 * --descendants-of: PID, then (top-down, so that a child forked meanwhile
 * by a marked process has inherited the flag already) every descendant
 * /proc lists now. Seeded into the table as they are marked.
 */
static int scope_descendants(struct trace_run *r, pid_t root)
{
	pid_t *todo = NULL, *nt;
	size_t n = 0, cap = 0, i;
	int err = scope_process(r, root);

	if (err) {
		fprintf(stderr, "%s: --descendants-of %d: %s\n", r->c->prog, root,
			err == -ESRCH ? "no such process" : strerror(-err));
		return 1;
	}
	tt_seed(r->table, root, true, true);
	for (pid_t cur = root;;) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		while (d && (e = readdir(d))) {
			pid_t pid = atoi(e->d_name);

			if (pid <= 0 || proc_ppid(pid) != cur)
				continue;
			if (scope_process(r, pid))
				continue;
			tt_seed(r->table, pid, true, true);
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				nt = realloc(todo, cap * sizeof(*todo));
				if (!nt)
					break;
				todo = nt;
			}
			todo[n++] = pid;
		}
		if (d)
			closedir(d);
		if (!n)
			break;
		cur = todo[0];
		for (i = 1; i < n; i++)
			todo[i - 1] = todo[i];
		n--;
	}
	free(todo);
	return 0;
}

/*
 * -- CMD: this process is put in scope for the one fork() of CMD, so the
 * fork hook sees CMD start and gives it the flag (and counts it live);
 * then it leaves the scope again. CMD keeps the original stdout; ours is
 * stderr from here on.
 */
static int run_cmd(struct trace_run *r, int cmd_stdout)
{
	int err = scope_mark(r, getpid(), false, true), pfd[2];
	char buf[8];
	ssize_t n;

	if (err) {
		fprintf(stderr, "%s: cannot put this process in scope: %s\n", r->c->prog,
			strerror(-err));
		return 1;
	}
	/* CMD's exec failure comes back through a close-on-exec pipe */
	if (pipe2(pfd, O_CLOEXEC)) {
		fprintf(stderr, "%s: pipe: %s\n", r->c->prog, strerror(errno));
		return 1;
	}
	r->child = fork();
	if (r->child == 0) {
		int e;

		close(pfd[0]);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (cmd_stdout >= 0)
			dup2(cmd_stdout, STDOUT_FILENO);
		execvp(r->c->cmd[0], r->c->cmd);
		e = errno;
		n = write(pfd[1], &e, sizeof(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	err = r->child < 0 ? -errno : 0;
	scope_mark(r, getpid(), false, false);
	close(pfd[1]);
	if (err) {
		close(pfd[0]);
		fprintf(stderr, "%s: fork: %s\n", r->c->prog, strerror(-err));
		return 1;
	}
	n = read(pfd[0], buf, sizeof(int));
	close(pfd[0]);
	if (n == sizeof(int)) {
		int e;

		memcpy(&e, buf, sizeof(e));
		fprintf(stderr, "%s: cannot run '%s': %s\n", r->c->prog, r->c->cmd[0], strerror(e));
	}
	return 0;
}

static int64_t scope_live(struct trace_run *r)
{
	__u32 zero = 0;
	__s64 v = 0;

	bpf_map_lookup_elem(bpf_map__fd(r->xskel->maps.scope_live), &zero, &v);
	return v;
}

static void on_tick(void *ctx, uint64_t now)
{
	struct trace_run *r = ctx;
	uint64_t c[PS_C_NR];

	ps_session_stats(r->t.sess, c);
	tt_set_lost(r->table, c[PS_C_RECORDS_LOST]);
	tt_apply(r->table, now);
	if (r->child <= 0)
		return;
	if (!r->reaped && waitpid(r->child, &r->status, WNOHANG) == r->child)
		r->reaped = true;
	if (!r->reaped)
		return;
	/*
	 * CMD is reaped: its exit record is out, or waits for its final
	 * switch-out (a few us). The kernel's count of lives in scope says
	 * when every descendant has ended and been reported too.
	 */
	r->ticks_after_reap++;
	if (r->c->end_with_cmd ? r->ticks_after_reap > 1 : scope_live(r) <= 0)
		ps_exiting = 1;
}

/* One view into @f (closed unless stdout); a failure is said, and makes trace fail. */
static void view_write(struct trace_run *r, const char *what, FILE *f, int err)
{
	if (f != stdout && fclose(f) && !err)
		err = -(errno ? errno : EIO);
	if (err) {
		fprintf(stderr, "%s: cannot write %s: %s\n", r->c->prog, what, strerror(-err));
		r->views_failed = true;
	}
}

/* The views, from every life printed: before the summary, after the last record. */
static void views(struct trace_run *r)
{
	struct winsize ws;
	size_t n;
	const struct view_life *v = tt_views(r->table, &n);

	if (tt_views_dropped(r->table))
		fprintf(stderr, "%s: the views leave out %" PRIu64 " lives (at most %d are kept)\n",
			r->c->prog, tt_views_dropped(r->table), TT_VIEWS_MAX);
	if (r->c->tree) {
		out_flush();
		ws.ws_col = 0;
		if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws))
			ws.ws_col = 0;
		view_write(r, "the tree", stdout, view_tree(stdout, v, n, ws.ws_col));
	}
	if (r->timeline)
		view_write(r, r->c->timeline, r->timeline, view_timeline(r->timeline, v, n));
	if (r->svg)
		view_write(r, r->c->svg, r->svg, view_svg(r->svg, v, n));
	r->timeline = r->svg = NULL;
}

static void on_end(void *ctx)
{
	struct trace_run *r = ctx;

	tt_finish(r->table, ps_ktime_now(), r->c->ended_only);
	ps_session_count(r->t.sess, PS_C_PROC_EVICTED, tt_evicted(r->table));
	ps_session_count(r->t.sess, PS_C_RECORDS_LATE, tt_late(r->table));
	views(r);
}

static void ready(void *ctx, struct jw *w)
{
	struct trace_run *r = ctx;

	const struct ps_loaded *l[3] = { &r->xloaded, &r->eloaded, &r->t.loaded };

	/* the three objects' attached programs, as one list */
	jw_arr(w, "hooks");
	for (int k = 0; k < 3; k++) {
		for (int s = 0; s < l[k]->nsides; s++) {
			const struct ps_hook *hk = l[k]->picked[s];

			for (int i = 0; i < PS_HOOK_PROGS && hk->progs[i]; i++) {
				struct bpf_program *p =
					bpf_object__find_program_by_name(l[k]->obj, hk->progs[i]);

				if (p)
					jw_cstr(w, NULL, bpf_program__section_name(p));
			}
		}
	}
	jw_arr_end(w);
	if (r->c->cmd)
		jw_u64(w, "cmd_pid", r->child);
	jw_u64(w, "max_processes", r->c->max_processes);
}

static void table_header(void *ctx)
{
	struct trace_run *r = ctx;

	if (!r->c->tree)
		process_print_header();
}

/* Create the views' files before tracing: a bad path fails now, not at the end. */
static int views_open(struct trace_run *r)
{
	if (r->c->timeline && !(r->timeline = fopen(r->c->timeline, "w"))) {
		fprintf(stderr, "%s: cannot create %s: %s\n", r->c->prog, r->c->timeline,
			strerror(errno));
		return -1;
	}
	if (r->c->svg && !(r->svg = fopen(r->c->svg, "w"))) {
		fprintf(stderr, "%s: cannot create %s: %s\n", r->c->prog, r->c->svg,
			strerror(errno));
		return -1;
	}
	return 0;
}

int cmd_trace(int argc, char **argv, const char *prog)
{
	struct trace_cfg c = { .prog = prog,
			       .bufsize = PS_BUFFER_DEFAULT,
			       .max_processes = TT_MAX_PROCESSES_DEFAULT };
	static const size_t rec_len[PS_REC_NR] = { [PS_REC_EXEC] = sizeof(struct ps_exec),
						   [PS_REC_EXIT] = sizeof(struct ps_exit),
						   [PS_REC_FORK] = sizeof(struct ps_fork) };
	static const int none[PS_HOOK_SIDES] = { -1, -1, -1, -1 };
	struct trace_run r = { .c = &c, .child = -1 };
	struct ps_session_cfg sc;
	struct tt_cfg tc;
	int cmd_stdout = -1, ret = 1;

	r.t = (struct ps_tool){
		.prog = prog, .cgfd = -1, .rec_len = rec_len, .on_event = on_event, .ev_ctx = &r
	};
	parse_args(&c, argc, argv);
	ps_libbpf_setup(c.verbose);
	ps_require_bpf(prog);
	r.page_size = sysconf(_SC_PAGESIZE);
	if (views_open(&r))
		return 1;
	r.scoped = c.cmd || c.desc_arg;
	/* like strace: CMD owns stdout, the records go to stderr (or -o FILE) */
	if (c.cmd) {
		cmd_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		if (cmd_stdout < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			fprintf(stderr, "%s: cannot set up the output: %s\n", prog,
				strerror(errno));
			return 1;
		}
	}
	if (ps_tool_filter(&r.t, c.cgroup, c.container))
		return 1;
	if (r.t.cgfd >= 0) {
		const struct ps_cgroup *cg;
		uint64_t cgid;
		uint32_t level;

		if (ps_cgroup_fd_id(r.t.cgfd, &cgid, &level) || !(cg = ps_cgroup_lookup(cgid)) ||
		    !cg->path || !(r.cg_path = strdup(cg->path))) {
			fprintf(stderr, "%s: cannot resolve the path of the cgroup filter\n", prog);
			return 1;
		}
	}
	ps_install_signals();
	out_set_linebuf(isatty(STDOUT_FILENO));
	sc = (struct ps_session_cfg){
		.tool = "trace",
		.json = c.json,
		.want = c.transport,
		.bufsize = c.bufsize,
	};
	if (ps_tool_session(&r.t, &sc))
		goto out;
	exit_kernel_probe(&r.ek);
	tc = (struct tt_cfg){ .max_processes = c.max_processes,
			      .page_size = r.page_size,
			      .filter = life_filter,
			      .emit = life_emit,
			      .keep_views = c.tree || c.timeline || c.svg,
			      .ctx = &r };
	r.table = tt_new(&tc);
	if (!r.table) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	/*
	 * exec and exit first, fork last: a life whose fork is seen has its
	 * exec and exit seen too (a fork hook attached first saw lives end
	 * before the exit hook came, which then looked like lost exits). From
	 * the fork hook's attach on, a process that starts has a fork record.
	 */
	if (ps_hooks_load(&exec_hookset, none, &exec_loader, &r, c.verbose, &r.xloaded))
		goto out;
	exit_hookset_init();
	if (ps_hooks_load(&exit_hookset, none, &exit_loader, &r, c.verbose, &r.eloaded))
		goto out;
	if (ps_hooks_load(&fork_hookset, none, &fork_loader, &r, c.verbose, &r.t.loaded))
		goto out;
	ps_clock_init(r.tskel->rodata->ps_boottime);
	tt_set_fork_since(r.table, ps_ktime_now());
	/* attached: now /proc (a live event wins over what it says) */
	if (c.cmd) {
		tt_seed(r.table, getpid(), false, true);
		if (run_cmd(&r, cmd_stdout))
			goto out;
	} else if (c.desc_arg) {
		if (scope_descendants(&r, c.desc_pid))
			goto out;
	} else {
		tt_seed_all(r.table);
	}
	if (cmd_stdout >= 0)
		close(cmd_stdout);
	cmd_stdout = -1;
	ps_tool_sinks(&r.t, c.json, &(struct ps_sink){ .ctx = &r },
		      &(struct ps_sink){ .header = table_header, .ctx = &r });
	if (ps_tool_groups(&r.t, PS_GROUPS_EXEC | PS_GROUPS_EXIT, groups_feed))
		goto out;
	ps_metrics_table(&(struct ps_metrics_table){ "trace_lives", c.max_processes, lives_entries,
						     lives_evictions, r.table });
	ret = ps_session_run(r.t.sess,
			     &(struct ps_session_hooks){
				     .ready = ready, .tick = on_tick, .end = on_end, .ctx = &r }) ?
		      1 :
		      0;
	if (c.cmd && !ret) {
		/* stopped by a signal: a ^C reached CMD too, give it a second to end */
		for (int i = 0; !r.reaped && i < 100; i++) {
			if (waitpid(r.child, &r.status, WNOHANG) == r.child)
				r.reaped = true;
			else
				usleep(10000);
		}
		if (!r.reaped) {
			fprintf(stderr, "%s: tracing stopped; %s (pid %d) is still running\n", prog,
				c.cmd[0], r.child);
			ret = 1;
		} else if (WIFSIGNALED(r.status)) {
			ret = 128 + WTERMSIG(r.status);
		} else {
			ret = WEXITSTATUS(r.status);
		}
	}
	if (r.views_failed && !ret)
		ret = 1;
out:
	if (r.timeline)
		fclose(r.timeline);
	if (r.svg)
		fclose(r.svg);
	if (cmd_stdout >= 0)
		close(cmd_stdout);
	ps_loaded_detach(&r.eloaded);
	ps_loaded_detach(&r.xloaded);
	ps_tool_end(&r.t);
	exit_bpf__destroy(r.eskel);
	exec_bpf__destroy(r.xskel);
	trace_bpf__destroy(r.tskel);
	free(r.cg_path);
	tt_free(r.table);
	return ret;
}
