// SPDX-License-Identifier: GPL-2.0
/*
 * procsnoop probe: uprobes, uretprobes and USDT probes on user programs,
 * each hit with its arguments; or counts per interval (--count).
 * procsnoop bashreadline: the preset "ur:/bin/bash:readline" as a string.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "tools/tools.h"
#include "lib/bpfutil.h"
#include "lib/cgroup.h"
#include "lib/opts.h"
#include "lib/privs.h"
#include "lib/out.h"
#include "lib/hooks.h"
#include "lib/json.h"
#include "lib/metrics.h"
#include "lib/session.h"
#include "lib/tool.h"
#include "lib/transport.h"
#include "tools/probe/elf.h"
#include "events/probe.h"
#include "print/probe.h"
#include "tools/probe/spec.h"
#include "probe.skel.h"

struct cnt_ent {
	struct ps_probe_count_key k;
	uint64_t total; /* as last read */
	uint64_t delta; /* this interval */
};

struct pcfg {
	const char *prog;
	bool bash; /* bashreadline */
	bool json, count, per_pid, ret_str, verbose;
	int pid;
	const char *pid_arg; /* as given: a second -p is refused */
	uint64_t interval_ns;
	uint32_t str_max;
	size_t bufsize;
	int transport;
	const char *list;      /* --list BINARY */
	const char *shell;     /* bashreadline --shell */
	const char *container; /* --container ID prefix */
	uint64_t cg_id;	       /* its cgroup, for the kernel filter; 0: none */
	uint32_t cg_level;
	struct probe_spec specs[PS_PROBE_MAX];
	int nspecs;

	/* run time */
	struct ps_tool t; /* session, hooks (the container filter is cg_id) */
	struct probe_bpf *skel;
	struct bpf_link *links[PS_PROBE_MAX];
	uint64_t last_report; /* ktime of the last --count report */
	struct cnt_ent *cnt;  /* sorted by key */
	size_t ncnt, capcnt;
	uint64_t totals[PS_PROBE_MAX];
	uint64_t missed_reported;
};

static void probe_usage(FILE *f, const char *p)
{
	fprintf(f,
		"Usage: %s [OPTIONS] SPEC...\n"
		"       %s --list BINARY\n"
		"\n"
		"Trace calls in running user programs, without restarting them: function\n"
		"entries with their arguments, function returns with the return value, and\n"
		"USDT (statically defined) probes with their own arguments.\n"
		"\n"
		"SPEC:\n"
		"  u:BINARY:FUNCTION[+OFFSET][:FMT...]    function entry: arg0..arg5\n"
		"  ur:BINARY:FUNCTION[:FMT]               function return: the return value\n"
		"  usdt:BINARY:[PROVIDER:]NAME[:FMT...]   USDT probe: its arguments (from its ELF note)\n"
		"  BINARY: a path, a program on $PATH (bash), or a library (libc, libz.so.1)\n"
		"  FUNCTION: a symbol name, or 0xADDR\n"
		"  FMT, one per argument in order: %%d %%u %%x (32-bit), %%ld %%lu %%lx %%p (64-bit),\n"
		"  %%s (a string read from the process). Without FMTs: u: prints arg0..arg5\n"
		"  as integers, usdt: each argument as its note declares it.\n"
		"\n"
		"Options:\n"
		"  -p, --pid PID           only this process (probes are attached only there)\n"
		"      --container ID      only processes in this container (its id or a prefix\n"
		"                          of at least 12 hex digits, as docker ps shows)\n"
		"      --ret-str           print return values of ur: probes as strings (%%s)\n"
		"  -s, --str-max SIZE      bytes captured per string (default 256, at most 2048);\n"
		"                          longer strings are cut and marked\n"
		"  -c, --count             count hits per probe and interval instead of printing\n"
		"                          each; cheap enough for a hot function\n"
		"      --per-pid           with --count: per process too\n"
		"  -i, --interval DURATION with --count: report every DURATION (default 1s)\n"
		"  -l, --list BINARY       list the USDT probes and functions of BINARY\n"
		"      --json              JSON Lines on stdout (schema in docs/probe.md)\n" PS_OUTPUT_HELP
			PS_METRICS_HELP "      --buffer-size SIZE  ring buffer size (default 8M)\n"
		"      --transport KIND    ringbuf | perf | auto (default auto)\n"
		"      --user USER         once attached, run as USER (capabilities are dropped\n"
		"                          in any case: see docs/privileges.md)\n"
		"  -v, --verbose           show libbpf and verifier messages\n"
		"  -h, --help              this help\n"
		"\n"
		"Examples:\n"
		"  %s 'ur:/bin/bash:readline:%%s'          lines typed into bash\n"
		"  %s u:libc:malloc -p 1234               malloc(size) calls of process 1234\n"
		"  %s u:libc:malloc --count -i 5s         malloc calls per 5 seconds, all processes\n"
		"  %s usdt:./demo:demo:order:%%d:%%s        a USDT probe with int and string args\n"
		"  %s 'u:./demo:greet:%%s:%%d' 'ur:./demo:greet:%%d'   entry and return together\n"
		"  %s --list libc                         what can be probed in libc\n"
		"\n"
		"Exit status: 0 ok (including SIGINT/SIGTERM, or the -p process exiting),\n"
		"1 runtime failure, 2 usage error.\n",
		p, p, p, p, p, p, p, p);
}

