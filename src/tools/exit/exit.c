// SPDX-License-Identifier: GPL-2.0
/* procsnoop exit (exitsnoop): one record per process exit, with status, lifetime, CPU, RSS. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "tools/tools.h"
#include "lib/bpfutil.h"
#include "lib/opts.h"
#include "lib/out.h"
#include "lib/transport.h"
#include "events/exit.h"
#include "exit.skel.h"

/* Hooks, tried in this order unless --hook forces one. */
enum { H_BTF, H_RAW, H_TP, H_NR };
static const char *const hook_names[H_NR] = { "exit-btf", "exit-raw", "exit-tp" };

struct exit_cfg {
	const char *prog;
	bool json, failed_only, threads, verbose, test_live;
	int exit_tp_nargs;	/* sched_process_exit's arguments (BTF), -1 unknown */
	struct exit_print_opts po;
	uint32_t pid;
	const char *name, *cgroup;
	uint64_t min_ns, max_ns;
	bool have_min, have_max;
	size_t bufsize;
	int transport;
	int force;			/* -1 or H_* */
	bool failed[H_NR];
	uint64_t page_size;
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
"  -t, --timestamp         print a TIME(s) column: seconds since start\n"
"      --json              JSON Lines on stdout (schema in docs/exit.md)\n"
"  -T, --threads           also report each thread's exit (TID column)\n"
"Filters (applied in the kernel):\n"
"  -x, --failed            only non-zero exits and deaths by signal\n"
"  -p, --pid PID           only this process\n"
"  -c, --cgroup PATH       only processes in this cgroup v2 subtree\n"
"  -n, --name NAME         only if the process name (comm) contains NAME\n"
"      --min-duration D    only processes that lived at least D (10ms, 2s, 1.5m;\n"
"                          a bare number is ms)\n"
"      --max-duration D    only processes that lived at most D (short-lived ones)\n"
"Capture:\n"
"      --buffer-size SIZE  ring buffer size (default 4M)\n"
"      --transport KIND    ringbuf | perf | auto (default auto: ringbuf if the\n"
"                          kernel has it)\n"
"      --hook HOOK         force the hook: exit-btf | exit-raw | exit-tp\n"
"  -v, --verbose           show libbpf and verifier messages\n"
"  -h, --help              this help\n"
"\n"
"EXIT_CODE is the exit status (0-255), or 'signal N (NAME)' with ', core dumped'.\n"
"AGE(s) is the time from the process's start (fork) to its exit.\n"
"\n"
"Examples:\n"
"  %s                        every process exit\n"
"  %s -x                     only failures: non-zero exits, kills, crashes\n"
"  %s --max-duration 100ms   processes that lived under 100 ms\n"
"  %s -t -n python           exits of python processes, with a time column\n"
"  %s -p 1234 -T             each thread of process 1234 as it ends\n"
"  %s --json > exits.jsonl   record everything for later analysis\n"
"\n"
"Exit status: 0 ok (including SIGINT/SIGTERM), 1 runtime failure, 2 usage error.\n",
		prog, prog, prog, prog, prog, prog, prog);
}

