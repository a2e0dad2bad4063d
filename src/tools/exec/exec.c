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
#include "lib/transport.h"
#include "events/exec.h"
#include "exec.skel.h"

/* Hook sets: one per side, tried in this order unless --hook forces one. */
enum { H_FENTRY, H_SYS_TP, H_RAW_SYS, H_EXEC_BTF, H_EXEC_RAW, H_EXEC_TP, H_NR };
static const char *const hook_names[H_NR] = {
	"fentry", "sys-tp", "raw-sys", "exec-btf", "exec-raw", "exec-tp",
};

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
	int transport;
	int force_sys, force_exec;	/* -1 or H_* */
	bool failed[H_NR];		/* hooks that could not load or attach */
	char why[H_NR][128];		/* and why, for the final message */
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
"  -x, --fails             only failed execs\n"
"  -u, --uid UID           only this real user id (number or name)\n"
"  -P, --ppid PID          only children of this process\n"
"  -c, --cgroup PATH       only processes in this cgroup v2 subtree\n"
"  -n, --name NAME         only if the command name (comm) contains NAME\n"
"  -l, --line TEXT         only if the command line contains TEXT\n"
"Capture:\n"
"      --max-args N        print at most N arguments (default: all)\n"
"      --max-args-bytes N  capture up to N bytes of argv per exec (default 128K,\n"
"                          at most 4M); beyond it the event says how much was cut\n"
"      --buffer-size SIZE  ring buffer size (default 4M)\n"
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
"  %s -x                   only failed execs (ENOENT, EACCES, ...)\n"
"  %s -T -U -u 1000        with time and uid, for user 1000\n"
"  %s -l curl -q           command lines that mention curl, quoted\n"
"  %s --json > execs.jsonl record everything for later analysis\n"
"\n"
"Exit status: 0 ok (including SIGINT/SIGTERM), 1 runtime failure, 2 usage error.\n",
		prog, prog, prog, prog, prog, prog);
}

static int hook_parse(const char *s)
{
	for (int i = 0; i < H_NR; i++)
		if (!strcmp(s, hook_names[i]))
			return i;
	return -1;
}

static void parse_args(struct exec_cfg *c, int argc, char **argv)
{
	enum { O_JSON = 256, O_MAXARGS, O_MAXBYTES, O_TRANSPORT, O_HOOK, O_BUFSIZE };
	static const struct option lo[] = {
		{ "time", no_argument, NULL, 'T' },
		{ "timestamp", no_argument, NULL, 't' },
		{ "fails", no_argument, NULL, 'x' },
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
		case 'x': c->fails = true; break;
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
		case 'n':
			if (!*optarg)
				usage_error(p, "--name needs a non-empty NAME");
			c->name = optarg;
			break;
		case 'l':
			if (!*optarg)
				usage_error(p, "--line needs a non-empty TEXT");
			c->line = optarg;
			break;
		case 'c': c->cgroup = optarg; break;
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
			break;
		case O_TRANSPORT:
			c->transport = ps_transport_opt(p, optarg);
			break;
		case O_HOOK: {
			char *dup = strdup(optarg), *save = NULL;
			int n = 0;

			for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				int h = hook_parse(t);
				int *side = h <= H_RAW_SYS ? &c->force_sys : &c->force_exec;

				if (h < 0)
					usage_error(p, "unknown hook '%s' (fentry, sys-tp, raw-sys, "
						    "exec-btf, exec-raw, exec-tp)", t);
				/* silently keeping the last one would run a hook not asked for */
				if (*side >= 0 && *side != h)
					usage_error(p, "--hook: '%s' and '%s' are both %s hooks: give one "
						    "per side", hook_names[*side], t,
						    h <= H_RAW_SYS ? "syscall-side" : "exec-side");
				*side = h;
				n++;
			}
			free(dup);
			if (!n)
				usage_error(p, "--hook needs a LIST of hooks (see --help)");
			break;
		}
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

/* ---- events ---- */

struct exec_state {
	struct exec_cfg *c;
};

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
	if (c->json)
		exec_print_json(&v);
	else
		exec_print_table(&v, &c->po);
	out_maybe_flush();
}