static void bash_usage(FILE *f, const char *p)
{
	fprintf(f,
		"Usage: %s [OPTIONS]\n"
		"\n"
		"Print every command line typed into an interactive bash on the machine,\n"
		"with the time, the shell's pid and uid (a return probe on readline()).\n"
		"\n"
		"Options:\n"
		"  -p, --pid PID           only this shell\n"
		"      --container ID      only shells in this container (its id or a prefix\n"
		"                          of at least 12 hex digits, as docker ps shows)\n"
		"      --shell PATH        the bash binary (default /bin/bash)\n"
		"  -s, --str-max SIZE      bytes captured per line (default and maximum 2048)\n"
		"      --json              JSON Lines on stdout (schema in docs/probe.md)\n" PS_OUTPUT_HELP
			PS_METRICS_HELP "      --buffer-size SIZE  ring buffer size (default 8M)\n"
		"      --transport KIND    ringbuf | perf | auto (default auto)\n"
		"      --user USER         once attached, run as USER (capabilities are dropped\n"
		"                          in any case: see docs/privileges.md)\n"
		"  -v, --verbose           show libbpf and verifier messages\n"
		"  -h, --help              this help\n"
		"\n"
		"Examples:\n"
		"  %s                      every shell, every line\n"
		"  %s -p $$                this shell only\n"
		"  %s --json >> cmds.jsonl an audit trail of typed commands\n"
		"\n"
		"Exit status: 0 ok (including SIGINT/SIGTERM), 1 runtime failure, 2 usage error.\n",
		p, p, p, p);
}

