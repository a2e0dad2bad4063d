// SPDX-License-Identifier: GPL-2.0
/* procsnoop exec (execsnoop): trace every exec attempt, with the full argv. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
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
#include "lib/groups.h"
#include "lib/metrics.h"
#include "lib/session.h"
#include "lib/tool.h"
#include "lib/transport.h"
#include "events/exec.h"
#include "print/exec.h"
#include "tools/exec/hooks_exec.h"
#include "exec.skel.h"

static const struct ps_hookset exec_hookset;

/*
 * exec's default buffer: a 100 KiB command line is ~100 KiB of ring, and on
 * a busy machine the draining thread may not run for a while: 4M (40 such
 * execs) lost 2% of an 8-worker 100 KiB storm at load 14 on 2 CPUs, 16M
 * none (issue 13). Other tools' records are small: PS_BUFFER_DEFAULT.
 */
#define EXEC_BUFFER_DEFAULT (16u << 20)

struct exec_cfg {
	const char *prog;
	bool json, fails, quote, verbose;
	bool all_attempts; /* --all-attempts: no PATH-search folding */
	struct exec_print_opts po;
	uint32_t uid, ppid;
	bool have_uid;
	const char *uid_arg, *ppid_arg; /* as given: a second -u/-P is refused */
	const char *name, *line, *cgroup;
	const char *container; /* --container ID prefix */
	uint32_t max_args;     /* count cap, applied in user space (0: none) */
	uint32_t max_args_bytes;
	size_t bufsize;
	bool bufsize_given; /* --buffer-size was given (else it may be raised) */
	int transport;
	int forced[PS_HOOK_SIDES]; /* --hook: per side, a hook index or -1 */
	bool no_compat;		   /* --no-compat */
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
		"      --ancestors         print an ANCESTORS column: init(1)>sshd(812)>bash(9981)\n"
		"                          (JSON records always have \"ancestors\")\n"
		"      --json              JSON Lines on stdout (schema in the README)\n" PS_OUTPUT_HELP
			PS_METRICS_HELP "Filters:\n"
		"  -x, --fails             failed execs too (the default; as in libbpf-tools)\n"
		"      --fails-only        only failed execs (a PATH search that succeeded is none)\n"
		"      --all-attempts      each attempt of a PATH search (execvp) on its own line;\n"
		"                          default: the misses are folded into the final attempt\n"
		"  -u, --uid UID           only this real user id (number or name)\n"
		"  -P, --ppid PID          only children of this process\n"
		"  -c, --cgroup PATH       only processes in this cgroup v2 subtree\n"
		"      --container ID      only processes in this container (its id or a prefix\n"
		"                          of at least 12 hex digits, as docker ps shows)\n"
		"  -n, --name NAME         only if the command name (comm) contains NAME\n"
		"  -l, --line TEXT         only if the command line contains TEXT\n"
		"Capture:\n"
		"      --max-args N        print at most N arguments (default: all)\n"
		"      --max-args-bytes N  capture up to N bytes of argv per exec (default 128K,\n"
		"                          at most 4M); beyond it the event says how much was cut\n"
		"      --buffer-size SIZE  ring buffer size (default 16M, or what one exec of\n"
		"                          --max-args-bytes needs if more)\n"
		"      --transport KIND    ringbuf | perf | auto (default auto: ringbuf if the\n"
		"                          kernel has it)\n"
		"      --user USER         once attached, run as USER (capabilities are dropped\n"
		"                          in any case: see docs/privileges.md)\n"
		"      --no-compat         do not report failed 32-bit (compat) execs, unless\n"
		"                          raw-sys does: saves compat-raw, which runs at every\n"
		"                          syscall exit of the machine where compat-fentry\n"
		"                          cannot (measured on 6.18: 60-140 ns per syscall,\n"
		"                          on 180-510 ns untraced; see the README)\n"
		"      --hook LIST         force hooks, comma-separated, one per side:\n"
		"                          syscall side: fentry | sys-tp | raw-sys\n"
		"                          exec side:    exec-btf | exec-raw | exec-tp\n"
		"                          compat side:  compat-fentry | compat-raw | compat-off\n"
		"                          script side:  script-fexit | script-off\n"
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

static void check_compat(struct exec_cfg *c);

static void parse_args(struct exec_cfg *c, int argc, char **argv)
{
	enum {
		O_JSON = 256,
		O_MAXARGS,
		O_MAXBYTES,
		O_TRANSPORT,
		O_HOOK,
		O_BUFSIZE,
		O_FAILS_ONLY,
		O_ALL_ATTEMPTS,
		O_NO_COMPAT,
		O_CONTAINER,
		O_ANCESTORS,
		O_USER
	};
	static const struct option lo[] = { { "time", no_argument, NULL, 'T' },
					    { "timestamp", no_argument, NULL, 't' },
					    { "fails", no_argument, NULL, 'x' },
					    { "fails-only", no_argument, NULL, O_FAILS_ONLY },
					    { "all-attempts", no_argument, NULL, O_ALL_ATTEMPTS },
					    { "uid", required_argument, NULL, 'u' },
					    { "name", required_argument, NULL, 'n' },
					    { "line", required_argument, NULL, 'l' },
					    { "quote", no_argument, NULL, 'q' },
					    { "print-uid", no_argument, NULL, 'U' },
					    { "ppid", required_argument, NULL, 'P' },
					    { "cgroup", required_argument, NULL, 'c' },
					    { "container", required_argument, NULL, O_CONTAINER },
					    { "verbose", no_argument, NULL, 'v' },
					    { "help", no_argument, NULL, 'h' },
					    { "json", no_argument, NULL, O_JSON },
					    { "max-args", required_argument, NULL, O_MAXARGS },
					    { "max-args-bytes", required_argument, NULL,
					      O_MAXBYTES },
					    { "buffer-size", required_argument, NULL, O_BUFSIZE },
					    { "transport", required_argument, NULL, O_TRANSPORT },
					    { "user", required_argument, NULL, O_USER },
					    { "hook", required_argument, NULL, O_HOOK },
					    { "no-compat", no_argument, NULL, O_NO_COMPAT },
					    { "ancestors", no_argument, NULL, O_ANCESTORS },
					    PS_OUTPUT_LONGOPTS,
					    PS_METRICS_LONGOPT,
					    {} };
	const char *p = c->prog;
	uint64_t v;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":TtxUu:n:l:qP:c:o:vh", lo, NULL)) != -1) {
		switch (opt) {
		case 'T':
			c->po.time = true;
			break;
		case 't':
			c->po.timestamp = true;
			break;
		/* libbpf-tools/bcc: -x includes failed execs, which we always show */
		case 'x':
			break;
		case O_FAILS_ONLY:
			c->fails = true;
			break;
		case O_ALL_ATTEMPTS:
			c->all_attempts = true;
			break;
		case O_ANCESTORS:
			c->po.ancestors = true;
			break;
		case 'q':
			c->quote = c->po.quote = true;
			break;
		case 'U':
			c->po.print_uid = true;
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
		case 'u':
			if (parse_uid(optarg, &c->uid))
				usage_error(p, "invalid uid '%s': not a number or a known user",
					    optarg);
			c->uid_arg = opt_once(p, "--uid", c->uid_arg, optarg, "UID");
			c->have_uid = true;
			break;
		case 'P':
			if (parse_u64(optarg, 1, PS_PID_MAX, &v))
				usage_error(p, "invalid ppid '%s': expected a process id", optarg);
			c->ppid_arg = opt_once(p, "--ppid", c->ppid_arg, optarg, "PID");
			c->ppid = v;
			break;
		/* one filter of each kind: silently keeping the last one would trace
		 * what was not asked for */
		case 'n':
			c->name = opt_comm(p, c->name, optarg);
			break;
		case 'l':
			c->line = opt_once(p, "--line", c->line, optarg, "TEXT");
			break;
		case 'c':
			/* an empty PATH would open the cgroup2 root: no filter at all */
			c->cgroup = opt_once(p, "--cgroup", c->cgroup, optarg, "PATH");
			break;
		case O_CONTAINER:
			c->container = ps_container_opt(p, optarg, c->container);
			break;
		case O_MAXARGS:
			if (parse_u64(optarg, 1, 1u << 30, &v))
				usage_error(p, "invalid --max-args '%s': expected a number >= 1",
					    optarg);
			c->max_args = v;
			break;
		case O_MAXBYTES:
			if (parse_size(optarg, 1, PS_ARGS_MAX, &v))
				usage_error(
					p,
					"invalid --max-args-bytes '%s': expected a size from 1 to 4M",
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
		case O_USER:
			ps_privs_user_opt(p, optarg);
			break;
		case O_HOOK:
			ps_hooks_parse(&exec_hookset, p, optarg, c->forced);
			break;
		case O_NO_COMPAT:
			c->no_compat = true;
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
	if (c->po.time && c->po.timestamp)
		usage_error(p, "-T and -t are exclusive: pick one time column");
	check_compat(c);
	/* both are one cgroup filter in the kernel: say which, never guess */
	if (c->cgroup && c->container)
		usage_error(p, "--cgroup and --container are exclusive: give one of them");
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
	return min < PS_BUFFER_MIN ? PS_BUFFER_MIN : min;
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
	usage_error(c->prog,
		    "--buffer-size %s cannot hold one exec of --max-args-bytes %s: "
		    "the smallest buffer that works is %s (%s)",
		    a, b, m,
		    kind == PS_TRANSPORT_PERF ? "perf buffers are split per CPU" : "ring buffer");
}

/* ---- events ---- */

static bool memcontains(const uint8_t *h, size_t hl, const char *n)
{
	return memmem(h, hl, n, strlen(n)) != NULL;
}

/* -n and -l */
static bool passes(const struct exec_cfg *c, const struct exec_view *v)
{
	if (c->name && !memcontains((const uint8_t *)v->e->id.comm,
				    strnlen(v->e->id.comm, PS_TASK_COMM_LEN), c->name))
		return false;
	if (c->line) {
		/* the command line: arguments joined by spaces */
		bool hit = false;
		size_t pos = 0, len;
		const uint8_t *a;
		size_t nl = strlen(c->line);

		if (memcontains(v->args, v->args_len, c->line))
			hit = true;
		if (!hit && memchr(c->line, ' ', nl)) {
			char *j = malloc(v->args_len + 1);

			if (j) {
				size_t k = 0;

				while (exec_view_next_arg(v, &pos, &a, &len)) {
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
			return false;
	}
	return true;
}

static void print(struct exec_cfg *c, const struct exec_view *v)
{
	/* --fails-only with folding: a search that succeeded is no failure */
	if (c->fails && v->e->ret == 0)
		return;
	ps_session_emit(c->sess, 0, v);
}

/*
 * PATH-search folding. execvp() and posix_spawnp() try "DIR/NAME" for each
 * PATH directory until one works: a compiler looking for `as` makes nine
 * ENOENT records that no caller ever saw as an error. A failed attempt that
 * could be such a miss is held, per thread; while the same thread tries the
 * same NAME with the same argv in another directory, the held attempt
 * becomes a miss of the next one. The run ends with the attempt that is not
 * a search miss (a success, printed at once, or another error) or when the
 * thread does anything else; a run that just stops (the last directory
 * failed too) is printed after FOLD_HOLD_NS. Misses go in "path_tried".
 * Bounded: FOLD_SLOTS threads, FOLD_BYTES held, FOLD_MISSES per record;
 * beyond a bound the oldest run is printed, never dropped.
 */
#define FOLD_SLOTS 64
#define FOLD_BYTES (32u << 20)
#define FOLD_MISSES 256
#define FOLD_HOLD_NS 100000000ull

struct held {
	bool used;
	uint32_t tid;
	uint64_t since; /* ps_ktime_now() at the run's latest attempt */
	void *rec;	/* the latest attempt, copied */
	size_t rec_len;
	uint8_t *data;
	size_t data_len;
	struct ps_chunk last;
	bool has_last, incomplete;
	size_t bytes;			    /* of this run, counted in fold_bytes */
	struct exec_miss miss[FOLD_MISSES]; /* earlier attempts, by kernel time */
	uint64_t miss_ktime[FOLD_MISSES];
	size_t nmisses;
};

static struct held fold[FOLD_SLOTS];
static size_t fold_bytes;
static uint64_t fold_forced; /* runs printed early to make room (--metrics) */

/* The errors execvp() meets in a PATH directory and goes on to the next. */
static bool search_err(int ret)
{
	return ret == -ENOENT || ret == -ENOTDIR || ret == -EACCES || ret == -ESTALE ||
	       ret == -ENODEV || ret == -ETIMEDOUT;
}

static const uint8_t *base_of(const uint8_t *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (p[i] == '/')
			b = p + i + 1;
	return b;
}

/* Could @v be one directory's attempt of a PATH search? */
static bool foldable(const struct exec_view *v)
{
	return v->e->ret < 0 && search_err(v->e->ret) && !v->incomplete &&
	       !(v->eflags & (PS_EXEC_EXECVEAT | PS_EXEC_FNAME_TRUNC)) &&
	       memchr(v->fname, '/', v->fname_len) &&
	       base_of(v->fname, v->fname_len) != v->fname + v->fname_len;
}

static void held_event(const struct held *h, struct ps_event *ev)
{
	ev->rec = h->rec;
	ev->rec_len = h->rec_len;
	ev->data = h->data;
	ev->data_len = h->data_len;
	ev->last = h->has_last ? &h->last : NULL;
	ev->incomplete = h->incomplete;
}

/*
 * A #! script's success shows the argv its interpreter got: "INTERP [ARG]
 * PATH argv[1]...". Is @v that, for the argv the search attempts passed?
 */
static bool script_argv(const struct exec_view *hv, const struct exec_view *v)
{
	const uint8_t *z = memchr(hv->args, 0, hv->args_len);
	size_t tail, need;

	if (!z || hv->truncated || v->truncated)
		return false;
	tail = hv->args_len - (z + 1 - hv->args); /* argv[1]... with their NULs */
	need = v->fname_len + 1 + tail;
	if (v->args_len <= need || v->args[v->args_len - need - 1] != 0)
		return false;
	return !memcmp(v->args + v->args_len - need, v->fname, v->fname_len) &&
	       v->args[v->args_len - need + v->fname_len] == 0 &&
	       !memcmp(v->args + v->args_len - tail, z + 1, tail);
}

/* Does @v continue the run in @h: same process, NAME and argv, another directory? */
static bool continues(const struct exec_cfg *c, const struct held *h, const struct exec_view *v)
{
	struct ps_event ev;
	struct exec_view hv;
	const uint8_t *hb, *vb;
	size_t hd, vd;

	held_event(h, &ev);
	if (!exec_view_init(&hv, &ev, c->max_args))
		return false;
	if (v->e->id.pid != hv.e->id.pid || v->incomplete ||
	    (v->eflags & (PS_EXEC_EXECVEAT | PS_EXEC_FNAME_TRUNC)) ||
	    !memchr(v->fname, '/', v->fname_len))
		return false;
	hb = base_of(hv.fname, hv.fname_len);
	vb = base_of(v->fname, v->fname_len);
	hd = hb - hv.fname;
	vd = vb - v->fname;
	if (hv.fname_len - hd != v->fname_len - vd || memcmp(hb, vb, v->fname_len - vd))
		return false;
	/* the same directory again is still the search: PATHs repeat entries */
	if (hv.args_len == v->args_len && !memcmp(hv.args, v->args, v->args_len) &&
	    hv.eflags == v->eflags && hv.args_cut == v->args_cut)
		return true;
	return v->e->ret == 0 && script_argv(&hv, v);
}

static void held_free(struct held *h)
{
	for (size_t i = 0; i < h->nmisses; i++)
		free((void *)h->miss[i].path);
	free(h->rec);
	fold_bytes -= h->bytes;
	h->used = false;
	h->rec = NULL;
	h->data = NULL;
	h->nmisses = 0;
	h->bytes = 0;
}

/* Print the run's latest attempt with its misses, and end the run. */
static void held_flush(struct exec_cfg *c, struct held *h)
{
	struct ps_event ev;
	struct exec_view v;

	held_event(h, &ev);
	if (exec_view_init(&v, &ev, c->max_args)) {
		v.misses = h->miss;
		v.nmisses = h->nmisses;
		print(c, &v);
	}
	held_free(h);
}

static struct held *held_find(uint32_t tid)
{
	for (int i = 0; i < FOLD_SLOTS; i++)
		if (fold[i].used && fold[i].tid == tid)
			return &fold[i];
	return NULL;
}

static struct held *held_oldest(void)
{
	struct held *o = NULL;

	for (int i = 0; i < FOLD_SLOTS; i++)
		if (fold[i].used && (!o || fold[i].since < o->since))
			o = &fold[i];
	return o;
}

/* Copy @ev (the attempt @v) into @h, replacing what it held; false without memory. */
static bool held_set(struct held *h, const struct ps_event *ev, const struct exec_view *v)
{
	size_t n = ev->rec_len + ev->data_len;
	uint8_t *m = malloc(n ? n : 1);

	if (!m)
		return false;
	memcpy(m, ev->rec, ev->rec_len);
	memcpy(m + ev->rec_len, ev->data, ev->data_len);
	free(h->rec);
	fold_bytes -= h->rec ? h->rec_len + h->data_len : 0;
	h->bytes -= h->rec ? h->rec_len + h->data_len : 0;
	h->rec = m;
	h->rec_len = ev->rec_len;
	h->data = m + ev->rec_len;
	h->data_len = ev->data_len;
	h->has_last = ev->last != NULL;
	if (ev->last)
		h->last = *ev->last;
	h->incomplete = ev->incomplete;
	h->tid = v->e->id.tid;
	h->since = ps_ktime_now();
	h->bytes += n;
	fold_bytes += n;
	return true;
}

/* Record the attempt (path, error, time) as a miss of the run; false without memory. */
static bool held_add_miss(struct held *h, const uint8_t *path, size_t len, int ret, uint64_t kt)
{
	uint8_t *p = malloc(len ? len : 1);
	size_t i = h->nmisses;

	if (!p)
		return false;
	memcpy(p, path, len);
	/* perf buffers are per CPU: a thread that moved CPU can arrive out of order */
	while (i && h->miss_ktime[i - 1] > kt) {
		h->miss[i] = h->miss[i - 1];
		h->miss_ktime[i] = h->miss_ktime[i - 1];
		i--;
	}
	h->miss[i] = (struct exec_miss){ .path = p, .len = len, .err = -ret };
	h->miss_ktime[i] = kt;
	h->nmisses++;
	h->bytes += len;
	fold_bytes += len;
	return true;
}

/* Start a run with the failed attempt @v; false if it could not be held. */
static bool hold(struct exec_cfg *c, const struct ps_event *ev, const struct exec_view *v)
{
	struct held *h = NULL;

	while (fold_bytes + ev->rec_len + ev->data_len > FOLD_BYTES && (h = held_oldest())) {
		held_flush(c, h);
		fold_forced++;
	}
	for (int i = 0; i < FOLD_SLOTS && !h; i++)
		if (!fold[i].used)
			h = &fold[i];
	if (!h) {
		h = held_oldest();
		held_flush(c, h);
		fold_forced++;
	}
	memset(h, 0, offsetof(struct held, miss));
	h->nmisses = 0;
	if (!held_set(h, ev, v))
		return false;
	h->used = true;
	return true;
}

static void on_event(void *ctx, const struct ps_event *ev)
{
	struct exec_cfg *c = ctx;
	struct exec_view v;
	struct held *h;

	if (!exec_view_init(&v, ev, c->max_args))
		return;
	if (c->all_attempts) {
		if (passes(c, &v))
			print(c, &v);
		return;
	}
	h = held_find(v.e->id.tid);
	if (!passes(c, &v)) {
		/* the thread did something else: its run is over */
		if (h)
			held_flush(c, h);
		return;
	}
	if (h && h->nmisses < FOLD_MISSES - 1 && continues(c, h, &v)) {
		const struct ps_exec *he = h->rec;
		const uint8_t *hf = h->data;

		if (foldable(&v) && v.e->id.ktime_ns < he->id.ktime_ns) {
			/* an earlier directory, arrived late: a miss of the held run */
			if (held_add_miss(h, v.fname, v.fname_len, v.e->ret, v.e->id.ktime_ns))
				return;
		} else if (held_add_miss(h, hf, he->fname_len, he->ret, he->id.ktime_ns)) {
			if (foldable(&v) && held_set(h, ev, &v))
				return;
			/* the attempt that ends the search: printed now, with the misses */
			v.misses = h->miss;
			v.nmisses = h->nmisses;
			print(c, &v);
			held_free(h);
			return;
		}
	}
	if (h)
		held_flush(c, h);
	if (foldable(&v) && hold(c, ev, &v))
		return;
	print(c, &v);
}

/* A run no attempt continued within FOLD_HOLD_NS: its last failure is final. */
static void on_tick(void *ctx, uint64_t now)
{
	struct exec_cfg *c = ctx;

	for (int i = 0; i < FOLD_SLOTS; i++)
		if (fold[i].used && now - fold[i].since >= FOLD_HOLD_NS)
			held_flush(c, &fold[i]);
}

/* At exit nothing held is lost: oldest first. */
static void on_end(void *ctx)
{
	struct exec_cfg *c = ctx;
	struct held *h;

	while ((h = held_oldest()))
		held_flush(c, h);
	out_maybe_flush();
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

/* --metrics: execs by comm and result, as printed (a folded search is one) */
static void groups_feed(struct ps_groups *g, int kind, const void *view)
{
	const struct exec_view *v = view;

	ps_groups_exec(g, v->e->id.comm, sizeof(v->e->id.comm), v->e->ret == 0);
}

static uint64_t fold_entries(void *ctx)
{
	uint64_t n = 0;

	for (int i = 0; i < FOLD_SLOTS; i++)
		n += fold[i].used;
	return n;
}

static uint64_t fold_evictions(void *ctx)
{
	return fold_forced;
}

/* ---- loading ---- */

static int hook_named(const char *name)
{
	for (int i = 0; i < EXEC_NHOOKS; i++)
		if (!strcmp(exec_hooks[i].name, name))
			return i;
	return -1;
}

/* --no-compat and --hook: one compat-side choice, never a double report. */
static void check_compat(struct exec_cfg *c)
{
	int f = c->forced[EXEC_SIDE_COMPAT], s = c->forced[EXEC_SIDE_SYS];

	if (c->no_compat) {
		if (f >= 0 && f != hook_named("compat-off"))
			usage_error(c->prog, "--no-compat contradicts --hook %s: give one",
				    exec_hooks[f].name);
		c->forced[EXEC_SIDE_COMPAT] = hook_named("compat-off");
	}
	if (f >= 0 && s >= 0 && exec_hooks[f].covered_by &&
	    !strcmp(exec_hooks[f].covered_by, exec_hooks[s].name))
		usage_error(c->prog,
			    "--hook %s,%s: %s reports 32-bit execs itself; with %s they would be "
			    "reported twice (use compat-off)",
			    exec_hooks[s].name, exec_hooks[f].name, exec_hooks[s].name,
			    exec_hooks[f].name);
}

static const struct ps_hookset exec_hookset = {
	.tool = "exec",
	.sides = exec_sides,
	.nsides = EXEC_SIDE_NR,
	.hooks = exec_hooks,
	.nhooks = EXEC_NHOOKS,
};

struct exec_run {
	struct ps_tool t; /* session, hooks, cgroup filter */
	struct exec_cfg *c;
	struct exec_bpf *skel;
};

static struct bpf_object *ld_open(void *ctx)
{
	return exec_hooks_open(&((struct exec_run *)ctx)->skel);
}

static int ld_configure(void *ctx, struct bpf_object *obj, const struct ps_hook *const *picked)
{
	struct exec_run *r = ctx;
	struct exec_cfg *c = r->c;
	struct exec_bpf *s = r->skel;
	int err = exec_hooks_configure(s, &r->t, picked);

	if (err)
		return err;
	s->rodata->targ_uid = c->have_uid ? c->uid : (uint32_t)-1;
	s->rodata->targ_ppid = c->ppid;
	/* folding needs the successes that end searches: then filtered in user space */
	s->rodata->failed_only = c->fails && c->all_attempts;
	s->rodata->max_args_bytes = c->max_args_bytes;
	return 0;
}

static int ld_loaded(void *ctx, struct bpf_object *obj)
{
	return ps_tool_loaded(&((struct exec_run *)ctx)->t, obj);
}

static void ld_close(void *ctx)
{
	struct exec_run *r = ctx;

	exec_hooks_close(&r->t, &r->skel);
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

	ps_loaded_json(w, &r->t.loaded);
	jw_u64(w, "max_args_bytes", r->c->max_args_bytes);
}

static void run_tick(void *ctx, uint64_t now)
{
	on_tick(((struct exec_run *)ctx)->c, now);
}

static void run_end(void *ctx)
{
	on_end(((struct exec_run *)ctx)->c);
}

int cmd_exec(int argc, char **argv, const char *prog)
{
	struct exec_cfg c = {
		.prog = prog,
		.max_args_bytes = PS_ARGS_DEFAULT,
		.bufsize = EXEC_BUFFER_DEFAULT,
		.forced = { -1, -1, -1, -1 },
	};
	static const size_t rec_len[PS_REC_NR] = { [PS_REC_EXEC] = sizeof(struct ps_exec) };
	struct exec_run r = {
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
	check_bufsize(&c);
	if (ps_tool_filter(&r.t, c.cgroup, c.container))
		return 1;
	ps_install_signals();
	out_set_linebuf(isatty(STDOUT_FILENO));
	sc = (struct ps_session_cfg){
		.tool = "exec",
		.json = c.json,
		.want = c.transport,
		.bufsize = c.bufsize,
	};
	if (ps_tool_session(&r.t, &sc))
		goto out;
	c.sess = r.t.sess;
	if (ps_hooks_load(&exec_hookset, c.forced, &exec_loader, &r, c.verbose, &r.t.loaded))
		goto out;
	ps_clock_init(r.skel->rodata->ps_boottime);
	c.po.start_ns = ps_ktime_now();
	ps_tool_sinks(&r.t, c.json, &(struct ps_sink){ .event = json_event, .ctx = &c },
		      &(struct ps_sink){ .header = table_header, .event = table_event, .ctx = &c });
	if (ps_tool_groups(&r.t, PS_GROUPS_EXEC, groups_feed))
		goto out;
	/* the PATH-search folding's table of held attempts */
	ps_metrics_table(&(struct ps_metrics_table){ "exec_fold", FOLD_SLOTS, fold_entries,
						     fold_evictions, NULL });
	ret = ps_session_run(r.t.sess, &(struct ps_session_hooks){ .ready = ready,
								   .tick = run_tick,
								   .end = run_end,
								   .ctx = &r }) ?
		      1 :
		      0;
out:
	ps_tool_end(&r.t);
	exec_bpf__destroy(r.skel);
	return ret;
}