static void print_header(void *ctx)
{
	struct exec_cfg *c = ctx;

	exec_print_header(&c->po);
}

/* ---- loading ---- */

/*
 * Can hook h work here? Cheap checks only (no object load): a 2-insn
 * fentry probe, tracefs mounted for classic tracepoints. On false, the
 * reason is left in c->why[h].
 */
static bool hook_available(struct exec_cfg *c, int h)
{
	char name[64];
	int err;

	switch (h) {
	case H_FENTRY:
		snprintf(name, sizeof(name), "%sexecve", ps_syscall_prefix());
		err = ps_kernel_can_fentry(name);
		if (!err)
			return true;
		snprintf(c->why[h], sizeof(c->why[h]), "the kernel refuses fentry on %s: %s", name,
			 strerror(-err));
		return false;
	case H_SYS_TP:
	case H_EXEC_TP:
		err = ps_ensure_tracefs();
		if (!err)
			return true;
		snprintf(c->why[h], sizeof(c->why[h]), "tracefs is not mounted and mounting it failed: %s",
			 strerror(-err));
		return false;
	default:
		return true;
	}
}

static int pick(struct exec_cfg *c, int first, int last, int forced)
{
	if (forced >= 0) {
		if (c->failed[forced])
			return -1;
		if (!hook_available(c, forced)) {
			c->failed[forced] = true;
			return -1;
		}
		return forced;
	}
	for (int h = first; h <= last; h++) {
		if (c->failed[h])
			continue;
		if (hook_available(c, h))
			return h;
		c->failed[h] = true;
		if (c->verbose)
			fprintf(stderr, "%s: hook '%s': %s\n", c->prog, hook_names[h], c->why[h]);
	}
	return -1;
}

static void progs_for(struct exec_bpf *s, int h, struct bpf_program **p)
{
	p[0] = p[1] = p[2] = p[3] = NULL;
	switch (h) {
	case H_FENTRY:
		p[0] = s->progs.fentry_execve; p[1] = s->progs.fentry_execveat;
		p[2] = s->progs.fexit_execve; p[3] = s->progs.fexit_execveat;
		break;
	case H_SYS_TP:
		p[0] = s->progs.tp_enter_execve; p[1] = s->progs.tp_enter_execveat;
		p[2] = s->progs.tp_exit_execve; p[3] = s->progs.tp_exit_execveat;
		break;
	case H_RAW_SYS:
		p[0] = s->progs.raw_sys_enter; p[1] = s->progs.raw_sys_exit;
		break;
	case H_EXEC_BTF: p[0] = s->progs.btf_exec; break;
	case H_EXEC_RAW: p[0] = s->progs.raw_exec; break;
	case H_EXEC_TP: p[0] = s->progs.tp_exec; break;
	}
}

static void set_autoload(struct exec_bpf *s, int hs, int he)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, s->obj)
		bpf_program__set_autoload(prog, false);
	for (int side = 0; side < 2; side++) {
		struct bpf_program *p[4];

		progs_for(s, side ? he : hs, p);
		for (int i = 0; i < 4; i++)
			if (p[i])
				bpf_program__set_autoload(p[i], true);
	}
}

struct loaded {
	struct exec_bpf *skel;
	struct bpf_link *links[8];
	int nlinks;
	int kind;
	char hooks[512];
};

static void loaded_free(struct loaded *l)
{
	for (int i = 0; i < l->nlinks; i++)
		bpf_link__destroy(l->links[i]);
	l->nlinks = 0;
	exec_bpf__destroy(l->skel);
	l->skel = NULL;
}