static void parse_args(struct pcfg *c, int argc, char **argv)
{
	enum {
		O_JSON = 256,
		O_PERPID,
		O_RETSTR,
		O_BUFSIZE,
		O_TRANSPORT,
		O_SHELL,
		O_CONTAINER,
		O_USER
	};
	static const struct option lo[] = { { "pid", required_argument, NULL, 'p' },
					    { "count", no_argument, NULL, 'c' },
					    { "per-pid", no_argument, NULL, O_PERPID },
					    { "interval", required_argument, NULL, 'i' },
					    { "str-max", required_argument, NULL, 's' },
					    { "list", required_argument, NULL, 'l' },
					    { "ret-str", no_argument, NULL, O_RETSTR },
					    { "shell", required_argument, NULL, O_SHELL },
					    { "container", required_argument, NULL, O_CONTAINER },
					    { "json", no_argument, NULL, O_JSON },
					    { "buffer-size", required_argument, NULL, O_BUFSIZE },
					    { "transport", required_argument, NULL, O_TRANSPORT },
					    { "user", required_argument, NULL, O_USER },
					    PS_OUTPUT_LONGOPTS,
					    { "verbose", no_argument, NULL, 'v' },
					    { "help", no_argument, NULL, 'h' },
					    PS_METRICS_LONGOPT,
					    {} };
	const char *p = c->prog;
	bool have_interval = false;
	char err[512];
	uint64_t v;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, c->bash ? ":p:s:o:vh" : ":p:ci:s:l:o:vh", lo,
				  NULL)) != -1) {
		/* options of the other tool are unknown here */
		if (c->bash &&
		    (opt == 'c' || opt == 'i' || opt == 'l' || opt == O_PERPID || opt == O_RETSTR))
			opt = '?';
		if (!c->bash && opt == O_SHELL)
			opt = '?';
		switch (opt) {
		case 'h':
			if (c->bash)
				bash_usage(stdout, p);
			else
				probe_usage(stdout, p);
			exit(0);
		case 'v':
			c->verbose = true;
			break;
		case 'c':
			c->count = true;
			break;
		case O_PERPID:
			c->per_pid = true;
			break;
		case O_RETSTR:
			c->ret_str = true;
			break;
		case O_JSON:
			c->json = true;
			break;
		case O_SHELL:
			c->shell = optarg;
			break;
		case O_CONTAINER:
			c->container = ps_container_opt(p, optarg, c->container);
			break;
		case 'l':
			c->list = optarg;
			break;
		case 'p':
			if (parse_u64(optarg, 1, PS_PID_MAX, &v))
				usage_error(p, "invalid pid '%s': expected a process id", optarg);
			c->pid_arg = opt_once(p, "--pid", c->pid_arg, optarg, "PID");
			c->pid = v;
			break;
		case 'i':
			if (parse_duration(optarg, &v) || v < 10000000ull || v > 86400000000000ull)
				usage_error(
					p,
					"invalid --interval '%s': expected a duration from 10ms "
					"to 24h (e.g. 500ms, 2s)",
					optarg);
			c->interval_ns = v;
			have_interval = true;
			break;
		case 's':
			if (parse_size(optarg, 1, PS_PROBE_STR_MAX, &v))
				usage_error(p,
					    "invalid --str-max '%s': expected a size from 1 to %u",
					    optarg, PS_PROBE_STR_MAX);
			c->str_max = v;
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
		case O_USER:
			ps_privs_user_opt(p, optarg);
			break;
		case ':':
			usage_error(p, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (ps_output_opt(p, opt, optarg))
				break;
			usage_error(p, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (c->bash) {
		if (optind < argc)
			usage_error(p, "unexpected argument '%s'", argv[optind]);
		return;
	}
	if (c->list) {
		if (ps_metrics_enabled())
			usage_error(p, "--list prints and ends: --metrics has nothing to serve");
		if (optind < argc)
			usage_error(p, "--list takes no SPEC ('%s')", argv[optind]);
		return;
	}
	if (optind == argc)
		usage_error(p, "no SPEC given (e.g. u:libc:malloc, ur:/bin/bash:readline:%%s, "
			       "usdt:BINARY:PROVIDER:NAME)");
	if (argc - optind > PS_PROBE_MAX)
		usage_error(p, "too many SPECs: at most %d", PS_PROBE_MAX);
	if (c->per_pid && !c->count)
		usage_error(p, "--per-pid goes with --count");
	if (have_interval && !c->count)
		usage_error(p, "--interval goes with --count");
	for (int i = optind; i < argc; i++) {
		struct probe_spec *s = &c->specs[c->nspecs];

		if (probe_spec_parse(argv[i], c->ret_str, s, err, sizeof(err)))
			usage_error(p, "bad SPEC '%s': %s", argv[i], err);
		c->nspecs++;
	}
	if (c->ret_str) {
		bool any = false;

		for (int i = 0; i < c->nspecs; i++)
			any |= c->specs[i].kind == PS_PROBE_RETURN;
		if (!any)
			usage_error(p,
				    "--ret-str is for return probes, and no SPEC is one: did you "
				    "mean 'ur:%s'?",
				    c->specs[0].text + (c->specs[0].text[0] == 'u' &&
									c->specs[0].text[1] == ':' ?
								2 :
								0));
	}
}

/* ---- --list ---- */

static int do_list(struct pcfg *c)
{
	char path[PATH_MAX], err[512];
	struct probe_elf pe;

	if (probe_find_binary(c->list, c->pid, path, sizeof(path), err, sizeof(err)) ||
	    probe_elf_open(path, &pe, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", c->prog, err);
		return 1;
	}
	probe_list_print(path, &pe, c->json);
	out_flush();
	probe_elf_close(&pe);
	return 0;
}

/* The USDT probes a binary has, after "not found" (at most 50 lines). */
static void list_usdts_brief(const struct probe_elf *pe, const char *prog)
{
	size_t shown = 0;

	if (!pe->nusdts) {
		fprintf(stderr, "%s: %s has no USDT probes (no .note.stapsdt section)\n", prog,
			pe->path);
		return;
	}
	fprintf(stderr, "%s: %s has these USDT probes:\n", prog, pe->path);
	for (size_t i = 0; i < pe->nusdts; i++) {
		const struct probe_usdt *u = &pe->usdts[i];
		const struct probe_usdt *f;

		/* several sites of one probe: once */
		probe_elf_find_usdt(pe, u->provider, u->name, &f);
		if (f != u)
			continue;
		if (shown++ == 50) {
			fprintf(stderr, "  ... (procsnoop probe --list %s shows all)\n", pe->path);
			break;
		}
		fprintf(stderr, "  %s:%s (%s)\n", u->provider, u->name, u->args);
	}
}

/* ---- resolve and attach ---- */

static int resolve_spec(struct pcfg *c, struct probe_spec *s)
{
	char path[PATH_MAX], err[1024];
	struct probe_elf pe;
	int r;

	r = probe_find_binary(s->binary, c->pid, path, sizeof(path), err, sizeof(err));
	if (r == 0)
		r = probe_elf_open(path, &pe, err, sizeof(err));
	if (r) {
		fprintf(stderr, "%s: %s: %s\n", c->prog, s->name, err);
		return r;
	}
	r = probe_spec_resolve(s, &pe, err, sizeof(err));
	if (r) {
		fprintf(stderr, "%s: %s: %s\n", c->prog, s->name, err);
		if (s->kind == PS_PROBE_USDT && r == -ENOENT)
			list_usdts_brief(&pe, c->prog);
		else if (r == -ENOENT)
			fprintf(stderr, "%s: 'procsnoop probe --list %s' lists its functions\n",
				c->prog, path);
	}
	probe_elf_close(&pe);
	if (r == 0 && c->pid) {
		int m = probe_pid_maps(c->pid, s->path);

		if (m == -ESRCH) {
			fprintf(stderr, "%s: process %d not found (gone?)\n", c->prog, c->pid);
			return m;
		}
		if (m == 0) {
			fprintf(stderr,
				"%s: %s: process %d does not map %s: the probe would never "
				"fire there\n",
				c->prog, s->name, c->pid, s->path);
			return -ENOENT;
		}
		if (m < 0)
			fprintf(stderr,
				"%s: warning: cannot read /proc/%d/maps (%s): not checking "
				"that it maps %s\n",
				c->prog, c->pid, strerror(-m), s->path);
	}
	return r;
}

/*
 * bashreadline: a return probe on readline(), in bash itself or in the
 * libreadline it links. Where readline_internal_teardown() is visible it
 * is preferred: it returns the same line, but is entered only when the
 * line is complete, so a shell already waiting at its prompt when we
 * attach is seen at its very next line. A return probe on readline()
 * misses that line: the call was entered before the probe existed.
 */
static int resolve_bash_in(struct pcfg *c, const char *path, char *err, size_t errlen)
{
	static const char *const funcs[] = { "readline_internal_teardown", "readline" };
	char text[PATH_MAX + 64];
	struct probe_spec *s = &c->specs[0];
	struct probe_elf pe;
	int r = -ENOENT;

	r = probe_elf_open(path, &pe, err, errlen);
	if (r)
		return r == -ENOEXEC ? r : -ENOENT;
	r = -ENOENT;
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]) && r; i++) {
		snprintf(text, sizeof(text), "ur:%s:%s:%%s", path, funcs[i]);
		if (c->nspecs)
			probe_spec_free(s);
		c->nspecs = 0;
		if (probe_spec_parse(text, false, s, err, errlen))
			break;
		c->nspecs = 1;
		r = probe_spec_resolve(s, &pe, err, errlen);
	}
	probe_elf_close(&pe);
	return r;
}

static int resolve_bash(struct pcfg *c)
{
	char path[PATH_MAX], lib[PATH_MAX], err[1024];
	const char *shell = c->shell ? c->shell : "/bin/bash";
	int r;

	if (probe_find_binary(shell, c->pid, path, sizeof(path), err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", c->prog, err);
		return -ENOENT;
	}
	r = resolve_bash_in(c, path, err, sizeof(err));
	if (r == -ENOEXEC) {
		fprintf(stderr, "%s: --shell: %s\n", c->prog, err);
		return r;
	}
	if (r == -ENOENT) {
		char soname[256];
		int n = probe_elf_needed(path, "libreadline.so", soname, sizeof(soname));

		/*
		 * Only the libreadline this shell links: falling back to the
		 * system's for any binary (--shell /bin/true) attached to a
		 * library the named program never calls, and traced nothing.
		 */
		if (n <= 0) {
			fprintf(stderr,
				"%s: %s has no readline() symbol of its own and does not link "
				"libreadline: is it bash?\n",
				c->prog, path);
			return -ENOENT;
		}
		if (probe_find_binary(soname, c->pid, lib, sizeof(lib), err, sizeof(err))) {
			fprintf(stderr, "%s: %s links %s: %s\n", c->prog, path, soname, err);
			return -ENOENT;
		}
		r = resolve_bash_in(c, lib, err, sizeof(err));
		if (r) {
			fprintf(stderr, "%s: %s links %s, which has no readline() symbol\n",
				c->prog, path, lib);
			return r;
		}
	}
	if (r) {
		fprintf(stderr, "%s: %s: %s\n", c->prog, path, err);
		return r;
	}
	if (c->pid && probe_pid_maps(c->pid, c->specs[0].path) == 0) {
		fprintf(stderr,
			probe_pid_alive(c->pid) ?
				"%s: process %d does not map %s: not that bash?\n" :
				"%s: process %d not found (gone?)\n",
			c->prog, c->pid, c->specs[0].path);
		return -ENOENT;
	}
	return 0;
}

/* ---- counting ---- */

static int key_cmp(const void *a, const void *b)
{
	const struct ps_probe_count_key *x = a, *y = b;

	if (x->probe != y->probe)
		return x->probe < y->probe ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static uint64_t realtime_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static uint64_t sum_percpu(int fd, const void *key)
{
	uint64_t sum;

	return ps_map_sum_percpu(fd, key, &sum) ? 0 : sum;
}

/*
 * Read the kernel's totals and print what each key gained since the last
 * report. The map is never cleared (that would race with hits): deltas
 * are taken here, so every hit is counted exactly once.
 */
static void report_counts(struct pcfg *c, uint64_t now)
{
	int fd = bpf_map__fd(c->skel->maps.counts);
	struct ps_probe_count_key k, next, *keys = NULL;
	size_t nkeys = 0, capk = 0;
	uint64_t interval = now - c->last_report, real = realtime_now();
	void *prev = NULL;
	uint32_t zero = 0;

	c->last_report = now;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (nkeys == capk) {
			size_t nc = capk ? capk * 2 : 64;
			void *nk = realloc(keys, nc * sizeof(*keys));

			if (!nk)
				break;
			keys = nk;
			capk = nc;
		}
		keys[nkeys++] = next;
		k = next;
		prev = &k;
	}
	for (size_t i = 0; i < nkeys; i++) {
		uint64_t total = sum_percpu(fd, &keys[i]);
		/* no table yet is NULL, which bsearch() must not get (UBSan) */
		struct cnt_ent *e =
			c->ncnt ? bsearch(&keys[i], c->cnt, c->ncnt, sizeof(*c->cnt), key_cmp) :
				  NULL;

		if (!e) {
			if (c->ncnt == c->capcnt) {
				size_t nc = c->capcnt ? c->capcnt * 2 : 64;
				void *n = realloc(c->cnt, nc * sizeof(*c->cnt));

				if (!n)
					continue;
				c->cnt = n;
				c->capcnt = nc;
			}
			e = &c->cnt[c->ncnt++];
			e->k = keys[i];
			e->total = 0;
			e->delta = total;
			e->total = total;
			qsort(c->cnt, c->ncnt, sizeof(*c->cnt), key_cmp);
			continue;
		}
		e->delta = total - e->total;
		e->total = total;
	}
	free(keys);
	for (size_t i = 0; i < c->ncnt; i++) {
		struct cnt_ent *e = &c->cnt[i];

		if (!e->delta || e->k.probe >= (uint32_t)c->nspecs)
			continue;
		c->totals[e->k.probe] += e->delta;
		count_print(c->specs[e->k.probe].name, c->per_pid ? (long)e->k.pid : -1, e->delta,
			    real, interval, c->json);
		e->delta = 0;
	}
	/* forget processes that are gone, so the table does not fill up */
	if (c->per_pid) {
		size_t w = 0;

		for (size_t i = 0; i < c->ncnt; i++) {
			if (!probe_pid_alive(c->cnt[i].k.pid)) {
				bpf_map_delete_elem(fd, &c->cnt[i].k);
				continue;
			}
			c->cnt[w++] = c->cnt[i];
		}
		c->ncnt = w;
	}
	{
		uint64_t missed = sum_percpu(bpf_map__fd(c->skel->maps.count_missed), &zero);

		if (missed > c->missed_reported) {
			count_print_missed(missed - c->missed_reported, c->json);
			c->missed_reported = missed;
		}
	}
	out_flush();
}

/* ---- run ---- */

static void on_event(void *ctx, const struct ps_event *ev)
{
	struct pcfg *c = ctx;
	struct probe_view v;

	if (!probe_view_init(&v, ev, c->specs, c->nspecs))
		return;
	/* bashreadline: NULL is the end of input, no line */
	if (c->bash && v.e->vals[PS_PROBE_RET] == 0)
		return;
	ps_session_emit(c->t.sess, 0, &v);
}

/* ---- sinks ---- */

static void table_header(void *ctx)
{
	struct pcfg *c = ctx;

	if (c->bash)
		bashline_print_header();
	else if (c->count)
		count_print_header(c->per_pid);
	else
		probe_print_header();
}

static void table_event(void *ctx, int kind, const void *view)
{
	struct pcfg *c = ctx;

	if (c->bash)
		bashline_print_table(view);
	else
		probe_print_table(view);
	out_maybe_flush();
}

static void json_event(void *ctx, int kind, const void *view)
{
	struct pcfg *c = ctx;

	if (c->bash)
		bashline_print_json(view);
	else
		probe_print_json(view);
	out_maybe_flush();
}

static void on_tick(void *ctx, uint64_t now)
{
	struct pcfg *c = ctx;

	if (c->count && now - c->last_report >= c->interval_ns)
		report_counts(c, now);
	if (c->pid && !probe_pid_alive(c->pid)) {
		out_flush();
		fprintf(stderr, "%s: process %d exited\n", c->prog, c->pid);
		ps_exiting = 1;
	}
}

static void on_end(void *ctx)
{
	struct pcfg *c = ctx;

	if (!c->count)
		return;
	report_counts(c, ps_ktime_now());
	for (int i = 0; i < c->nspecs; i++)
		count_print_total(c->specs[i].name, c->totals[i], c->json);
}

static const char *kind_name(int kind)
{
	return kind == PS_PROBE_ENTRY ? "u" : kind == PS_PROBE_RETURN ? "ur" : "usdt";
}

static int attach_one(struct pcfg *c, struct probe_bpf *s, int i, struct bpf_link **link)
{
	struct probe_spec *sp = &c->specs[i];
	struct ps_probe_cfg cfg = { .kind = sp->kind,
				    .nargs = sp->nargs,
				    .str_mask = sp->str_mask };
	__u32 key = i;
	int err;

	if (bpf_map_update_elem(bpf_map__fd(s->maps.probe_cfg), &key, &cfg, BPF_ANY)) {
		err = -errno;
		fprintf(stderr, "%s: cannot configure probe %s: %s\n", c->prog, sp->name,
			strerror(errno));
		return err;
	}
	if (sp->kind == PS_PROBE_USDT) {
		LIBBPF_OPTS(bpf_usdt_opts, uo, .usdt_cookie = i);

		*link = bpf_program__attach_usdt(s->progs.probe_usdt, c->pid ? c->pid : -1,
						 sp->path, sp->provider, sp->usdt_name, &uo);
	} else {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = i,
			    .retprobe = sp->kind == PS_PROBE_RETURN);

		*link = bpf_program__attach_uprobe_opts(
			sp->kind == PS_PROBE_RETURN ? s->progs.probe_return : s->progs.probe_entry,
			c->pid ? c->pid : -1, sp->path, sp->offset, &uo);
	}
	if (!*link) {
		err = -errno;
		if (c->pid && (err == -ESRCH || !probe_pid_alive(c->pid)))
			fprintf(stderr, "%s: %s: process %d is gone\n", c->prog, sp->name, c->pid);
		else
			fprintf(stderr, "%s: %s: failed to attach: %s%s\n", c->prog, sp->name,
				strerror(-err), c->verbose ? "" : " (-v shows libbpf's messages)");
		return err ? err : -EINVAL;
	}
	return 0;
}

/* ---- loading ---- */

/*
 * Sleepable programs first (strings in pages not yet resident can be
 * read); kernels without sleepable uprobes or bpf_copy_from_user_str get
 * the plain ones. Nothing to gain with no strings read (--count) or with
 * perf buffers, which sleepable programs may not use.
 */
static int probe_sleepable(void *ctx, const struct ps_hook *h, char *why, size_t len)
{
	struct pcfg *c = ctx;

	if (c->count || c->transport == PS_TRANSPORT_PERF ||
	    (c->transport == PS_TRANSPORT_AUTO && !ps_kernel_has_ringbuf())) {
		snprintf(why, len, "not needed (no strings, or perf buffers)");
		return -EOPNOTSUPP;
	}
	return 0;
}

static const struct ps_hook_side probe_sides[] = { { "uprobe", true } };

static const struct ps_hook probe_hooks[] = {
	{ "uprobe-sleepable",
	  0,
	  { "probe_entry", "probe_return", "probe_usdt" },
	  PS_HOOK_SLEEPABLE | PS_HOOK_NOATTACH,
	  probe_sleepable },
	{ "uprobe", 0, { "probe_entry", "probe_return", "probe_usdt" }, PS_HOOK_NOATTACH },
};

static const struct ps_hookset probe_hookset = {
	.tool = "probe",
	.sides = probe_sides,
	.nsides = 1,
	.hooks = probe_hooks,
	.nhooks = 2,
};

static struct bpf_object *ld_open(void *ctx)
{
	struct pcfg *c = ctx;

	c->skel = probe_bpf__open();
	return c->skel ? c->skel->obj : NULL;
}

static int ld_configure(void *ctx, struct bpf_object *obj, const struct ps_hook *const *picked)
{
	struct pcfg *c = ctx;
	struct probe_bpf *s = c->skel;
	int err = ps_session_prepare(c->t.sess, obj);

	if (err)
		return err;
	s->rodata->ps_use_perf = ps_session_kind(c->t.sess) == PS_TRANSPORT_PERF;
	s->rodata->ps_boottime =
		ps_kernel_has_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_ktime_get_boot_ns);
	s->rodata->targ_tgid = c->pid;
	s->rodata->str_max = c->str_max;
	s->rodata->count_mode = c->count;
	s->rodata->count_per_pid = c->per_pid;
	s->rodata->can_fault = (picked[0]->flags & PS_HOOK_SLEEPABLE) != 0;
	s->rodata->filter_cg_id = c->cg_id;
	s->rodata->filter_cg_level = c->cg_level;
	return 0;
}

