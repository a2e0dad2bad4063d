// SPDX-License-Identifier: GPL-2.0
/*
 * procsnoop top: which short-lived processes use the CPU, and who starts
 * them. One record per process end (bpf/top.bpf.c), aggregated here into
 * groups per interval; nothing printed per event.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "tools/tools.h"
#include "tools/top/agg.h"
#include "lib/bpfutil.h"
#include "lib/cgroup.h"
#include "lib/hooks.h"
#include "lib/groups.h"
#include "lib/json.h"
#include "lib/metrics.h"
#include "lib/opts.h"
#include "lib/out.h"
#include "lib/session.h"
#include "lib/tool.h"
#include "lib/transport.h"
#include "events/exit.h"
#include "top.skel.h"

enum top_by {
	BY_COMM,
	BY_EXE,
	BY_CMDLINE,
	BY_PARENT,
	BY_ANCESTOR,
	BY_CGROUP,
	BY_CONTAINER,
	BY_UID,
	BY_NR
};
static const char *const by_names[BY_NR] = { "comm",	 "exe",	   "cmdline",	"parent",
					     "ancestor", "cgroup", "container", "uid" };

enum hist_mode { HIST_NONE, HIST_INTERVAL, HIST_EXIT };

struct top_cfg {
	const char *prog;
	uint64_t interval_ns;
	uint64_t count; /* intervals; 0: until stopped */
	enum top_by by;
	enum top_sort sort;
	bool json, batch, verbose, term;
	enum hist_mode hist;
	bool hist_group; /* --hist=group: one pair of histograms per group too */
	uint64_t limit;	 /* 0: default */
	const char *cgroup, *container;
	size_t bufsize;
	int transport;
	int forced[PS_HOOK_SIDES];
};

struct top_run {
	struct ps_tool t;
	struct top_cfg *c;
	struct top_bpf *skel;
	bool defer;
	int exit_tp_nargs; /* sched_process_exit's arguments (BTF), -1 unknown */
	uint64_t page_size;
	int ncpus;
	struct top_table cur, shown, total;
	uint64_t t0, istart, run_start; /* ktime */
	uint64_t intervals;
	uint64_t busy0, busy_run0; /* /proc/stat busy ns at the interval's (run's) start */
	uint64_t lost0, lost_run0;
	uint64_t shown_len, shown_busy, shown_lost, shown_end;
	bool have_shown;
	struct termios tio;
	bool tio_saved, screen;
};

static const struct ps_hookset top_hookset;

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTIONS] [INTERVAL [COUNT]]\n"
		"\n"
		"Which short-lived processes use the CPU, and who starts them: every INTERVAL\n"
		"(default 1 s; 500ms, 2s, a bare number is seconds) a table of the processes that\n"
		"ENDED in it, grouped, with their exact CPU time (from the kernel, not sampled),\n"
		"lifetimes, failures and parents; COUNT intervals, or until Ctrl-C. Long-running\n"
		"processes are top(1)'s job: a process is counted once, when it ends.\n"
		"\n"
		"  -b, --batch             one table per interval, no screen handling (the default\n"
		"                          when stdout is not a terminal)\n"
		"      --json              one JSON object per interval (schema in the README)\n" PS_OUTPUT_HELP
		"      --by KEY            group by comm (default) | exe | cmdline | parent |\n"
		"                          ancestor (nearest ancestor that is not a shell) |\n"
		"                          cgroup | container | uid\n"
		"  -s, --sort KEY          cpu (default) | count | failed | lifetime\n"
		"      --limit N           show the top N groups, the rest as \"other\" (default:\n"
		"                          what fits the screen; 20 in batch mode and JSON)\n"
		"      --hist[=LIST]       log2 histograms of lifetime and CPU per process; LIST:\n"
		"                          interval (default: each interval) or exit (only in the\n"
		"                          summary), and group (one pair per group shown, too),\n"
		"                          e.g. --hist=exit,group\n"
		"  -c, --cgroup PATH       only processes in this cgroup v2 subtree\n"
		"      --container ID      only processes in this container\n"
		"      --buffer-size SIZE  ring buffer size (default 4M)\n"
		"      --transport KIND    ringbuf | perf | auto\n" PS_METRICS_HELP
		"      --hook LIST         force hooks: exec-tp | exec-off, switch-btf | switch-off\n"
		"  -v, --verbose           libbpf and verifier messages\n"
		"  -h, --help              this help\n"
		"\n"
		"CPU%%: 100%% is one CPU for the whole interval. A process that lived longer than\n"
		"the interval counts with the share of its CPU time in the last INTERVAL of its\n"
		"life (spread evenly over its life); the interval's total is capped at CPUs x\n"
		"interval. USER/SYS ms are each process's whole CPU time.\n"
		"Keys (terminal): q quit; c n f l sort by cpu, count, failed, lifetime;\n"
		"g / G next / previous grouping (from the next interval); Ctrl-Z suspends\n"
		"(the terminal restored until fg).\n"
		"\n"
		"Exit status: 0 ok (also q, SIGINT, SIGTERM), 1 runtime failure, 2 usage error.\n",
		prog);
}

static int parse_by(const char *s)
{
	for (int i = 0; i < BY_NR; i++)
		if (!strcmp(s, by_names[i]))
			return i;
	return -1;
}

/* INTERVAL: seconds (bare number, may be fractional) or a duration with a unit */
static int parse_interval(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (!*end && !errno) {
		if (!(v >= 0.01 && v <= 86400))
			return -ERANGE;
		*ns = (uint64_t)(v * 1e9 + 0.5);
		return 0;
	}
	if (parse_duration(s, ns) || *ns < 10000000ull || *ns > 86400ull * 1000000000ull)
		return -EINVAL;
	return 0;
}

