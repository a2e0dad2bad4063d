// SPDX-License-Identifier: GPL-2.0
/* procsnoop exit (exitsnoop): one record per process exit, with status, lifetime, CPU, RSS. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "tools/tools.h"
#include "lib/bpfutil.h"
#include "lib/cgroup.h"
#include "lib/opts.h"
#include "lib/privs.h"
#include "lib/procstat.h"
#include "lib/out.h"
#include "lib/hooks.h"
#include "lib/json.h"
#include "lib/groups.h"
#include "lib/metrics.h"
#include "lib/session.h"
#include "lib/tool.h"
#include "lib/transport.h"
#include "events/exit.h"
#include "print/exit.h"
#include "tools/exit/hooks_exit.h"
#include "exit.skel.h"

static const struct ps_hookset exit_hookset;
struct exit_run;

struct exit_cfg {
	const char *prog;
	bool json, failed_only, threads, verbose, test_live;
	struct exit_print_opts po;
	uint32_t pid;
	const char *pid_arg; /* as given: a second -p is refused */
	const char *name, *cgroup;
	const char *container; /* --container ID prefix */
	uint64_t min_ns, max_ns;
	bool have_min, have_max;
	size_t bufsize;
	int transport;
	int forced[PS_HOOK_SIDES]; /* --hook: per side, a hook index or -1 */
	struct ps_session *sess;
	uint64_t page_size;
	/* -p: the target, pinned by a pidfd (or its start time, without one) */
	int pidfd;
	unsigned long long pid_start;
	struct exit_run *run;	    /* its BPF object, for the .bss flags */
	bool target_gone;	    /* -p: exited before we were attached */
	bool target_ended;	    /* -p: its process record came */
	unsigned int pending_ticks; /* -p: ticks spent waiting for "pending" */
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTIONS]\n"
		"\n"
		"Trace process exits: one line per process when its last thread has ended,\n"
		"with the status its parent sees (exit code, or the signal that killed it and\n"
		"whether it dumped core), its age, CPU time (user and system, all threads)\n"
		"and peak RSS. Short-lived processes included.\n"
		"\n"
		"Output:\n"
		"  -t, --timestamp         print a TIME column: wall clock (HH:MM:SS) of the exit\n"
		"      --since-start       print a TIME(s) column: seconds since start\n"
		"      --rusage            print USER(ms) SYS(ms) MAXRSS(KB) columns: CPU time\n"
		"                          of all threads, peak resident set\n"
		"      --json              JSON Lines on stdout (schema in docs/exit.md)\n" PS_OUTPUT_HELP
			PS_METRICS_HELP
		"  -T, --threads           also report each thread's exit (TID column)\n"
		"Filters (applied in the kernel):\n"
		"  -x, --failed            only non-zero exits and deaths by signal\n"
		"  -p, --pid PID           only this process; ends after its exit (exit status 1\n"
		"                          if it does not exist or ended before tracing began)\n"
		"  -c, --cgroup PATH       only processes in this cgroup v2 subtree\n"
		"      --container ID      only processes in this container (its id or a prefix\n"
		"                          of at least 12 hex digits, as docker ps shows)\n"
		"  -n, --name NAME         only if the process name (comm) contains NAME\n"
		"      --min-duration D    only processes that lived at least D (10ms, 2s, 1.5m;\n"
		"                          a bare number is ms)\n"
		"      --max-duration D    only processes that lived at most D (short-lived ones)\n"
		"Capture:\n"
		"      --buffer-size SIZE  ring buffer size (default 4M)\n"
		"      --transport KIND    ringbuf | perf | auto (default auto: ringbuf if the\n"
		"                          kernel has it)\n"
		"      --user USER         once attached, run as USER (capabilities are dropped\n"
		"                          in any case: see docs/privileges.md)\n"
		"      --hook HOOK         force the hook: exit-btf | exit-raw | exit-tp\n"
		"  -v, --verbose           show libbpf and verifier messages\n"
		"  -h, --help              this help\n"
		"\n"
		"EXIT_CODE is 0, 'code N' (1-255), or 'signal N (NAME)' with ', core dumped'.\n"
		"AGE(s) is the time from the process's start (fork) to its exit, in seconds\n"
		"with ms resolution.\n"
		"\n"
		"Examples:\n"
		"  %s                        every process exit\n"
		"  %s -x                     only failures: non-zero exits, kills, crashes\n"
		"  %s --max-duration 100ms   processes that lived under 100 ms\n"
		"  %s -t -n python           exits of python processes, with a time column\n"
		"  %s --rusage -x            failures, with their CPU time and peak memory\n"
		"  %s -p 1234 -T             each thread of process 1234 as it ends\n"
		"  %s --json > exits.jsonl   record everything for later analysis\n"
		"\n"
		"Exit status: 0 ok (including SIGINT/SIGTERM), 1 runtime failure, 2 usage error.\n",
		prog, prog, prog, prog, prog, prog, prog, prog);
}