static int ld_loaded(void *ctx, struct bpf_object *obj)
{
	return ps_tool_loaded(&((struct pcfg *)ctx)->t, obj);
}

static int ld_attach(void *ctx, struct bpf_object *obj)
{
	struct pcfg *c = ctx;

	for (int i = 0; i < c->nspecs && !ps_exiting; i++) {
		int err = attach_one(c, c->skel, i, &c->links[i]);

		if (err)
			return err;
	}
	return 0;
}

static void ld_close(void *ctx)
{
	struct pcfg *c = ctx;

	ps_tool_unload(&c->t, c->skel ? c->skel->obj : NULL);
	for (int i = 0; i < PS_PROBE_MAX; i++) {
		bpf_link__destroy(c->links[i]);
		c->links[i] = NULL;
	}
	probe_bpf__destroy(c->skel);
	c->skel = NULL;
}

static const struct ps_loader_ops probe_loader = {
	.open = ld_open,
	.configure = ld_configure,
	.loaded = ld_loaded,
	.attach = ld_attach,
	.close = ld_close,
};

static void ready(void *ctx, struct jw *w)
{
	struct pcfg *c = ctx;

	jw_cstr(w, "mode", c->bash ? "bashreadline" : c->count ? "count" : "events");
	jw_u64(w, "str_max", c->str_max);
	jw_s64(w, "target_pid", c->pid);
	jw_bool(w, "sleepable", c->skel->rodata->can_fault);
	if (c->count) {
		jw_u64(w, "interval_ns", c->interval_ns);
		jw_bool(w, "per_pid", c->per_pid);
	}
	jw_arr(w, "probes");
	for (int i = 0; i < c->nspecs; i++) {
		struct probe_spec *sp = &c->specs[i];

		jw_obj(w, NULL);
		jw_cstr(w, "probe", sp->name);
		jw_cstr(w, "kind", kind_name(sp->kind));
		jw_cstr(w, "binary", sp->path);
		if (sp->kind != PS_PROBE_USDT)
			jw_u64(w, "offset", sp->offset);
		jw_s64(w, "nargs", sp->nargs);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static int run(struct pcfg *c)
{
	static const size_t rec_len[PS_REC_NR] = { [PS_REC_PROBE] = sizeof(struct ps_probe) };
	int forced[PS_HOOK_SIDES] = { -1, -1, -1, -1 };
	struct ps_session_cfg sc = {
		.tool = c->bash ? "bashreadline" : "probe",
		.json = c->json,
		.want = c->transport,
		.bufsize = c->bufsize,
	};
	int ret = 1, err;

	ps_libbpf_setup(c->verbose);
	ps_require_bpf(c->prog);
	if (c->pid && !probe_pid_alive(c->pid)) {
		fprintf(stderr, "%s: process %d not found\n", c->prog, c->pid);
		goto specs;
	}
	if (c->bash) {
		if (resolve_bash(c))
			goto specs;
	} else {
		for (int i = 0; i < c->nspecs; i++)
			if (resolve_spec(c, &c->specs[i]))
				goto specs;
	}
	if (c->container) {
		int fd = ps_container_open(c->container, c->prog);

		if (fd < 0)
			goto specs;
		err = ps_cgroup_fd_id(fd, &c->cg_id, &c->cg_level);
		close(fd);
		if (err) {
			fprintf(stderr, "%s: --container: cannot get its cgroup id: %s\n", c->prog,
				strerror(-err));
			goto specs;
		}
	}
	ps_install_signals();
	out_set_linebuf(isatty(STDOUT_FILENO));
	c->t = (struct ps_tool){
		.prog = c->prog,
		.cgfd = -1,
		.rec_len = rec_len,
		.on_event = on_event,
		.ev_ctx = c,
	};
	if (ps_tool_session(&c->t, &sc))
		goto out;
	if (ps_hooks_load(&probe_hookset, forced, &probe_loader, c, c->verbose, &c->t.loaded))
		goto out;
	ps_clock_init(c->skel->rodata->ps_boottime);
	c->last_report = ps_ktime_now();
	ps_tool_sinks(&c->t, c->json, &(struct ps_sink){ .event = json_event, .ctx = c },
		      &(struct ps_sink){ .header = table_header, .event = table_event, .ctx = c });
	ret = ps_session_run(c->t.sess,
			     &(struct ps_session_hooks){
				     .ready = ready, .tick = on_tick, .end = on_end, .ctx = c }) ?
		      1 :
		      0;
out:
	if (c->skel)
		ld_close(c);
	ps_tool_end(&c->t);
	free(c->cnt);
specs:
	/* on every path: LeakSanitizer (make SAN=1) checks each exit */
	for (int i = 0; i < c->nspecs; i++)
		probe_spec_free(&c->specs[i]);
	return ret;
}

static struct pcfg *pcfg_new(const char *prog, bool bash)
{
	struct pcfg *c = calloc(1, sizeof(*c));

	if (!c) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	c->prog = prog;
	c->bash = bash;
	c->interval_ns = 1000000000ull;
	c->str_max = bash ? PS_PROBE_STR_MAX : PS_PROBE_STR_DEFAULT;
	c->bufsize = PS_BUFFER_PROBE_DEFAULT;
	return c;
}

int cmd_probe(int argc, char **argv, const char *prog)
{
	struct pcfg *c = pcfg_new(prog, false);
	int ret;

	parse_args(c, argc, argv);
	ret = c->list ? do_list(c) : run(c);
	free(c);
	return ret;
}

int cmd_bashreadline(int argc, char **argv, const char *prog)
{
	struct pcfg *c = pcfg_new(prog, true);
	int ret;

	parse_args(c, argc, argv);
	ret = run(c);
	free(c);
	return ret;
}