/* --hist[=LIST]: interval | exit, and group, comma-separated, each at most once */
static int parse_hist(const char *arg, struct top_cfg *c)
{
	char buf[64], *save, *w;
	bool when = false;

	c->hist = HIST_INTERVAL;
	c->hist_group = false;
	if (!arg)
		return 0;
	if (!*arg || strlen(arg) >= sizeof(buf))
		return -EINVAL;
	/* "a,,b" or a comma at either end: strtok_r would skip the empty word */
	if (strstr(arg, ",,") || arg[0] == ',' || arg[strlen(arg) - 1] == ',')
		return -EINVAL;
	strcpy(buf, arg);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "group") && !c->hist_group) {
			c->hist_group = true;
		} else if (!when && (!strcmp(w, "interval") || !strcmp(w, "exit"))) {
			c->hist = !strcmp(w, "exit") ? HIST_EXIT : HIST_INTERVAL;
			when = true;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static void parse_args(struct top_cfg *c, int argc, char **argv)
{
	enum { O_JSON = 256, O_BY, O_LIMIT, O_HIST, O_CONTAINER, O_BUFSIZE, O_TRANSPORT, O_HOOK };
	static const struct option lo[] = { { "batch", no_argument, NULL, 'b' },
					    { "json", no_argument, NULL, O_JSON },
					    { "by", required_argument, NULL, O_BY },
					    { "sort", required_argument, NULL, 's' },
					    { "limit", required_argument, NULL, O_LIMIT },
					    { "hist", optional_argument, NULL, O_HIST },
					    { "cgroup", required_argument, NULL, 'c' },
					    { "container", required_argument, NULL, O_CONTAINER },
					    { "buffer-size", required_argument, NULL, O_BUFSIZE },
					    { "transport", required_argument, NULL, O_TRANSPORT },
					    { "hook", required_argument, NULL, O_HOOK },
					    PS_METRICS_LONGOPT,
					    { "verbose", no_argument, NULL, 'v' },
					    { "help", no_argument, NULL, 'h' },
					    PS_OUTPUT_LONGOPTS,
					    {} };
	const char *p = c->prog;
	uint64_t v;
	int opt, k;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":bs:c:o:vh", lo, NULL)) != -1) {
		switch (opt) {
		case 'b':
			c->batch = true;
			break;
		case O_JSON:
			c->json = true;
			break;
		case O_BY:
			k = parse_by(optarg);
			if (k < 0)
				usage_error(
					p,
					"invalid --by '%s': expected comm, exe, cmdline, parent, "
					"ancestor, cgroup, container or uid",
					optarg);
			c->by = k;
			break;
		case 's':
			for (k = 0; k < TOP_SORT_NR && strcmp(optarg, top_sort_names[k]); k++)
				;
			if (k == TOP_SORT_NR)
				usage_error(p,
					    "invalid --sort '%s': expected cpu, count, failed or "
					    "lifetime",
					    optarg);
			c->sort = k;
			break;
		case O_LIMIT:
			if (parse_u64(optarg, 1, PS_TOP_GROUPS_MAX, &v))
				usage_error(p, "invalid --limit '%s': expected 1 to %d", optarg,
					    PS_TOP_GROUPS_MAX);
			c->limit = v;
			break;
		case O_HIST:
			if (parse_hist(optarg, c))
				usage_error(
					p,
					"invalid --hist=%s: expected a list of interval or exit, "
					"and group (e.g. --hist=exit,group)",
					optarg);
			break;
		case 'c':
			c->cgroup = opt_once(p, "--cgroup", c->cgroup, optarg, "PATH");
			break;
		case O_CONTAINER:
			c->container = ps_container_opt(p, optarg, c->container);
			break;
		case O_BUFSIZE:
			c->bufsize = opt_buffer_size(p, optarg);
			break;
		case O_TRANSPORT:
			c->transport = ps_transport_opt(p, optarg);
			break;
		case O_HOOK:
			ps_hooks_parse(&top_hookset, p, optarg, c->forced);
			break;
		case 'v':
			c->verbose = true;
			break;
		case PS_OPT_METRICS:
			ps_metrics_opt(p, optarg);
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
	if (optind < argc && parse_interval(argv[optind++], &c->interval_ns))
		usage_error(p,
			    "invalid INTERVAL '%s': expected seconds (0.01 to 86400) or a duration "
			    "like 500ms",
			    argv[optind - 1]);
	if (optind < argc && parse_u64(argv[optind++], 1, UINT64_MAX, &c->count))
		usage_error(p, "invalid COUNT '%s': expected a positive number of intervals",
			    argv[optind - 1]);
	if (optind < argc)
		usage_error(p, "unexpected argument '%s'", argv[optind]);
	if (c->cgroup && c->container)
		usage_error(p, "--cgroup and --container are exclusive: give one of them");
}

/* ---- keys ---- */

static bool is_shell(const char *comm)
{
	static const char *const wrappers[] = { PS_TOP_WRAPPERS };

	for (size_t i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		if (!strcmp(comm, wrappers[i]))
			return true;
	return false;
}

static const char *parent_of(const struct ps_top_exit *e, char *buf)
{
	memcpy(buf, e->id.pcomm, PS_TASK_COMM_LEN);
	buf[PS_TASK_COMM_LEN - 1] = 0;
	return buf;
}

/* The group key of @e under @by, into @key (at most PS_TOP_KEY_MAX bytes). */
static size_t make_key(const struct ps_top_exit *e, const char *cmd, size_t cmd_len, enum top_by by,
		       char *key)
{
	char pb[PS_TASK_COMM_LEN];
	const struct ps_cgroup *cg;
	size_t n = 0;

	switch (by) {
	case BY_COMM:
		return strnlen(memcpy(key, e->id.comm, PS_TASK_COMM_LEN), PS_TASK_COMM_LEN - 1);
	case BY_EXE:
		n = strnlen(e->exe, sizeof(e->exe));
		if (!n)
			return make_key(e, cmd, cmd_len, BY_COMM, key);
		memcpy(key, e->exe, n);
		return n;
	case BY_CMDLINE:
		/* arguments joined by spaces, as one string */
		for (size_t i = 0; i < cmd_len && n < PS_TOP_KEY_MAX; i++)
			key[n++] = cmd[i] ? cmd[i] : ' ';
		while (n && key[n - 1] == ' ')
			n--;
		if (!n)
			return make_key(e, cmd, cmd_len, BY_COMM, key);
		return n;
	case BY_PARENT:
		return strlen(strcpy(key, parent_of(e, pb)));
	case BY_ANCESTOR:
		for (uint32_t i = 0; i < e->nanc && i < PS_TOP_ANC; i++) {
			memcpy(pb, e->anc[i], PS_TASK_COMM_LEN);
			pb[PS_TASK_COMM_LEN - 1] = 0;
			if (!is_shell(pb) || i + 1 == e->nanc || i + 1 == PS_TOP_ANC)
				return strlen(strcpy(key, pb));
		}
		return strlen(strcpy(key, "-"));
	case BY_CGROUP:
		cg = ps_cgroup_lookup(e->id.cgroup_id);
		if (cg && cg->path) {
			n = strlen(cg->path);
			n = n < PS_TOP_KEY_MAX ? n : PS_TOP_KEY_MAX;
			memcpy(key, cg->path, n);
			return n;
		}
		return snprintf(key, PS_TOP_KEY_MAX, "cgroup-id:%llu",
				(unsigned long long)e->id.cgroup_id);
	case BY_CONTAINER:
		cg = ps_cgroup_lookup(e->id.cgroup_id);
		if (cg && cg->ct.runtime != PS_RT_NONE) {
			n = strnlen(cg->ct.id, sizeof(cg->ct.id));
			n = n < PS_TOP_KEY_MAX ? n : PS_TOP_KEY_MAX;
			memcpy(key, cg->ct.id, n);
			return n;
		}
		return strlen(strcpy(key, "-"));
	case BY_UID:
		return snprintf(key, PS_TOP_KEY_MAX, "%u", e->id.uid);
	default:
		return 0;
	}
}

/* ---- events ---- */

struct top_metrics_view {
	const struct ps_top_exit *e;
	const struct top_proc *p;
};

static void on_event(void *ctx, const struct ps_event *ev)
{
	struct top_run *r = ctx;
	const struct ps_top_exit *e = ev->rec;
	char key[PS_TOP_KEY_MAX + PS_TASK_COMM_LEN], pb[PS_TASK_COMM_LEN];
	struct top_proc p = {};
	uint32_t st;
	size_t klen;
	double share;

	if (ev->rec_len < __builtin_offsetof(struct ps_top_exit, cmd) ||
	    ev->data_len != e->cmd_len || e->cmd_len > PS_TOP_CMD)
		return;
	st = e->status & 0xffff;
	exit_cputime_split(e->rtime_ns, e->utime_ns, e->stime_ns, &p.cpu_user_ns, &p.cpu_sys_ns);
	p.lifetime_ns = e->duration_ns;
	p.max_rss_kb = e->maxrss_pages * (r->page_size / 1024);
	p.execs = e->execs;
	p.exec_fails = e->exec_fails;
	p.signaled = (st & 0x7f) != 0;
	p.failed = st != 0 || e->exec_fails;
	p.parent = parent_of(e, pb);
	p.cmd = (const char *)ev->data;
	p.cmd_len = ev->data_len;
	p.cmd_trunc = e->tflags & PS_TOP_CMD_TRUNC;
	klen = make_key(e, p.cmd, p.cmd_len, r->c->by, key);
	share = top_share(p.cpu_user_ns + p.cpu_sys_ns, p.lifetime_ns, r->c->interval_ns);
	top_table_add(&r->cur, key, klen, &p, share, r->c->interval_ns);
	if (top_table_add(&r->total, key, klen, &p, p.cpu_user_ns + p.cpu_sys_ns, UINT64_MAX) ==
	    &r->total.other)
		ps_session_count(r->t.sess, PS_C_GROUPS_FOLDED, 1);
	/* --metrics: the sinks (ps_tool_groups) see each process */
	ps_session_emit(r->t.sess, 0, &(struct top_metrics_view){ e, &p });
}

/*
 * --metrics: each process that ended, by comm whatever --by groups the
 * screen by, as exit counts it: failed is not a clean exit 0 (top's own
 * FAILED column also counts failed execs).
 */
static void groups_feed(struct ps_groups *g, int kind, const void *view)
{
	const struct top_metrics_view *v = view;

	ps_groups_exit(g, v->e->id.comm, sizeof(v->e->id.comm), (v->e->status & 0xffff) != 0,
		       v->p->cpu_user_ns, v->p->cpu_sys_ns, v->p->lifetime_ns);
}

static uint64_t groups_entries(void *ctx)
{
	return ((struct top_table *)ctx)->n;
}

/* processes counted in "other" because the table was full */
static uint64_t groups_evictions(void *ctx)
{
	return ((struct top_table *)ctx)->folded;
}

/* ---- output ---- */

/* busy CPU time of the machine so far, from /proc/stat, in ns */
static uint64_t busy_ns(void)
{
	unsigned long long v[8] = {};
	char line[256];
	FILE *f = fopen("/proc/stat", "re");
	uint64_t busy;

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) < 4) {
		fclose(f);
		return 0;
	}
	fclose(f);
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	return busy * (1000000000ull / sysconf(_SC_CLK_TCK));
}