static void parse_args(struct exit_cfg *c, int argc, char **argv)
{
	enum { O_JSON = 256, O_MIN, O_MAX, O_TRANSPORT, O_HOOK, O_BUFSIZE, O_TEST_LIVE };
	static const struct option lo[] = {
		{ "timestamp", no_argument, NULL, 't' },
		{ "failed", no_argument, NULL, 'x' },
		{ "pid", required_argument, NULL, 'p' },
		{ "threads", no_argument, NULL, 'T' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, O_JSON },
		{ "min-duration", required_argument, NULL, O_MIN },
		{ "max-duration", required_argument, NULL, O_MAX },
		{ "buffer-size", required_argument, NULL, O_BUFSIZE },
		{ "transport", required_argument, NULL, O_TRANSPORT },
		{ "hook", required_argument, NULL, O_HOOK },
		/* not in --help: runs the pre-6.16 way of finding the last thread */
		{ "test-live-count", no_argument, NULL, O_TEST_LIVE },
		{}
	};
	const char *p = c->prog;
	uint64_t v;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":txp:Tc:n:vh", lo, NULL)) != -1) {
		switch (opt) {
		case 't': c->po.timestamp = true; break;
		case 'x': c->failed_only = true; break;
		case 'T': c->threads = true; break;
		case 'v': c->verbose = true; break;
		case 'h': usage(stdout, p); exit(0);
		case O_JSON: c->json = true; break;
		case O_TEST_LIVE: c->test_live = true; break;
		case 'p':
			if (parse_u64(optarg, 1, 0x3fffffff, &v))
				usage_error(p, "invalid pid '%s': expected a process id", optarg);
			c->pid = v;
			break;
		case 'n':
			if (!*optarg)
				usage_error(p, "--name needs a non-empty NAME");
			if (strlen(optarg) > PS_TASK_COMM_LEN - 1)
				usage_error(p, "--name '%s' can never match: a process name (comm) is at "
					    "most %d bytes", optarg, PS_TASK_COMM_LEN - 1);
			c->name = optarg;
			break;
		case 'c': c->cgroup = optarg; break;
		case O_MIN:
		case O_MAX:
			if (parse_duration(optarg, &v))
				usage_error(p, "invalid %s '%s': expected a duration like 10ms, 2s, 1.5m",
					    opt == O_MIN ? "--min-duration" : "--max-duration", optarg);
			if (opt == O_MIN) {
				c->min_ns = v;
				c->have_min = true;
			} else {
				c->max_ns = v;
				c->have_max = true;
			}
			break;
		case O_BUFSIZE:
			c->bufsize = opt_buffer_size(p, optarg);
			break;
		case O_TRANSPORT:
			c->transport = ps_transport_opt(p, optarg);
			break;
		case O_HOOK:
			c->force = -1;
			for (int h = 0; h < H_NR; h++)
				if (!strcmp(optarg, hook_names[h]))
					c->force = h;
			if (c->force < 0)
				usage_error(p, "unknown hook '%s' (exit-btf, exit-raw, exit-tp)", optarg);
			break;
		case ':':
			usage_error(p, "option '%s' needs a value", argv[optind - 1]);
		default:
			usage_error(p, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error(p, "unexpected argument '%s'", argv[optind]);
	if (c->have_max && c->max_ns == 0)
		usage_error(p, "--max-duration 0 matches nothing: give a positive duration");
	if (c->have_min && c->have_max && c->min_ns > c->max_ns)
		usage_error(p, "--min-duration is longer than --max-duration: nothing can match");
}

/* ---- events ---- */

static void on_event(void *ctx, const struct ps_event *ev)
{
	struct exit_cfg *c = ctx;
	struct exit_view v;

	if (!exit_view_init(&v, ev, c->page_size))
		return;
	if (c->json)
		exit_print_json(&v);
	else
		exit_print_table(&v, &c->po);
	out_maybe_flush();
}

static void print_header(void *ctx)
{
	struct exit_cfg *c = ctx;

	exit_print_header(&c->po);
}

/* ---- loading ---- */

/* Offset of "group_dead" in the classic tracepoint's record (6.16+), or 0. */
static unsigned int tp_group_dead_offset(void)
{
	static const char *const paths[] = {
		"/sys/kernel/tracing/events/sched/sched_process_exit/format",
		"/sys/kernel/debug/tracing/events/sched/sched_process_exit/format",
	};
	char line[256];
	unsigned int off = 0;

	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(paths[i], "r");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char *s = strstr(line, " group_dead;");

			if (s && (s = strstr(s, "offset:")) && sscanf(s, "offset:%u;", &off) == 1)
				break;
			off = 0;
		}
		fclose(f);
		return off < 256 ? off : 0;
	}
	return 0;
}