static void parse_args(struct exit_cfg *c, int argc, char **argv)
{
	enum {
		O_JSON = 256,
		O_MIN,
		O_MAX,
		O_TRANSPORT,
		O_HOOK,
		O_BUFSIZE,
		O_TEST_LIVE,
		O_SINCE,
		O_RUSAGE,
		O_CONTAINER,
		O_USER
	};
	static const struct option lo[] = {
		{ "timestamp", no_argument, NULL, 't' },
		{ "failed", no_argument, NULL, 'x' },
		{ "pid", required_argument, NULL, 'p' },
		{ "threads", no_argument, NULL, 'T' },
		{ "threaded", no_argument, NULL, 'T' }, /* libbpf-tools' name */
		{ "since-start", no_argument, NULL, O_SINCE },
		{ "rusage", no_argument, NULL, O_RUSAGE },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "container", required_argument, NULL, O_CONTAINER },
		{ "name", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, O_JSON },
		{ "min-duration", required_argument, NULL, O_MIN },
		{ "max-duration", required_argument, NULL, O_MAX },
		{ "buffer-size", required_argument, NULL, O_BUFSIZE },
		{ "transport", required_argument, NULL, O_TRANSPORT },
		{ "user", required_argument, NULL, O_USER },
		{ "hook", required_argument, NULL, O_HOOK },
		PS_OUTPUT_LONGOPTS,
		/* not in --help: runs the pre-6.16 way of finding the last thread */
		{ "test-live-count", no_argument, NULL, O_TEST_LIVE },
		PS_METRICS_LONGOPT,
		{}
	};
	const char *p = c->prog;
	uint64_t v;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":txp:Tc:n:o:vh", lo, NULL)) != -1) {
		switch (opt) {
		case 't':
			c->po.timestamp = true;
			break;
		case 'x':
			c->failed_only = true;
			break;
		case 'T':
			c->threads = true;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			usage(stdout, p);
			exit(0);
		case O_JSON:
			c->json = true;
			break;
		case O_SINCE:
			c->po.since_start = true;
			break;
		case O_RUSAGE:
			c->po.rusage = true;
			break;
		case O_TEST_LIVE:
			c->test_live = true;
			break;
		case 'p':
			if (parse_u64(optarg, 1, PS_PID_MAX, &v))
				usage_error(p, "invalid pid '%s': expected a process id", optarg);
			c->pid_arg = opt_once(p, "--pid", c->pid_arg, optarg, "PID");
			c->pid = v;
			break;
		/* one filter of each kind, as exec: never only the last one silently */
		case 'n':
			c->name = opt_comm(p, c->name, optarg);
			break;
		case 'c':
			/* an empty PATH would open the cgroup2 root: no filter at all */
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
		case O_BUFSIZE:
			c->bufsize = opt_buffer_size(p, optarg);
			break;
		case O_TRANSPORT:
			c->transport = ps_transport_opt(p, optarg);
			break;
		case O_USER:
			ps_privs_user_opt(p, optarg);
			break;
		case O_HOOK:
			ps_hooks_parse(&exit_hookset, p, optarg, c->forced);
			break;
		case PS_OPT_METRICS:
			ps_metrics_opt(p, optarg);
			break;
		case ':':
			usage_error(p, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (ps_output_opt(p, opt, optarg))
				break;
			usage_error(p, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error(p, "unexpected argument '%s'", argv[optind]);
	if (c->have_max && c->max_ns == 0)
		usage_error(p, "--max-duration 0 matches nothing: give a positive duration");
	if (c->have_min && c->have_max && c->min_ns > c->max_ns)
		usage_error(p, "--min-duration is longer than --max-duration: nothing can match");
	/* both are one cgroup filter in the kernel: say which, never guess */
	if (c->cgroup && c->container)
		usage_error(p, "--cgroup and --container are exclusive: give one of them");
}

/* ---- events ---- */

static void target_tick(struct exit_cfg *c);

static void on_event(void *ctx, const struct ps_event *ev)
{
	struct exit_cfg *c = ctx;
	struct exit_view v;

	if (!exit_view_init(&v, ev, c->page_size))
		return;
	ps_session_emit(c->sess, 0, &v);
	/* -p: the process has ended; end now unless some of its -T records still wait */
	if (c->pid && v.process && v.e->id.pid == c->pid) {
		c->target_ended = true;
		target_tick(c);
	}
}

/* ---- loading ---- */

struct exit_run {
	struct exit_kernel k; /* first: the hooks' probes read it from ctx */
	struct ps_tool t;     /* session, hooks, cgroup filter */
	struct exit_cfg *c;
	struct exit_bpf *skel;
	const char *last_thread; /* how the last thread is recognized */
	bool defer;		 /* records sent at the final switch-out */
};

_Static_assert(offsetof(struct exit_run, k) == 0, "exit_hooks' probes read exit_kernel at ctx");

static const struct ps_hookset exit_hookset = {
	.tool = "exit",
	.sides = exit_sides,
	.nsides = EXIT_SIDE_NR,
	.hooks = exit_hooks,
	.nhooks = EXIT_NHOOKS,
	.attach_order = exit_attach_order,
};

static struct bpf_object *ld_open(void *ctx)
{
	return exit_hooks_open(&((struct exit_run *)ctx)->skel);
}

static int ld_configure(void *ctx, struct bpf_object *obj, const struct ps_hook *const *picked)
{
	struct exit_run *r = ctx;
	struct exit_cfg *c = r->c;
	struct exit_bpf *s = r->skel;
	int err = exit_hooks_configure(s, &r->t, &r->k, picked, c->test_live);

	if (err)
		return err;
	r->defer = s->rodata->defer_to_switch;
	r->last_thread = s->rodata->have_group_dead_arg || s->rodata->tp_group_dead_off ?
				 "tracepoint" :
				 "live-count";
	s->rodata->targ_tgid = c->pid;
	s->rodata->trace_threads = c->threads;
	s->rodata->failed_only = c->failed_only;
	s->rodata->min_duration_ns = c->min_ns;
	s->rodata->max_duration_ns = c->max_ns;
	if (c->name) {
		memcpy((char *)s->rodata->targ_name, c->name, strlen(c->name));
		s->rodata->targ_name_len = strlen(c->name);
	}
	return 0;
}

static int ld_loaded(void *ctx, struct bpf_object *obj)
{
	return ps_tool_loaded(&((struct exit_run *)ctx)->t, obj);
}

static void ld_close(void *ctx)
{
	struct exit_run *r = ctx;

	exit_hooks_close(&r->t, &r->skel);
}

static const struct ps_loader_ops exit_loader = {
	.open = ld_open,
	.configure = ld_configure,
	.loaded = ld_loaded,
	.close = ld_close,
};

static void ready(void *ctx, struct jw *w)
{
	struct exit_run *r = ctx;

	ps_loaded_json(w, &r->t.loaded);
	jw_cstr(w, "last_thread", r->last_thread);
	jw_bool(w, "cpu_final", r->defer);
}

/* ---- -p ---- */

/* Field 22 of /proc/PID/stat (start time, clock ticks), or 0 if gone. */
static unsigned long long proc_start_time(uint32_t pid, char *state)
{
	unsigned long long v;

	return ps_proc_stat((int)pid, state, &v) ? 0 : v;
}

/* The thread group id of task @pid (a process or one of its threads), 0 if gone. */
static uint32_t proc_tgid(uint32_t pid)
{
	char path[64], line[128];
	unsigned int tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %u", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

static bool target_exited(struct exit_cfg *c);

/*
 * Before loading: the target must be a live process. Its identity is
 * pinned (a pidfd, else its start time) so a reused pid is never taken
 * for it later. Returns 0, or 1 after a message.
 */
static int target_open(struct exit_cfg *c)
{
	uint32_t tgid = proc_tgid(c->pid);
	char state = 0;

	c->pidfd = -1;
	if (!tgid) {
		fprintf(stderr, "%s: -p %u: no such process\n", c->prog, c->pid);
		return 1;
	}
	if (tgid != c->pid) {
		fprintf(stderr,
			"%s: -p %u: that is a thread of process %u; -p takes a process id\n",
			c->prog, c->pid, tgid);
		return 1;
	}
#ifdef SYS_pidfd_open
	c->pidfd = syscall(SYS_pidfd_open, c->pid, 0);
#endif
	c->pid_start = proc_start_time(c->pid, &state);
	/* a zombie (whole group) has already passed the exit hook: nothing would come */
	if (!c->pid_start || state == 'X' || (state == 'Z' && target_exited(c))) {
		fprintf(stderr, "%s: -p %u: the process has already exited\n", c->prog, c->pid);
		return 1;
	}
	return 0;
}

/* Has the whole target process ended (its last thread is past exit_notify())? */
static bool target_exited(struct exit_cfg *c)
{
	char state;

	if (c->pidfd >= 0)
		return poll(&(struct pollfd){ .fd = c->pidfd, .events = POLLIN }, 1, 0) > 0;
	/* no pidfd (before 5.3): gone once reaped, or its pid reused */
	return proc_start_time(c->pid, &state) != c->pid_start;
}

/*
 * Does a record of the target still wait in "pending" for its thread's
 * final switch-out? (A joined thread's record can: pthread_join() returns
 * at exit_mm(), before that thread's last switch, so the process may end
 * first.)
 */
static bool target_pending(struct exit_cfg *c)
{
	struct bpf_map *m = c->run->skel->maps.pending;
	size_t vsz = bpf_map__value_size(m);
	__u32 key, next, *prev = NULL;
	uint64_t val[512];
	struct ps_exit rec;
	int fd = bpf_map__fd(m);

	if (vsz > sizeof(val) || vsz < sizeof(struct ps_exit))
		return false;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, val))
			continue;
		memcpy(&rec, val, sizeof(rec));
		if (rec.id.pid == c->pid)
			return true;
	}
	return false;
}

/*
 * -p ends the run: after the target's process record (on_event), or when the
 * kernel side is done with it without a record (filtered out, or lost),
 * or, as an error, when it ended before our hook was attached. Checked
 * from the first round after attach, which is the second check of the race
 * between target_open() and the attach.
 */
static void target_tick(struct exit_cfg *c)
{
	struct exit_bpf *s = c->run ? c->run->skel : NULL;
	typeof(*s->bss) bss;
	__u32 zero = 0;
	bool exited;

	if (!c->pid || !s || ps_exiting)
		return;
	/* gone first, then the flags: the hook runs before exit_notify() */
	exited = target_exited(c);
	/* the object is loaded by the hook loader, not the skeleton: .bss is
	 * not mmapped, read it from the map */
	if (bpf_map__value_size(s->maps.bss) != sizeof(bss) ||
	    bpf_map_lookup_elem(bpf_map__fd(s->maps.bss), &zero, &bss)) {
		/* cannot tell how far its exit got: end once it is gone */
		if (exited)
			ps_exiting = 1;
		return;
	}
	if (c->target_ended || bss.targ_done) {
		/* its records, if any, are in the buffer: the final drain gets them */
		if (!target_pending(c)) {
			ps_exiting = 1;
		} else if (++c->pending_ticks > 20) {
			/* a final switch-out the sched_switch program missed: say so, end */
			out_flush();
			fprintf(stderr,
				"%s: process %u: records still waiting for their thread's "
				"final switch-out after 2 s were not sent\n",
				c->prog, c->pid);
			ps_exiting = 1;
		}
		return;
	}
	if (exited && !bss.targ_hooked) {
		out_flush();
		fprintf(stderr,
			"%s: process %u exited before tracing started: its exit was not seen\n",
			c->prog, c->pid);
		c->target_gone = true;
		ps_exiting = 1;
	}
}

static void on_tick(void *ctx, uint64_t now)
{
	struct exit_run *r = ctx;

	(void)now;
	target_tick(r->c);
}

/* --metrics: processes (not -T's thread exits) by comm */
static void groups_feed(struct ps_groups *g, int kind, const void *view)
{
	const struct exit_view *v = view;

	if (!v->process)
		return;
	ps_groups_exit(g, v->e->id.comm, sizeof(v->e->id.comm), v->exit_code != 0, v->cpu_user_ns,
		       v->cpu_sys_ns, v->duration_ns);
}

/* ---- sinks ---- */

static void table_header(void *ctx)
{
	struct exit_cfg *c = ctx;

	exit_print_header(&c->po);
}

static void table_event(void *ctx, int kind, const void *view)
{
	struct exit_cfg *c = ctx;

	exit_print_table(view, &c->po);
	out_maybe_flush();
}

static void json_event(void *ctx, int kind, const void *view)
{
	exit_print_json(view);
	out_maybe_flush();
}

int cmd_exit(int argc, char **argv, const char *prog)
{
	struct exit_cfg c = { .prog = prog,
			      .bufsize = PS_BUFFER_DEFAULT,
			      .forced = { -1, -1, -1, -1 },
			      .pidfd = -1 };
	static const size_t rec_len[PS_REC_NR] = { [PS_REC_EXIT] = sizeof(struct ps_exit) };
	struct exit_run r = {
		.t = { .prog = prog,
		       .cgfd = -1,
		       .rec_len = rec_len,
		       .on_event = on_event,
		       .ev_ctx = &c },
		.c = &c,
	};
	struct ps_session_cfg sc;
	int ret = 1;

	parse_args(&c, argc, argv);
	ps_libbpf_setup(c.verbose);
	ps_require_bpf(prog);
	c.page_size = sysconf(_SC_PAGESIZE);
	if (c.pid && target_open(&c))
		return 1;
	if (ps_tool_filter(&r.t, c.cgroup, c.container))
		return 1;
	ps_install_signals();
	out_set_linebuf(isatty(STDOUT_FILENO));
	sc = (struct ps_session_cfg){
		.tool = "exit",
		.json = c.json,
		.want = c.transport,
		.bufsize = c.bufsize,
	};
	if (ps_tool_session(&r.t, &sc))
		goto out;
	c.sess = r.t.sess;
	exit_kernel_probe(&r.k);
	if (ps_hooks_load(&exit_hookset, c.forced, &exit_loader, &r, c.verbose, &r.t.loaded))
		goto out;
	/* -p: the second check, now that the hook is attached (see target_tick) */
	c.run = &r;
	target_tick(&c);
	ps_clock_init(r.skel->rodata->ps_boottime);
	c.po.start_ns = ps_ktime_now();
	ps_tool_sinks(&r.t, c.json, &(struct ps_sink){ .event = json_event, .ctx = &c },
		      &(struct ps_sink){ .header = table_header, .event = table_event, .ctx = &c });
	if (ps_tool_groups(&r.t, PS_GROUPS_EXIT, groups_feed))
		goto out;
	ret = ps_session_run(r.t.sess, &(struct ps_session_hooks){ .ready = ready,
								   .tick = c.pid ? on_tick : NULL,
								   .ctx = &r }) ?
		      1 :
		      0;
	if (c.target_gone)
		ret = 1;
out:
	ps_tool_end(&r.t);
	exit_bpf__destroy(r.skel);
	if (c.pidfd >= 0)
		close(c.pidfd);
	return ret;
}