static uint64_t lost_now(struct top_run *r)
{
	uint64_t c[PS_C_NR];

	ps_session_stats(r->t.sess, c);
	return c[PS_C_RECORDS_LOST];
}

static void fmt_dur(char *b, size_t cap, uint64_t ns)
{
	if (ns < 1000000)
		snprintf(b, cap, "%lluus", (unsigned long long)(ns / 1000));
	else if (ns < 1000000000)
		snprintf(b, cap, "%.1fms", ns / 1e6);
	else
		snprintf(b, cap, "%.2fs", ns / 1e9);
}

/* scale of the CPU shares so their total never exceeds CPUs x interval */
static double share_scale(const struct top_table *t, int ncpus, uint64_t len)
{
	double cap = (double)ncpus * (double)len;

	return t->cpu_share_ns > cap && t->cpu_share_ns > 0 ? cap / t->cpu_share_ns : 1.0;
}

static size_t limit_of(struct top_run *r, int rows)
{
	if (r->c->limit)
		return r->c->limit;
	if (r->c->term)
		return rows > 6 ? rows - 6 : 1;
	return 20;
}

/* The other bucket of a limited view: what is past @limit, and the table's own other. */
static void fold_rest(const struct top_table *t, struct top_group **sorted, size_t limit,
		      struct top_group *o)
{
	*o = t->other;
	for (size_t i = limit; i < t->n; i++) {
		const struct top_group *g = sorted[i];

		o->procs += g->procs;
		o->failed += g->failed;
		o->signaled += g->signaled;
		o->execs += g->execs;
		o->exec_fails += g->exec_fails;
		o->cpu_user_ns += g->cpu_user_ns;
		o->cpu_sys_ns += g->cpu_sys_ns;
		o->cpu_share_ns += g->cpu_share_ns;
		if (g->life_max_ns > o->life_max_ns)
			o->life_max_ns = g->life_max_ns;
		if (g->max_rss_kb > o->max_rss_kb)
			o->max_rss_kb = g->max_rss_kb;
		for (int b = 0; b < PS_TOP_LBUCKETS; b++)
			o->life[b] += g->life[b];
		for (int b = 0; b < PS_TOP_LOG2; b++) {
			o->hist_life[b] += g->hist_life[b];
			o->hist_cpu[b] += g->hist_cpu[b];
		}
		if (!o->last_cmd_len && g->last_cmd_len) {
			memcpy(o->last_cmd, g->last_cmd, g->last_cmd_len);
			o->last_cmd_len = g->last_cmd_len;
			o->last_cmd_trunc = g->last_cmd_trunc;
		}
		for (int k = 0; k < PS_TOP_PARENTS; k++) {
			if (!g->parent_n[k])
				continue;
			if (!o->parent_n[0] || g->parent_n[k] > o->parent_n[0]) {
				memcpy(o->parents[0], g->parents[k], sizeof(o->parents[0]));
				o->parent_n[0] = g->parent_n[k];
			}
		}
	}
}