static void hook_failed(struct exec_cfg *c, int h, const char *what, int err)
{
	c->failed[h] = true;
	snprintf(c->why[h], sizeof(c->why[h]), "%s: %s", what, strerror(-err));
	/* falling back is normal (e.g. no fentry): say so only when asked */
	if (c->verbose)
		fprintf(stderr, "%s: hook '%s': %s\n", c->prog, hook_names[h], c->why[h]);
}

/* Open the object with hook sets hs/he and configure it for loading. */
static int setup(struct exec_cfg *c, struct loaded *l, int hs, int he, int cgfd)
{
	struct exec_bpf *s;
	char target[128];
	int kind;

	/* the probes' BTF must be gone before libbpf parses its own copies */
	ps_probe_btf_release();
	s = exec_bpf__open();

	if (!s) {
		fprintf(stderr, "%s: cannot open the BPF object: %s\n", c->prog, strerror(errno));
		return -errno;
	}
	l->skel = s;
	set_autoload(s, hs, he);
	if (hs == H_FENTRY) {
		snprintf(target, sizeof(target), "%sexecve", ps_syscall_prefix());
		bpf_program__set_attach_target(s->progs.fentry_execve, 0, target);
		bpf_program__set_attach_target(s->progs.fexit_execve, 0, target);
		snprintf(target, sizeof(target), "%sexecveat", ps_syscall_prefix());
		bpf_program__set_attach_target(s->progs.fentry_execveat, 0, target);
		bpf_program__set_attach_target(s->progs.fexit_execveat, 0, target);
	}
	kind = ps_transport_prepare(s->obj, c->transport, c->bufsize);
	if (kind < 0)
		return kind;
	l->kind = kind;
	s->rodata->ps_use_perf = kind == PS_TRANSPORT_PERF;
	s->rodata->ps_boottime = ps_kernel_has_helper(BPF_PROG_TYPE_TRACEPOINT,
						       BPF_FUNC_ktime_get_boot_ns);
	s->rodata->targ_uid = c->have_uid ? c->uid : (uint32_t)-1;
	s->rodata->targ_ppid = c->ppid;
	s->rodata->filter_cg = cgfd >= 0;
	s->rodata->fails_only = c->fails;
	s->rodata->max_args_bytes = c->max_args_bytes;
	s->rodata->nr_execve = SYS_execve;
	s->rodata->nr_execveat = SYS_execveat;
	return 0;
}

/*
 * The load of hs + he failed: which side? Load the syscall side alone
 * (the exec side with it, autoload off, is not verified) to tell, so a
 * working hook is never the one given up on.
 */
static int culprit(struct exec_cfg *c, int hs, int he, int cgfd)
{
	struct loaded probe = {0};
	int err = setup(c, &probe, hs, he, cgfd);

	if (!err) {
		struct bpf_program *p[4];

		progs_for(probe.skel, he, p);
		for (int i = 0; i < 4; i++)
			if (p[i])
				bpf_program__set_autoload(p[i], false);
		err = exec_bpf__load(probe.skel);
	}
	exec_bpf__destroy(probe.skel);
	return err ? hs : he;
}

/* One attempt with hook sets hs/he; 0, or -errno with the failed hook marked. */
static int try_load(struct exec_cfg *c, struct loaded *l, int hs, int he, int cgfd)
{
	struct exec_bpf *s;
	struct bpf_program *p[4];
	int err;

	err = setup(c, l, hs, he, cgfd);
	if (err)
		return err;
	s = l->skel;
	err = exec_bpf__load(s);
	if (err) {
		hook_failed(c, culprit(c, hs, he, cgfd), "failed to load BPF programs", err);
		return err;
	}
	if (cgfd >= 0 && (err = ps_cgroup_filter_set(s->obj, cgfd, c->prog)))
		return err;
	l->hooks[0] = 0;
	for (int side = 0; side < 2; side++) {
		int h = side ? he : hs;

		progs_for(s, h, p);
		for (int i = 0; i < 4 && p[i]; i++) {
			err = ps_attach(p[i], &l->links[l->nlinks]);
			if (err) {
				char what[96];

				snprintf(what, sizeof(what), "prog '%s': failed to attach",
					 bpf_program__name(p[i]));
				hook_failed(c, h, what, err);
				return err;
			}
			l->nlinks++;
			size_t n = strlen(l->hooks);
			snprintf(l->hooks + n, sizeof(l->hooks) - n, "%s\"%s\"", n ? "," : "",
				 bpf_program__section_name(p[i]));
		}
	}
	return 0;
}