static bool hook_available(int h)
{
	if (h == H_TP)
		return ps_ensure_tracefs() == 0;
	return true;
}

static struct bpf_program *prog_for(struct exit_bpf *s, int h)
{
	switch (h) {
	case H_BTF: return s->progs.btf_exit;
	case H_RAW: return s->progs.raw_exit;
	default: return s->progs.tp_exit;
	}
}

struct loaded {
	struct exit_bpf *skel;
	struct bpf_link *link, *switch_link;
	int kind;
	int hook;
	bool defer;			/* records sent at the final switch-out */
	const char *last_thread;	/* how the last thread is recognized */
};

static void loaded_free(struct loaded *l)
{
	bpf_link__destroy(l->link);
	bpf_link__destroy(l->switch_link);
	l->link = l->switch_link = NULL;
	exit_bpf__destroy(l->skel);
	l->skel = NULL;
}

/*
 * One attempt with hook @h; @defer adds the sched_switch program that
 * completes the exiting thread's CPU time (see exit.bpf.c).
 */
static int try_load(struct exit_cfg *c, struct loaded *l, int h, bool defer, int cgfd)
{
	struct exit_bpf *s = exit_bpf__open();
	struct bpf_program *prog;
	int err, kind;

	if (!s) {
		fprintf(stderr, "%s: cannot open the BPF object: %s\n", c->prog, strerror(errno));
		return -errno;
	}
	l->skel = s;
	l->hook = h;
	l->defer = defer;
	bpf_object__for_each_program(prog, s->obj)
		bpf_program__set_autoload(prog, prog == prog_for(s, h) ||
					  (defer && prog == s->progs.btf_switch));
	kind = ps_transport_prepare(s->obj, c->transport, c->bufsize);
	if (kind < 0)
		return kind;
	l->kind = kind;
	s->rodata->ps_use_perf = kind == PS_TRANSPORT_PERF;
	s->rodata->ps_boottime = ps_kernel_has_helper(BPF_PROG_TYPE_TRACEPOINT,
						       BPF_FUNC_ktime_get_boot_ns);
	s->rodata->targ_tgid = c->pid;
	s->rodata->trace_threads = c->threads;
	s->rodata->failed_only = c->failed_only;
	s->rodata->filter_cg = cgfd >= 0;
	s->rodata->defer_to_switch = defer;
	s->rodata->min_duration_ns = c->min_ns;
	s->rodata->max_duration_ns = c->max_ns;
	if (c->name) {
		memcpy((char *)s->rodata->targ_name, c->name, strlen(c->name));
		s->rodata->targ_name_len = strlen(c->name);
	}
	if (h == H_TP) {
		s->rodata->have_group_dead_arg = false;
		s->rodata->tp_group_dead_off = c->test_live ? 0 : tp_group_dead_offset();
		l->last_thread = s->rodata->tp_group_dead_off ? "tracepoint" : "live-count";
	} else {
		s->rodata->have_group_dead_arg = !c->test_live && c->exit_tp_nargs >= 2;
		l->last_thread = s->rodata->have_group_dead_arg ? "tracepoint" : "live-count";
	}

	err = exit_bpf__load(s);
	if (err) {
		/* without the switch hook the tool still works: retried quietly */
		if (defer && !c->verbose)
			return err;
		fprintf(stderr, "%s: hook '%s': failed to load the BPF program%s: %s%s\n",
			c->prog, hook_names[h], defer ? "s" : "", strerror(-err),
			c->verbose ? "" : " (-v shows the verifier log)");
		if (!defer)
			c->failed[h] = true;
		return err;
	}
	if (cgfd >= 0 && (err = ps_cgroup_filter_set(s->obj, cgfd, c->prog)))
		return err;
	/* the consumer of "pending" first, so no record waits for nothing */
	if (defer) {
		err = ps_attach(s->progs.btf_switch, &l->switch_link);
		if (err) {
			if (c->verbose)
				fprintf(stderr, "%s: sched_switch: failed to attach: %s\n",
					c->prog, strerror(-err));
			return err;
		}
	}
	err = ps_attach(prog_for(s, h), &l->link);
	if (err) {
		fprintf(stderr, "%s: hook '%s': failed to attach: %s\n", c->prog, hook_names[h],
			strerror(-err));
		c->failed[h] = true;
		return err;
	}
	return 0;
}