static void json_hist(struct jw *w, const char *name, const uint32_t *h)
{
	int top = -1;

	for (int i = 0; i < PS_TOP_LOG2; i++)
		if (h[i])
			top = i;
	jw_arr(w, name);
	for (int i = 0; i <= top; i++) {
		uint64_t low = (1ull << (i + 1)) >> 1, high = (1ull << (i + 1)) - 1;

		if (low == high)
			low--;
		jw_obj(w, NULL);
		jw_u64(w, "low", low);
		jw_u64(w, "high", high);
		jw_u64(w, "count", h[i]);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void json_group(struct jw *w, const struct top_group *g, double scale, uint64_t len,
		       bool hist)
{
	const char *a = g->last_cmd, *end = g->last_cmd + g->last_cmd_len;

	jw_obj(w, NULL);
	jw_str(w, "key", g->key, g->klen);
	if (g->other)
		jw_bool(w, "other", true);
	jw_u64(w, "processes", g->procs);
	jw_u64(w, "failed", g->failed);
	jw_u64(w, "execs", g->execs);
	jw_u64(w, "exec_failed", g->exec_fails);
	jw_u64(w, "signaled", g->signaled);
	jw_u64(w, "cpu_user_ns", g->cpu_user_ns);
	jw_u64(w, "cpu_sys_ns", g->cpu_sys_ns);
	jw_u64(w, "cpu_interval_ns", (uint64_t)(g->cpu_share_ns * scale));
	jw_double(w, "cpu_pct", len ? 100.0 * g->cpu_share_ns * scale / len : 0, 2);
	jw_u64(w, "lifetime_p50_ns", top_group_pct(g, 50));
	jw_u64(w, "lifetime_p95_ns", top_group_pct(g, 95));
	jw_u64(w, "lifetime_max_ns", g->life_max_ns);
	jw_u64(w, "max_rss_kb", g->max_rss_kb);
	jw_arr(w, "last_cmdline");
	while (a < end) {
		const char *z = memchr(a, 0, end - a);
		size_t n = z ? (size_t)(z - a) : (size_t)(end - a);

		jw_str(w, NULL, a, n);
		a += n + 1;
	}
	jw_arr_end(w);
	jw_bool(w, "last_cmdline_truncated", g->last_cmd_trunc);
	jw_strn(w, "top_parent", top_group_parent(g), PS_TASK_COMM_LEN);
	if (hist) {
		jw_obj(w, "hist");
		json_hist(w, "lifetime_us", g->hist_life);
		json_hist(w, "cpu_us", g->hist_cpu);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

static void print_json(struct top_run *r, const struct top_table *t, const char *type, uint64_t len,
		       uint64_t busy, uint64_t lost, bool hist)
{
	size_t limit = limit_of(r, 0), n;
	struct top_group **s = malloc((t->n + 1) * sizeof(*s)), o;
	double scale = share_scale(t, r->ncpus, len);
	struct jw w;

	if (!s)
		return;
	top_table_sorted(t, r->c->sort, s);
	n = t->n < limit ? t->n : limit;
	fold_rest(t, s, n, &o);
	jw_begin(&w, type);
	jw_time(&w, "time", ps_ktime_to_realtime(ps_ktime_now()));
	jw_u64(&w, "interval_ns", len);
	jw_cstr(&w, "by", by_names[r->c->by]);
	jw_cstr(&w, "sort", top_sort_names[r->c->sort]);
	jw_u64(&w, "processes", t->procs);
	jw_u64(&w, "execs", t->execs);
	jw_u64(&w, "failed", t->failed);
	jw_u64(&w, "exec_failed", t->exec_fails);
	jw_u64(&w, "lost", lost);
	jw_u64(&w, "cpus", r->ncpus);
	jw_u64(&w, "cpu_ns", t->cpu_ns);
	jw_u64(&w, "short_cpu_ns", t->short_cpu_ns);
	jw_u64(&w, "busy_cpu_ns", busy);
	jw_u64(&w, "groups_total", t->n + (t->other.procs ? 1 : 0));
	jw_arr(&w, "groups");
	for (size_t i = 0; i < n; i++)
		json_group(&w, s[i], scale, len, hist && r->c->hist_group);
	if (o.procs)
		json_group(&w, &o, scale, len, hist && r->c->hist_group);
	jw_arr_end(&w);
	if (hist) {
		jw_obj(&w, "hist");
		json_hist(&w, "lifetime_us", t->hist_life);
		json_hist(&w, "cpu_us", t->hist_cpu);
		jw_obj_end(&w);
	}
	jw_end(&w);
	out_flush();
	free(s);
}

/* One more line fits the screen (@left: lines left; counts down) */
static bool line_room(int *left)
{
	if (*left <= 0)
		return false;
	(*left)--;
	return true;
}

/* bcc's print_log2_hist(); at most *@left lines */
static void text_hist(const char *unit, const uint32_t *h, const char *eol, int *left)
{
	uint32_t max = 0;
	int top = -1;
	char bar[41];

	for (int i = 0; i < PS_TOP_LOG2; i++) {
		if (h[i])
			top = i;
		if (h[i] > max)
			max = h[i];
	}
	if (top < 0 || !line_room(left))
		return;
	out_fmt("%*s%-*s : count    distribution%s", 10, "", 15, unit, eol);
	for (int i = 0; i <= top && line_room(left); i++) {
		uint64_t low = (1ull << (i + 1)) >> 1, high = (1ull << (i + 1)) - 1;
		int stars = max ? (int)((uint64_t)h[i] * 40 / max) : 0;

		if (low == high)
			low--;
		memset(bar, ' ', 40);
		memset(bar, '*', stars);
		bar[40] = 0;
		out_fmt("%20llu -> %-20llu : %-8u |%s|%s", (unsigned long long)low,
			(unsigned long long)high, h[i], bar, eol);
	}
}

/* Terminal-safe text of @p, cut to @cols display columns (never inside a sequence). */
static void out_cut(const char *p, size_t n, size_t cols)
{
	char buf[4 * PS_TOP_KEY_MAX + 64];
	size_t len = enc_term(buf, sizeof(buf), p, n, false), i = 0, c = 0;

	while (i < len && c < cols) {
		size_t k = 1;

		if ((unsigned char)buf[i] >= 0xc0)
			while (i + k < len && ((unsigned char)buf[i + k] & 0xc0) == 0x80)
				k++;
		i += k;
		c++;
	}
	out_bytes(buf, i);
}

static void cmd_join(const struct top_group *g, char *b, size_t *n)
{
	*n = g->last_cmd_len;
	memcpy(b, g->last_cmd, *n);
	for (size_t i = 0; i < *n; i++)
		if (!b[i])
			b[i] = ' ';
	while (*n && b[*n - 1] == ' ')
		(*n)--;
}

static void print_table(struct top_run *r, const struct top_table *t, uint64_t len, uint64_t busy,
			uint64_t lost, bool hist, bool summary)
{
	const char *eol = r->c->term ? "\033[K\n" : "\n";
	struct winsize ws = { .ws_col = 160, .ws_row = 40 };
	struct top_group **s = malloc((t->n + 1) * sizeof(*s)), o;
	double scale = share_scale(t, r->ncpus, len), secs = len / 1e9;
	char when[32], d1[16], d2[16], d3[16], cmd[PS_TOP_CMD];
	size_t limit, n, cols, used, cl, hc;

	if (!s)
		return;
	if (r->c->term)
		ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
	cols = ws.ws_col ? ws.ws_col : 160;
	limit = limit_of(r, ws.ws_row);
	top_table_sorted(t, r->c->sort, s);
	n = t->n < limit ? t->n : limit;
	fold_rest(t, s, n, &o);
	fmt_hms(when, sizeof(when), ps_ktime_to_realtime(ps_ktime_now()));
	if (r->c->term)
		out_str("\033[H");
	out_fmt("%s %s  procs/s %.1f  execs/s %.1f  failed execs/s %.1f  short-lived %.0f%% of "
		"busy CPU  lost %llu  by %s, sort %s%s",
		summary ? "summary" : "top", when, secs > 0 ? t->procs / secs : 0,
		secs > 0 ? t->execs / secs : 0, secs > 0 ? t->exec_fails / secs : 0,
		busy ? 100.0 * t->short_cpu_ns / busy : 0.0, (unsigned long long)lost,
		by_names[r->c->by], top_sort_names[r->c->sort], eol);
	if (r->c->term)
		out_fmt("%s%s", "q quit  c/n/f/l sort  g/G grouping", eol);
	out_fmt("%-16s %6s %6s %6s %9s %9s %6s %8s %8s %8s %8s %-16s %s%s", "KEY", "PROCS",
		"FAILED", "EXECS", "USER(ms)", "SYS(ms)", "CPU%", "P50", "P95", "MAX", "RSS(KB)",
		"PARENT", "CMDLINE", eol);
	for (size_t i = 0; i <= n; i++) {
		const struct top_group *g = i < n ? s[i] : &o;

		if (i == n && !o.procs)
			break;
		fmt_dur(d1, sizeof(d1), top_group_pct(g, 50));
		fmt_dur(d2, sizeof(d2), top_group_pct(g, 95));
		fmt_dur(d3, sizeof(d3), g->life_max_ns);
		/* the key: terminal-safe, one token, cut to its column */
		if (g->klen > 16) {
			out_cut(g->key, g->klen, 15);
			out_char('+');
		} else {
			out_term_col(g->key, g->klen, 16);
		}
		out_fmt(" %6llu %6llu %6llu %9.1f %9.1f %6.1f %8s %8s %8s %8llu ",
			(unsigned long long)g->procs, (unsigned long long)g->failed,
			(unsigned long long)g->execs, g->cpu_user_ns / 1e6, g->cpu_sys_ns / 1e6,
			len ? 100.0 * g->cpu_share_ns * scale / len : 0, d1, d2, d3,
			(unsigned long long)g->max_rss_kb);
		out_term_col(top_group_parent(g), PS_TASK_COMM_LEN, 16);
		out_char(' ');
		/* the columns before CMDLINE take this many */
		used = 16 + 7 * 3 + 10 * 2 + 7 + 9 * 4 + 1 + 16 + 1;
		cmd_join(g, cmd, &cl);
		if (!r->c->term)
			out_cut(cmd, cl, PS_TOP_KEY_MAX);
		else if (cols > used)
			out_cut(cmd, cl, cols - used);
		if (!r->c->term && g->last_cmd_trunc)
			out_str(" ...");
		out_str(eol);
	}
	if (hist) {
		/* on a terminal, what fits below the table (--batch prints it all) */
		int left = r->c->term ? (int)ws.ws_row - (int)n - 5 : INT_MAX;

		if (line_room(&left))
			out_str(eol);
		text_hist("lifetime usecs", t->hist_life, eol, &left);
		if (line_room(&left))
			out_str(eol);
		text_hist("cpu usecs", t->hist_cpu, eol, &left);
		/* --hist=group: bcc's sections (runqlat -P), in the table's order */
		for (size_t i = 0; r->c->hist_group && i <= n; i++) {
			const struct top_group *g = i < n ? s[i] : &o;

			if (i == n && !o.procs)
				break;
			if (!line_room(&left))
				break;
			out_str(eol);
			if (!line_room(&left))
				break;
			out_fmt("%s = ", by_names[r->c->by]);
			/* on a terminal a wrapped line would take two: cut to the width */
			hc = strlen(by_names[r->c->by]) + 4;
			out_cut(g->key, g->klen,
				r->c->term && cols > hc ? cols - hc : PS_TOP_KEY_MAX);
			out_str(eol);
			text_hist("lifetime usecs", g->hist_life, eol, &left);
			if (line_room(&left))
				out_str(eol);
			text_hist("cpu usecs", g->hist_cpu, eol, &left);
		}
	}
	if (r->c->term)
		out_str("\033[J");
	else
		out_str("\n");
	out_flush();
	free(s);
}

/* The interval that just ended: print it, keep it for redraws, start the next. */
static void end_interval(struct top_run *r, uint64_t now, bool last)
{
	uint64_t busy = busy_ns(), lost = lost_now(r);
	struct top_table tmp;

	r->shown_len = now - r->istart;
	r->shown_busy = busy - r->busy0;
	r->shown_lost = lost - r->lost0;
	r->busy0 = busy;
	r->lost0 = lost;
	r->istart = now;
	r->intervals++;
	tmp = r->shown;
	r->shown = r->cur;
	r->cur = tmp;
	top_table_reset(&r->cur);
	r->have_shown = true;
	/* a last partial interval with nothing in it says nothing */
	if (last && !r->shown.procs && r->intervals > 1)
		return;
	if (r->c->json)
		print_json(r, &r->shown, "top", r->shown_len, r->shown_busy, r->shown_lost,
			   r->c->hist == HIST_INTERVAL);
	else
		print_table(r, &r->shown, r->shown_len, r->shown_busy, r->shown_lost,
			    r->c->hist == HIST_INTERVAL, false);
}

static void redraw(struct top_run *r)
{
	if (r->have_shown)
		print_table(r, &r->shown, r->shown_len, r->shown_busy, r->shown_lost,
			    r->c->hist == HIST_INTERVAL, false);
}

/* ---- the terminal ---- */

static struct top_run *term_run; /* for the atexit restore */

static void term_restore(void)
{
	struct top_run *r = term_run;

	if (!r)
		return;
	if (r->screen) {
		/* straight to the fd: the output buffer may be in any state */
		static const char leave[] = "\033[?25h\033[?1049l";

		out_flush();
		/* the writer thread may still hold the last frame: it goes first */
		out_sync();
		if (write(STDOUT_FILENO, leave, sizeof(leave) - 1) < 0)
			r->screen = false;
		r->screen = false;
	}
	if (r->tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &r->tio);
	r->tio_saved = false;
}

static volatile sig_atomic_t tstp; /* Ctrl-Z: suspend at the next tick */

static void on_tstp(int sig)
{
	tstp = 1;
}

static void tstp_handler(void)
{
	struct sigaction sa = { .sa_handler = on_tstp };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTSTP, &sa, NULL);
}

/* Keys one by one, the alternate screen */
static void term_raw(struct top_run *r)
{
	struct termios t;

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &r->tio) == 0) {
		r->tio_saved = true;
		t = r->tio;
		/* keys one by one, not echoed; ^C still a signal */
		t.c_lflag &= ~(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	out_str("\033[?1049h\033[?25l\033[H\033[J");
	r->screen = true;
}

static void term_enter(struct top_run *r)
{
	term_run = r;
	atexit(term_restore);
	tstp_handler();
	term_raw(r);
	out_fmt("procsnoop top: first table after %.3g s (q quits)\n", r->c->interval_ns / 1e9);
	out_flush();
}

/*
 * Ctrl-Z: give the terminal back as it was (normal screen, echo, cursor),
 * stop, and on fg take it again and redraw, as top(1) does. Done from the
 * tick, not the handler: term_restore() waits for the writer thread. While
 * stopped nothing is drained; what the kernel cannot buffer is counted lost.
 */
static void suspend(struct top_run *r)
{
	tstp = 0;
	term_restore();
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP);
	/* continued (SIGCONT) */
	tstp_handler();
	if (ps_exiting)
		return;
	term_raw(r);
	if (r->have_shown)
		redraw(r);
	else
		out_flush();
}

static void keys(struct top_run *r)
{
	char buf[32];
	ssize_t n;
	bool again = false;

	if (!r->tio_saved)
		return;
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			switch (buf[i]) {
			case 'q':
			case 'Q':
				ps_exiting = 1;
				return;
			case 'c':
				r->c->sort = TOP_SORT_CPU;
				break;
			case 'n':
				r->c->sort = TOP_SORT_COUNT;
				break;
			case 'f':
				r->c->sort = TOP_SORT_FAILED;
				break;
			case 'l':
				r->c->sort = TOP_SORT_LIFETIME;
				break;
			case 'g':
			case 'G':
				r->c->by = (r->c->by + (buf[i] == 'g' ? 1 : BY_NR - 1)) % BY_NR;
				/* the current interval's groups are by the old key: start over */
				top_table_reset(&r->cur);
				break;
			default:
				continue;
			}
			again = true;
		}
	}
	if (again)
		redraw(r);
}