int cmd_exec(int argc, char **argv, const char *prog)
{
	struct exec_cfg c = {
		.prog = prog, .max_args_bytes = PS_ARGS_DEFAULT, .bufsize = 4u << 20,
		.force_sys = -1, .force_exec = -1,
	};
	struct loaded l = {0};
	char extra[1024], err[256];
	int cgfd = -1, ret = 1, e = -1;

	parse_args(&c, argc, argv);
	ps_libbpf_setup(c.verbose);
	ps_require_bpf(prog);
	if (c.cgroup) {
		cgfd = ps_open_cgroup(c.cgroup, err, sizeof(err));
		if (cgfd < 0) {
			fprintf(stderr, "%s: --cgroup: %s\n", prog, err);
			return 1;
		}
	}
	ps_install_signals();
	out_set_linebuf(isatty(STDOUT_FILENO));

	for (int attempt = 0; attempt < 6 && !ps_exiting; attempt++) {
		int hs = pick(&c, H_FENTRY, H_RAW_SYS, c.force_sys);
		int he = pick(&c, H_EXEC_BTF, H_EXEC_TP, c.force_exec);

		if (hs < 0 || he < 0) {
			int forced = hs < 0 ? c.force_sys : c.force_exec;
			int first = hs < 0 ? H_FENTRY : H_EXEC_BTF, last = hs < 0 ? H_RAW_SYS : H_EXEC_TP;

			if (forced >= 0) {
				fprintf(stderr, "%s: hook '%s' (forced with --hook) cannot be used: %s%s\n",
					prog, hook_names[forced], c.why[forced],
					c.verbose || !strstr(c.why[forced], "load BPF") ? ""
						: " (-v shows the verifier log)");
				goto out;
			}
			fprintf(stderr, "%s: no usable %s hook:", prog,
				hs < 0 ? "syscall-side" : "exec-side");
			for (int h = first; h <= last; h++)
				fprintf(stderr, " %s: %s;", hook_names[h],
					c.failed[h] ? c.why[h] : "not available");
			fprintf(stderr, " (-v shows the verifier log)\n");
			goto out;
		}
		e = try_load(&c, &l, hs, he, cgfd);
		if (!e)
			break;
		loaded_free(&l);
		if (e == -EOPNOTSUPP)
			break;
	}
	if (e)
		goto out;

	ps_clock_init(l.skel->rodata->ps_boottime);
	c.po.start_ns = ps_ktime_now();
	snprintf(extra, sizeof(extra), ",\"hooks\":[%s],\"clock\":\"%s\",\"max_args_bytes\":%u",
		 l.hooks, l.skel->rodata->ps_boottime ? "boottime" : "monotonic", c.max_args_bytes);
	struct ps_run_opts ro = {
		.tool = "exec", .json = c.json, .obj = l.skel->obj,
		.events = l.skel->maps.events, .stats = l.skel->maps.stats, .kind = l.kind,
		.rec_len = { [PS_REC_EXEC] = sizeof(struct ps_exec) },
		.on_event = on_event, .ctx = &c, .print_header = print_header,
		.ready_extra = extra,
	};
	ret = ps_run(&ro) ? 1 : 0;
out:
	loaded_free(&l);
	return ret;
}