int cmd_exit(int argc, char **argv, const char *prog)
{
	struct exit_cfg c = { .prog = prog, .bufsize = 4u << 20, .force = -1 };
	struct loaded l = {0};
	char extra[512], err[256];
	int cgfd = -1, ret = 1, e = -1;
	bool can_defer;

	parse_args(&c, argc, argv);
	ps_libbpf_setup(c.verbose);
	ps_require_bpf(prog);
	c.page_size = sysconf(_SC_PAGESIZE);
	if (c.cgroup) {
		cgfd = ps_open_cgroup(c.cgroup, err, sizeof(err));
		if (cgfd < 0) {
			fprintf(stderr, "%s: --cgroup: %s\n", prog, err);
			return 1;
		}
	}
	ps_install_signals();
	out_set_linebuf(isatty(STDOUT_FILENO));

	/* prev_state is sched_switch's 4th argument since 5.18; group_dead is
	 * sched_process_exit's 2nd since 6.16. Both from one BTF parse. */
	can_defer = ps_kernel_tp_nargs("sched_switch") >= 4;
	c.exit_tp_nargs = ps_kernel_tp_nargs("sched_process_exit");
	ps_probe_btf_release();
	for (int h = c.force >= 0 ? c.force : 0; h < H_NR && !ps_exiting; h++) {
		if (!hook_available(h)) {
			if (c.force >= 0) {
				fprintf(stderr, "%s: hook '%s' needs tracefs, which cannot be mounted\n",
					prog, hook_names[h]);
				goto out;
			}
			continue;
		}
		if (can_defer) {
			e = try_load(&c, &l, h, true, cgfd);
			if (!e)
				break;
			loaded_free(&l);
			if (e == -EOPNOTSUPP)
				break;
		}
		e = try_load(&c, &l, h, false, cgfd);
		if (!e)
			break;
		loaded_free(&l);
		if (e == -EOPNOTSUPP || c.force >= 0)
			break;
	}
	if (e) {
		if (c.force < 0 && e != -EOPNOTSUPP)
			fprintf(stderr, "%s: no usable sched_process_exit hook\n", prog);
		goto out;
	}

	ps_clock_init(l.skel->rodata->ps_boottime);
	c.po.start_ns = ps_ktime_now();
	snprintf(extra, sizeof(extra),
		 ",\"hooks\":[\"%s\"%s],\"clock\":\"%s\",\"last_thread\":\"%s\",\"cpu_final\":%s",
		 bpf_program__section_name(prog_for(l.skel, l.hook)),
		 l.defer ? ",\"tp_btf/sched_switch\"" : "",
		 l.skel->rodata->ps_boottime ? "boottime" : "monotonic", l.last_thread,
		 l.defer ? "true" : "false");
	struct ps_run_opts ro = {
		.tool = "exit", .json = c.json, .obj = l.skel->obj,
		.events = l.skel->maps.events, .stats = l.skel->maps.stats, .kind = l.kind,
		.rec_len = { [PS_REC_EXIT] = sizeof(struct ps_exit) },
		.on_event = on_event, .ctx = &c, .print_header = print_header,
		.ready_extra = extra,
	};
	ret = ps_run(&ro) ? 1 : 0;
out:
	loaded_free(&l);
	if (cgfd >= 0)
		close(cgfd);
	return ret;
}