/* ---- run ---- */

/* the terminal went away: end as on SIGINT (restoring what is left of it) */
static void on_hup(int sig)
{
	ps_exiting = 1;
}

static void on_tick(void *ctx, uint64_t now)
{
	struct top_run *r = ctx;

	if (r->c->term && tstp && !ps_exiting)
		suspend(r);
	if (r->c->term)
		keys(r);
	if (ps_exiting || now - r->istart < r->c->interval_ns)
		return;
	end_interval(r, now, false);
	if (r->c->count && r->intervals >= r->c->count)
		ps_exiting = 1;
}

static void on_end(void *ctx)
{
	struct top_run *r = ctx;
	uint64_t now = ps_ktime_now();

	/* the last (partial) interval, unless COUNT intervals were printed already */
	if (!r->c->count || r->intervals < r->c->count)
		end_interval(r, now, true);
	/* the summary goes to the screen the user is back on, as a plain table */
	term_restore();
	r->c->term = false;
	if (r->c->json)
		print_json(r, &r->total, "top_summary", now - r->run_start,
			   busy_ns() - r->busy_run0, lost_now(r) - r->lost_run0,
			   r->c->hist != HIST_NONE);
	else
		print_table(r, &r->total, now - r->run_start, busy_ns() - r->busy_run0,
			    lost_now(r) - r->lost_run0, r->c->hist != HIST_NONE, true);
}

static void table_header(void *ctx)
{
	struct top_run *r = ctx;

	if (r->c->term) {
		term_enter(r);
		return;
	}
	out_fmt("procsnoop top: every %.3g s, by %s; Ctrl-C ends\n", r->c->interval_ns / 1e9,
		by_names[r->c->by]);
}

static void ready(void *ctx, struct jw *w)
{
	struct top_run *r = ctx;

	ps_loaded_json(w, &r->t.loaded);
	jw_u64(w, "interval_ns", r->c->interval_ns);
	jw_cstr(w, "by", by_names[r->c->by]);
	jw_bool(w, "cpu_final", r->defer);
}

/* ---- loading ---- */

enum { SIDE_EXEC, SIDE_EXIT, SIDE_CPU, SIDE_NR };

static int probe_tracefs(void *ctx, const struct ps_hook *h, char *why, size_t len)
{
	int err = ps_ensure_tracefs();

	if (err)
		snprintf(why, len, "needs tracefs, which cannot be mounted: %s", strerror(-err));
	return err;
}

static const struct ps_hook_side top_sides[SIDE_NR] = {
	[SIDE_EXEC] = { "exec-count", false },
	[SIDE_EXIT] = { "sched_process_exit", false },
	[SIDE_CPU] = { "cpu-final", true },
};

static const struct ps_hook top_hooks[] = {
	{ "exec-tp", SIDE_EXEC, { "tp_exit_execve", "tp_exit_execveat" }, 0, probe_tracefs },
	/* no tracefs: execs are still counted (self_exec_id), failed attempts are not */
	{ "exec-off", SIDE_EXEC, {} },
	{ "exit-btf", SIDE_EXIT, { "btf_exit" } },
	{ "switch-btf", SIDE_CPU, { "btf_switch" } },
	{ "switch-off", SIDE_CPU, {} },
};

/* the consumer of "pend" first, so no record waits for nothing */
static const int top_attach_order[SIDE_NR] = { SIDE_CPU, SIDE_EXIT, SIDE_EXEC };

static const struct ps_hookset top_hookset = {
	.tool = "top",
	.sides = top_sides,
	.nsides = SIDE_NR,
	.hooks = top_hooks,
	.nhooks = sizeof(top_hooks) / sizeof(top_hooks[0]),
	.attach_order = top_attach_order,
};

static struct bpf_object *ld_open(void *ctx)
{
	struct top_run *r = ctx;

	r->skel = top_bpf__open();
	return r->skel ? r->skel->obj : NULL;
}

static int ld_configure(void *ctx, struct bpf_object *obj, const struct ps_hook *const *picked)
{
	struct top_run *r = ctx;
	struct top_bpf *s = r->skel;
	int err = ps_tool_configure(&r->t, obj, &s->rodata->ps_use_perf, &s->rodata->ps_boottime,
				    &s->rodata->filter_cg);

	if (err)
		return err;
	r->defer = picked[SIDE_CPU]->progs[0] != NULL;
	s->rodata->defer_to_switch = r->defer;
	s->rodata->have_group_dead_arg = r->exit_tp_nargs >= 2;
	return 0;
}

static int ld_loaded(void *ctx, struct bpf_object *obj)
{
	return ps_tool_loaded(&((struct top_run *)ctx)->t, obj);
}

static void ld_close(void *ctx)
{
	struct top_run *r = ctx;

	ps_tool_unload(&r->t, r->skel ? r->skel->obj : NULL);
	top_bpf__destroy(r->skel);
	r->skel = NULL;
}

static const struct ps_loader_ops top_loader = {
	.open = ld_open,
	.configure = ld_configure,
	.loaded = ld_loaded,
	.close = ld_close,
};

int cmd_top(int argc, char **argv, const char *prog)
{
	struct top_cfg c = { .prog = prog,
			     .interval_ns = 1000000000ull,
			     .bufsize = PS_BUFFER_DEFAULT,
			     .forced = { -1, -1, -1, -1 } };
	static const size_t rec_len[PS_REC_NR] = {
		[PS_REC_TOP] = __builtin_offsetof(struct ps_top_exit, cmd),
	};
	struct top_run r = { .c = &c };
	struct ps_session_cfg sc;
	int ret = 1;

	r.t = (struct ps_tool){
		.prog = prog, .cgfd = -1, .rec_len = rec_len, .on_event = on_event, .ev_ctx = &r
	};
	parse_args(&c, argc, argv);
	/* -o FILE: tables for a file, never a screen */
	c.term = !c.json && !c.batch && !ps_output.path && isatty(STDOUT_FILENO);
	ps_libbpf_setup(c.verbose);
	ps_require_bpf(prog);
	r.page_size = sysconf(_SC_PAGESIZE);
	r.ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (r.ncpus < 1)
		r.ncpus = 1;
	if (top_table_init(&r.cur) || top_table_init(&r.shown) || top_table_init(&r.total)) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	if (ps_tool_filter(&r.t, c.cgroup, c.container))
		goto out;
	ps_install_signals();
	signal(SIGHUP, on_hup);
	out_set_linebuf(false);
	sc = (struct ps_session_cfg){
		.tool = "top",
		.json = c.json,
		.want = c.transport,
		.bufsize = c.bufsize,
	};
	if (ps_tool_session(&r.t, &sc))
		goto out;
	/* group_dead is sched_process_exit's 2nd argument since 6.16; read before
	 * the BTF is freed (parsing it again would keep ~12 MB for the run) */
	r.exit_tp_nargs = ps_kernel_tp_nargs("sched_process_exit");
	ps_probe_btf_release();
	if (ps_hooks_load(&top_hookset, c.forced, &top_loader, &r, c.verbose, &r.t.loaded))
		goto out;
	ps_clock_init(r.skel->rodata->ps_boottime);
	r.run_start = r.istart = ps_ktime_now();
	r.busy_run0 = r.busy0 = busy_ns();
	ps_tool_sinks(&r.t, c.json, &(struct ps_sink){ .ctx = &r },
		      &(struct ps_sink){ .header = table_header, .ctx = &r });
	if (ps_tool_groups(&r.t, PS_GROUPS_EXIT, groups_feed))
		goto out;
	/* the run's groups (by --by's key), whose bound folds into "other" */
	ps_metrics_table(&(struct ps_metrics_table){ "top_groups", PS_TOP_GROUPS_MAX,
						     groups_entries, groups_evictions, &r.total });
	ret = ps_session_run(r.t.sess,
			     &(struct ps_session_hooks){
				     .ready = ready, .tick = on_tick, .end = on_end, .ctx = &r }) ?
		      1 :
		      0;
out:
	term_restore();
	ps_tool_end(&r.t);
	top_bpf__destroy(r.skel);
	top_table_free(&r.cur);
	top_table_free(&r.shown);
	top_table_free(&r.total);
	return ret;
}
