// SPDX-License-Identifier: GPL-2.0
/* --metrics: the Prometheus endpoint (see metrics.h for how it never slows the run loop). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "abi.h"
#include "lib/metrics.h"
#include "lib/opts.h"
#include "lib/out.h"
#include "lib/session.h"
#include "lib/stats.h"

/* A snapshot is rendered at most this often, however often it is asked for. */
#define PS_METRICS_MIN_NS 100000000ull
/* Bounds of the server: a scraper needs one connection and a few hundred bytes. */
#define MAXCONN 16
#define REQ_MAX 8192
#define ACCEPT_BATCH 64
#define SEC 1000000000ull
#define READ_NS (5 * SEC)   /* the whole request, from accept: slow-loris gets 408 */
#define WRITE_NS (10 * SEC) /* the whole response */
#define WAIT_NS (2 * SEC)   /* for a fresh snapshot; then the latest one is served */
#define DRAIN_NS (1 * SEC)  /* reading what the client still sends, before close */
/* A snapshot larger than this is cut (the aggregates are bounded far below it). */
#define SNAP_MAX (16u << 20)
#define MAX_COLLECTORS 8

/*
 * What the run loop publishes: numbers, copied (microseconds); the server
 * thread turns them into text (milliseconds, for 64 names' histograms).
 */
struct snapshot {
	atomic_int refs;
	uint64_t gen;
	uint64_t c[PS_C_NR], t[PS_REC_NR];
	const char *transport;
	int ntables;
	uint64_t tab[MAX_COLLECTORS][3]; /* entries, capacity, evictions */
	int ncoll;
	void *copy[MAX_COLLECTORS];
};

struct ps_prom {
	char *buf;
	size_t len, cap;
	bool full;
};

enum conn_state { C_FREE, C_READ, C_WAIT, C_WRITE, C_DRAIN };

struct conn {
	int fd;
	enum conn_state state;
	uint64_t since, deadline;
	size_t rlen;
	bool head;
	uint64_t want_gen; /* 0 until a valid GET /metrics line */
	char *out;
	size_t olen, off;
	char req[REQ_MAX]; /* last: a new connection clears what is before it */
};

static struct {
	bool on;
	struct sockaddr_storage sa;
	socklen_t salen;
	char given[128];
	char addr[80];
	int lfd;
	int req_fd, pub_fd; /* eventfds: scrape -> run loop, snapshot/stop -> server */
	pthread_t thread;
	bool running;
	const char *tool;
	uint64_t start_realtime_ns;
	struct ps_collector coll[MAX_COLLECTORS];
	int ncoll;
	struct ps_metrics_table tables[MAX_COLLECTORS];
	int ntables;
	uint64_t last_render;
	/* shared between the two threads */
	pthread_mutex_t mu;
	struct snapshot *snap; /* the latest; its reference is the publisher's */
	_Atomic uint64_t snap_gen, want_gen;
	atomic_bool stop;
	_Atomic uint64_t responses[7]; /* by codes[] */
	_Atomic uint64_t dropped;      /* connections closed to make room, or refused */
} m = { .lfd = -1, .req_fd = -1, .pub_fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER };

static const int codes[] = { 200, 400, 404, 405, 408, 431, 503 };

/* ---- the option ---- */

void ps_metrics_opt(const char *tool, const char *arg)
{
	char host[64];
	const char *port, *end;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&m.sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&m.sa;
	uint64_t p;
	size_t hl;

	if (m.on)
		usage_error(tool, "--metrics given twice: give one address");
	if (arg[0] == '[') {
		end = strchr(arg, ']');
		if (!end || end[1] != ':')
			usage_error(tool,
				    "invalid --metrics '%s': expected [IPv6]:PORT, e.g. [::1]:9464",
				    arg);
		hl = end - arg - 1;
		memcpy(host, arg + 1, hl < sizeof(host) ? hl : 0);
		port = end + 2;
	} else {
		end = strrchr(arg, ':');
		if (!end)
			usage_error(tool,
				    "invalid --metrics '%s': expected ADDRESS:PORT, e.g. "
				    "127.0.0.1:9464",
				    arg);
		if (memchr(arg, ':', end - arg))
			usage_error(tool,
				    "invalid --metrics '%s': an IPv6 address goes in brackets, "
				    "e.g. [::1]:9464",
				    arg);
		hl = end - arg;
		memcpy(host, arg, hl < sizeof(host) ? hl : 0);
		port = end + 1;
	}
	if (!hl)
		usage_error(tool,
			    "invalid --metrics '%s': no address; give one, e.g. 127.0.0.1:9464 "
			    "(loopback) or 0.0.0.0:9464 (every interface)",
			    arg);
	if (hl >= sizeof(host))
		usage_error(tool, "invalid --metrics '%s': the address is too long", arg);
	host[hl] = 0;
	if (parse_u64(port, 0, 65535, &p))
		usage_error(tool,
			    "invalid --metrics '%s': the port must be a number from 0 to 65535",
			    arg);
	memset(&m.sa, 0, sizeof(m.sa));
	/* numeric only: a static binary has no resolver, and a name could mean any interface */
	if (!strcmp(host, "localhost"))
		strcpy(host, arg[0] == '[' ? "::1" : "127.0.0.1");
	if (arg[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p);
		m.salen = sizeof(*s4);
	} else if (arg[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p);
		m.salen = sizeof(*s6);
	} else {
		usage_error(tool,
			    "invalid --metrics '%s': '%s' is not an IPv4 address or a bracketed "
			    "IPv6 address (names are not resolved, except localhost)",
			    arg, host);
	}
	snprintf(m.given, sizeof(m.given), "%s", arg);
	m.on = true;
}

bool ps_metrics_enabled(void)
{
	return m.on;
}

const char *ps_metrics_addr(void)
{
	return m.lfd >= 0 ? m.addr : NULL;
}

int ps_metrics_listen(const char *tool)
{
	struct sockaddr_storage got;
	socklen_t gl = sizeof(got);
	char ip[INET6_ADDRSTRLEN];
	int one = 1, fd;

	if (!m.on || m.lfd >= 0)
		return 0;
	fd = socket(m.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* a restarted service binds at once, past the old one's TIME_WAIT */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::] means IPv6 only: 0.0.0.0 is its own address */
	if (m.sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/*
	 * A deep backlog: a burst of connections beyond it is dropped by the
	 * kernel half-open, and a client that never sends anything would never
	 * learn it; within it, every one is accepted and closed by us (pushed
	 * out, or 408). Capped by net.core.somaxconn.
	 */
	if (bind(fd, (struct sockaddr *)&m.sa, m.salen) || listen(fd, 1024) ||
	    getsockname(fd, (struct sockaddr *)&got, &gl))
		goto fail;
	if (got.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&got;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(m.addr, sizeof(m.addr), "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&got;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(m.addr, sizeof(m.addr), "%s:%u", ip, ntohs(s4->sin_port));
	}
	m.lfd = fd;
	return 0;
fail:
	fprintf(stderr, "%s: --metrics %s: cannot listen: %s\n", tool, m.given, strerror(errno));
	if (fd >= 0)
		close(fd);
	return 1;
}

/* ---- the text exposition writer ---- */

static void pp_put(struct ps_prom *p, const char *s, size_t n)
{
	if (p->full)
		return;
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : 65536;
		char *b;

		while (cap < p->len + n)
			cap *= 2;
		b = cap <= SNAP_MAX ? realloc(p->buf, cap) : NULL;
		if (!b) {
			p->full = true;
			return;
		}
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
}

static void pp_str(struct ps_prom *p, const char *s)
{
	pp_put(p, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) pp_fmt(struct ps_prom *p, const char *fmt, ...)
{
	char b[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n > 0)
		pp_put(p, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

size_t ps_prom_clean(char *dst, size_t cap, const void *src, size_t n)
{
	const unsigned char *s = src;
	size_t i = 0, o = 0;
	uint32_t cp;

	while (i < n) {
		int l = utf8_seq_len(s + i, n - i, &cp);

		if (l > 0 && cp != 0) {
			if (o + l > cap)
				break;
			memcpy(dst + o, s + i, l);
			o += l;
			i += l;
			continue;
		}
		/* a byte that is not part of valid UTF-8 (or a NUL): U+FFFD */
		if (o + 3 > cap)
			break;
		memcpy(dst + o, "\xef\xbf\xbd", 3);
		o += 3;
		i++;
	}
	return o;
}

size_t ps_prom_escape(char *dst, size_t cap, const void *src, size_t n)
{
	const char *s = src;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		const char *e = NULL;

		if (s[i] == '\\')
			e = "\\\\";
		else if (s[i] == '"')
			e = "\\\"";
		else if (s[i] == '\n')
			e = "\\n";
		if (o + (e ? 2 : 1) > cap)
			break;
		if (e) {
			memcpy(dst + o, e, 2);
			o += 2;
		} else {
			dst[o++] = s[i];
		}
	}
	return o;
}

void ps_prom_family(struct ps_prom *p, const char *name, const char *type, const char *help)
{
	pp_fmt(p, "# HELP %s ", name);
	/* HELP text escapes backslash and newline (ours never has them, but stays valid) */
	for (const char *c = help; *c; c++) {
		if (*c == '\\')
			pp_str(p, "\\\\");
		else if (*c == '\n')
			pp_str(p, "\\n");
		else
			pp_put(p, c, 1);
	}
	pp_fmt(p, "\n# TYPE %s %s\n", name, type);
}

static void pp_labels(struct ps_prom *p, const char *name, const struct ps_label *l, int nl)
{
	char clean[256], esc[512];

	pp_str(p, name);
	if (!nl)
		return;
	pp_put(p, "{", 1);
	for (int i = 0; i < nl; i++) {
		size_t len = l[i].val ? (l[i].len ? l[i].len : strlen(l[i].val)) : 0;
		size_t c = ps_prom_clean(clean, sizeof(clean), l[i].val, len < 80 ? len : 80);

		pp_fmt(p, "%s%s=\"", i ? "," : "", l[i].name);
		pp_put(p, esc, ps_prom_escape(esc, sizeof(esc), clean, c));
		pp_put(p, "\"", 1);
	}
	pp_put(p, "}", 1);
}

void ps_prom_u64(struct ps_prom *p, const char *name, const struct ps_label *l, int nl, uint64_t v)
{
	pp_labels(p, name, l, nl);
	pp_fmt(p, " %llu\n", (unsigned long long)v);
}

void ps_prom_text(struct ps_prom *p, const char *name, const struct ps_label *l, int nl,
		  const char *v)
{
	pp_labels(p, name, l, nl);
	pp_fmt(p, " %s\n", v);
}

void ps_prom_f64(struct ps_prom *p, const char *name, const struct ps_label *l, int nl, double v)
{
	pp_labels(p, name, l, nl);
	pp_fmt(p, " %.17g\n", v);
}

struct ps_prom *ps_prom_new(void)
{
	return calloc(1, sizeof(struct ps_prom));
}

const char *ps_prom_str(struct ps_prom *p)
{
	pp_put(p, "", 1);
	if (p->full || !p->buf)
		return "";
	p->len--;
	return p->buf;
}

void ps_prom_free(struct ps_prom *p)
{
	if (p)
		free(p->buf);
	free(p);
}

int ps_metrics_collector(const struct ps_collector *c)
{
	if (m.ncoll == MAX_COLLECTORS)
		return -E2BIG;
	m.coll[m.ncoll++] = *c;
	return 0;
}

int ps_metrics_table(const struct ps_metrics_table *t)
{
	if (m.ntables == MAX_COLLECTORS)
		return -E2BIG;
	m.tables[m.ntables++] = *t;
	return 0;
}

static void render_tables(struct ps_prom *p, const struct snapshot *sn)
{
	static const char *const fam[][3] = {
		{ "procsnoop_table_entries", "gauge", "entries in a bounded table the tool keeps" },
		{ "procsnoop_table_capacity", "gauge", "the bound of that table" },
		{ "procsnoop_table_evictions_total", "counter",
		  "entries pushed out of that table by its bound (handled early, not lost)" },
	};
	struct ps_label l;

	if (!sn->ntables)
		return;
	for (int f = 0; f < 3; f++) {
		ps_prom_family(p, fam[f][0], fam[f][1], fam[f][2]);
		for (int i = 0; i < sn->ntables; i++) {
			l = (struct ps_label){ "table", m.tables[i].name };
			ps_prom_u64(p, fam[f][0], &l, 1, sn->tab[i][f]);
		}
	}
}

/* ---- the snapshot: taken in the run loop, rendered in the server thread ---- */

static const char *const rec_names[PS_REC_NR] = {
	[PS_REC_EXEC] = "exec",
	[PS_REC_EXIT] = "exit",
	[PS_REC_PROBE] = "probe",
};

/* The counters that have a family of their own below, not one each. */
static bool grouped_counter(int c)
{
	return c == PS_C_EVENTS || c == PS_C_RECORDS_LOST || c == PS_C_EVENTS_LOST ||
	       c == PS_C_SCRATCH_BUSY || c == PS_C_OUTPUT_LOST || c == PS_C_PATH_FAILED ||
	       c == PS_C_CGROUP_FAILED;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static void render_stats(struct ps_prom *p, const struct snapshot *sn)
{
	const uint64_t *c = sn->c, *t = sn->t;
	struct ps_label l[3];
	char name[96];

	ps_prom_family(p, "procsnoop_info", "gauge", "the running tool: always 1");
	l[0] = (struct ps_label){ "tool", m.tool };
	l[1] = (struct ps_label){ "version", PS_VERSION };
	l[2] = (struct ps_label){ "transport", sn->transport };
	ps_prom_u64(p, "procsnoop_info", l, 3, 1);
	ps_prom_family(p, "procsnoop_start_time_seconds", "gauge",
		       "when the tool started, seconds since the Unix epoch");
	pp_fmt(p, "procsnoop_start_time_seconds %llu.%09llu\n",
	       (unsigned long long)(m.start_realtime_ns / SEC),
	       (unsigned long long)(m.start_realtime_ns % SEC));

	ps_prom_family(p, "procsnoop_events_total", "counter",
		       "events delivered to the tool, by record type");
	for (int i = 0; i < PS_REC_NR; i++) {
		if (!rec_names[i])
			continue;
		l[0] = (struct ps_label){ "type", rec_names[i] };
		ps_prom_u64(p, "procsnoop_events_total", l, 1, t[i]);
	}
	/* the kernel counts a busy scratch slot as a lost record and a lost event too */
	ps_prom_family(p, "procsnoop_events_lost_total", "counter",
		       "events lost whole or in part: the buffer was full (kernel), no scratch "
		       "slot was free (kernel), or the output could not take them (user space)");
	l[0] = (struct ps_label){ "cause", "buffer_full" };
	ps_prom_u64(p, "procsnoop_events_lost_total", l, 1,
		    sub0(c[PS_C_EVENTS_LOST], c[PS_C_SCRATCH_BUSY]));
	l[0] = (struct ps_label){ "cause", "scratch_busy" };
	ps_prom_u64(p, "procsnoop_events_lost_total", l, 1, c[PS_C_SCRATCH_BUSY]);
	/* output: lines not written (a write error) or dropped at the writer's bound
	 * (procsnoop_output_dropped_total has the latter alone) */
	l[0] = (struct ps_label){ "cause", "output" };
	ps_prom_u64(p, "procsnoop_events_lost_total", l, 1,
		    c[PS_C_OUTPUT_LOST] + c[PS_C_OUTPUT_DROPPED]);
	ps_prom_family(p, "procsnoop_records_lost_total", "counter",
		       "records the kernel could not send: the buffer was full, or no scratch "
		       "slot was free");
	l[0] = (struct ps_label){ "cause", "buffer_full" };
	ps_prom_u64(p, "procsnoop_records_lost_total", l, 1,
		    sub0(c[PS_C_RECORDS_LOST], c[PS_C_SCRATCH_BUSY]));
	l[0] = (struct ps_label){ "cause", "scratch_busy" };
	ps_prom_u64(p, "procsnoop_records_lost_total", l, 1, c[PS_C_SCRATCH_BUSY]);
	ps_prom_family(p, "procsnoop_resolution_failures_total", "counter",
		       "names that could not be resolved: file paths, cgroup paths");
	l[0] = (struct ps_label){ "what", "path" };
	ps_prom_u64(p, "procsnoop_resolution_failures_total", l, 1, c[PS_C_PATH_FAILED]);
	l[0] = (struct ps_label){ "what", "cgroup" };
	ps_prom_u64(p, "procsnoop_resolution_failures_total", l, 1, c[PS_C_CGROUP_FAILED]);
	/* every other counter of the stats API, by its own name: new ones appear here */
	for (int i = 0; i < PS_C_NR; i++) {
		if (grouped_counter(i))
			continue;
		snprintf(name, sizeof(name), "procsnoop_%s_total", ps_counters[i].name);
		ps_prom_family(p, name, "counter", ps_counters[i].help);
		ps_prom_u64(p, name, NULL, 0, c[i]);
	}

	ps_prom_family(p, "procsnoop_http_responses_total", "counter",
		       "responses of the metrics endpoint, by HTTP status");
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char code[8];

		snprintf(code, sizeof(code), "%d", codes[i]);
		l[0] = (struct ps_label){ "code", code };
		ps_prom_u64(p, "procsnoop_http_responses_total", l, 1,
			    atomic_load(&m.responses[i]));
	}
	ps_prom_family(p, "procsnoop_http_connections_dropped_total", "counter",
		       "connections of the metrics endpoint closed before their request was "
		       "complete, to make room for a new one (at most 16 at a time)");
	ps_prom_u64(p, "procsnoop_http_connections_dropped_total", NULL, 0,
		    atomic_load(&m.dropped));
}

static void snap_put(struct snapshot *sn)
{
	if (!sn || atomic_fetch_sub(&sn->refs, 1) != 1)
		return;
	for (int i = 0; i < sn->ncoll; i++)
		if (sn->copy[i])
			m.coll[i].drop(sn->copy[i]);
	free(sn);
}

/* The text of @sn (server thread). NULL without memory. */
static struct ps_prom *render(const struct snapshot *sn)
{
	struct ps_prom *p = ps_prom_new();

	if (!p)
		return NULL;
	render_stats(p, sn);
	render_tables(p, sn);
	for (int i = 0; i < sn->ncoll; i++)
		if (sn->copy[i])
			m.coll[i].render(sn->copy[i], p);
	if (p->full || !p->buf) {
		ps_prom_free(p);
		return NULL;
	}
	return p;
}

void ps_metrics_poll(struct ps_session *s, uint64_t now)
{
	uint64_t gen = atomic_load(&m.snap_gen), v;
	struct snapshot *sn, *old;

	if (!m.running || atomic_load(&m.want_gen) <= gen)
		return;
	/* the wakeup is read here, or epoll would report it every round */
	if (read(m.req_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (m.last_render && now - m.last_render < PS_METRICS_MIN_NS)
		return;
	m.last_render = now;
	sn = calloc(1, sizeof(*sn));
	if (!sn)
		return;
	atomic_init(&sn->refs, 1);
	sn->gen = gen + 1;
	ps_session_stats(s, sn->c);
	ps_session_events_by_type(s, sn->t);
	sn->transport = ps_transport_name(ps_session_kind(s));
	sn->ntables = m.ntables;
	for (int i = 0; i < m.ntables; i++) {
		sn->tab[i][0] = m.tables[i].entries(m.tables[i].ctx);
		sn->tab[i][1] = m.tables[i].capacity;
		sn->tab[i][2] = m.tables[i].evictions(m.tables[i].ctx);
	}
	sn->ncoll = m.ncoll;
	for (int i = 0; i < m.ncoll; i++)
		sn->copy[i] = m.coll[i].snap(m.coll[i].ctx);
	pthread_mutex_lock(&m.mu);
	old = m.snap;
	m.snap = sn;
	atomic_store(&m.snap_gen, gen + 1);
	pthread_mutex_unlock(&m.mu);
	snap_put(old);
	v = 1;
	if (write(m.pub_fd, &v, sizeof(v)) < 0) {
		/* cannot fail with a counter far from overflow; the server also polls by time */
	}
}

/* ---- the server thread ---- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static void count_code(int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i] == code)
			atomic_fetch_add(&m.responses[i], 1);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->state = C_FREE;
}

/* Start writing a response: the head, and @body unless HEAD. */
static void respond(struct conn *c, int code, const char *extra, const char *body, size_t blen,
		    uint64_t now)
{
	static const char *const reasons[][2] = {
		{ "200", "OK" },
		{ "400", "Bad Request" },
		{ "404", "Not Found" },
		{ "405", "Method Not Allowed" },
		{ "408", "Request Timeout" },
		{ "431", "Request Header Fields Too Large" },
		{ "503", "Service Unavailable" },
	};
	const char *reason = "Error";
	char head[512], cs[8];
	int hl;

	snprintf(cs, sizeof(cs), "%d", code);
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (!strcmp(reasons[i][0], cs))
			reason = reasons[i][1];
	count_code(code);
	hl = snprintf(head, sizeof(head),
		      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "Connection: close\r\n%s\r\n",
		      code, reason,
		      code == 200 ? "text/plain; version=0.0.4; charset=utf-8" :
				    "text/plain; charset=utf-8",
		      blen, extra ? extra : "");
	free(c->out);
	c->olen = hl + (c->head ? 0 : blen);
	c->out = malloc(c->olen);
	if (!c->out) {
		conn_close(c);
		return;
	}
	memcpy(c->out, head, hl);
	if (!c->head)
		memcpy(c->out + hl, body, blen);
	c->off = 0;
	c->state = C_WRITE;
	c->deadline = now + WRITE_NS;
}

static void respond_error(struct conn *c, int code, const char *msg, uint64_t now)
{
	respond(c, code, code == 405 ? "Allow: GET, HEAD\r\n" : NULL, msg, strlen(msg), now);
}

static bool tchar(char ch)
{
	return ch >= 'A' && ch <= 'Z';
}

/* The request line is complete (up to @eol): answer it now, or wait for the snapshot. */
static void handle_line(struct conn *c, size_t eol, uint64_t now)
{
	char *l = c->req, *sp1, *sp2, *q;
	size_t n = eol;

	if (n && l[n - 1] == '\r')
		n--;
	l[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)l[i] < 0x20 || (unsigned char)l[i] >= 0x7f)
			return respond_error(c, 400, "bad request line\n", now);
	sp1 = strchr(l, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strchr(sp2 + 1, ' ') || sp1 == l || sp2 == sp1 + 1 ||
	    (strcmp(sp2 + 1, "HTTP/1.1") && strcmp(sp2 + 1, "HTTP/1.0")))
		return respond_error(c, 400, "bad request line\n", now);
	for (char *x = l; x < sp1; x++)
		if (!tchar(*x))
			return respond_error(c, 400, "bad method\n", now);
	*sp1 = 0;
	*sp2 = 0;
	c->head = !strcmp(l, "HEAD");
	if (!c->head && strcmp(l, "GET"))
		return respond_error(c, 405, "only GET and HEAD\n", now);
	q = strchr(sp1 + 1, '?');
	if (q)
		*q = 0;
	if (strcmp(sp1 + 1, "/metrics"))
		return respond_error(c, 404, "not found: the metrics are at /metrics\n", now);
	c->state = C_WAIT;
	c->want_gen = atomic_load(&m.snap_gen) + 1;
	c->deadline = now + WAIT_NS;
}

/* Headers complete: the request line was valid (else answered), the rest ignored. */
static void on_read(struct conn *c, uint64_t now)
{
	ssize_t r = recv(c->fd, c->req + c->rlen, REQ_MAX - c->rlen, MSG_DONTWAIT);
	char *nl;

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (r < 0)
		return;
	c->rlen += r;
	nl = memchr(c->req, '\n', c->rlen);
	if (nl && c->want_gen == 0) {
		/* the line is checked as soon as it is whole: garbage is answered at once */
		char save[REQ_MAX];
		size_t eol = nl - c->req;

		memcpy(save, c->req, c->rlen);
		handle_line(c, eol, now);
		if (c->state != C_WAIT)
			return;
		/* a valid GET /metrics: still read the headers to their end */
		memcpy(c->req, save, c->rlen);
		c->state = C_READ;
		c->deadline = c->since + READ_NS;
	}
	if (memmem(c->req, c->rlen, "\r\n\r\n", 4) || memmem(c->req, c->rlen, "\n\n", 2)) {
		if (c->want_gen) {
			c->state = C_WAIT;
			c->deadline = now + WAIT_NS;
		}
		return;
	}
	if (c->rlen == REQ_MAX)
		respond_error(c, 431, "request headers too large (8 KiB at most)\n", now);
}

/* The text of the latest snapshot, rendered once per snapshot (server thread only). */
static struct {
	uint64_t gen;
	struct ps_prom *p;
} text;

static void serve_snapshot(struct conn *c, uint64_t now)
{
	struct snapshot *sn;

	/* the lock covers taking a reference, nothing more */
	pthread_mutex_lock(&m.mu);
	sn = m.snap;
	if (sn)
		atomic_fetch_add(&sn->refs, 1);
	pthread_mutex_unlock(&m.mu);
	if (sn && (!text.p || text.gen != sn->gen)) {
		ps_prom_free(text.p);
		text.p = render(sn);
		text.gen = sn->gen;
	}
	snap_put(sn);
	if (!text.p) {
		respond_error(c, 503, "no snapshot yet\n", now);
		return;
	}
	respond(c, 200, NULL, text.p->buf, text.p->len, now);
}

static void on_write(struct conn *c, uint64_t now)
{
	while (c->off < c->olen) {
		ssize_t w =
			send(c->fd, c->out + c->off, c->olen - c->off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_close(c);
			return;
		}
		c->off += w;
	}
	/* all sent: half-close and read what the client still sends, so that
	 * closing with unread data does not reset the response away */
	shutdown(c->fd, SHUT_WR);
	free(c->out);
	c->out = NULL;
	c->state = C_DRAIN;
	c->deadline = now + DRAIN_NS;
}

static void on_drain(struct conn *c)
{
	char b[4096];
	ssize_t r = recv(c->fd, b, sizeof(b), MSG_DONTWAIT);

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
		conn_close(c);
}

static void accept_all(struct conn *cs, uint64_t now)
{
	for (int k = 0; k < ACCEPT_BATCH; k++) {
		int fd = accept4(m.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c = NULL, *old = NULL;

		if (fd < 0)
			return;
		for (int i = 0; i < MAXCONN && !c; i++)
			if (cs[i].state == C_FREE)
				c = &cs[i];
		/* full: the oldest one still reading (or draining) makes room; one
		 * that sent a whole request is being answered and stays */
		for (int i = 0; i < MAXCONN && !c; i++)
			if ((cs[i].state == C_READ || cs[i].state == C_DRAIN) &&
			    (!old || cs[i].since < old->since))
				old = &cs[i];
		if (!c && old) {
			if (old->state == C_READ)
				atomic_fetch_add(&m.dropped, 1);
			conn_close(old);
			c = old;
		}
		if (!c) {
			atomic_fetch_add(&m.dropped, 1);
			close(fd);
			continue;
		}
		memset(c, 0, offsetof(struct conn, req));
		c->fd = fd;
		c->state = C_READ;
		c->since = now;
		c->deadline = now + READ_NS;
	}
}

static void *server(void *arg)
{
	static struct conn cs[MAXCONN];
	struct pollfd pf[MAXCONN + 2];
	int idx[MAXCONN + 2];

	for (int i = 0; i < MAXCONN; i++) {
		cs[i].fd = -1;
		cs[i].state = C_FREE;
	}
	while (!atomic_load(&m.stop)) {
		uint64_t now = mono_ns(), next = now + SEC, v;
		int n = 0, timeout;

		pf[n++] = (struct pollfd){ .fd = m.lfd, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = m.pub_fd, .events = POLLIN };
		for (int i = 0; i < MAXCONN; i++) {
			short ev = 0;

			if (cs[i].state == C_FREE)
				continue;
			if (cs[i].state == C_READ || cs[i].state == C_DRAIN)
				ev = POLLIN;
			else if (cs[i].state == C_WRITE)
				ev = POLLOUT;
			if (cs[i].deadline < next)
				next = cs[i].deadline;
			if (!ev)
				continue;
			idx[n] = i;
			pf[n++] = (struct pollfd){ .fd = cs[i].fd, .events = ev };
		}
		timeout = next > now ? (int)((next - now) / 1000000) + 1 : 0;
		if (poll(pf, n, timeout) < 0 && errno != EINTR)
			break;
		now = mono_ns();
		if (pf[1].revents & POLLIN) {
			if (read(m.pub_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: another round read it */
			}
		}
		for (int k = 2; k < n; k++) {
			struct conn *c = &cs[idx[k]];

			if (!pf[k].revents || c->state == C_FREE)
				continue;
			if (c->state == C_READ)
				on_read(c, now);
			else if (c->state == C_WRITE)
				on_write(c, now);
			else if (c->state == C_DRAIN)
				on_drain(c);
		}
		for (int i = 0; i < MAXCONN; i++) {
			struct conn *c = &cs[i];

			if (c->state == C_WAIT &&
			    (atomic_load(&m.snap_gen) >= c->want_gen || now >= c->deadline)) {
				serve_snapshot(c, now);
				if (c->state == C_WRITE)
					on_write(c, now);
			} else if (c->state == C_WAIT && atomic_load(&m.want_gen) < c->want_gen) {
				/* ask the run loop; it reads the eventfd when it serves the ask */
				atomic_store(&m.want_gen, c->want_gen);
				v = 1;
				if (write(m.req_fd, &v, sizeof(v)) < 0) {
					/* full counter: the loop has a wakeup pending anyway */
				}
			} else if (c->state == C_READ && now >= c->deadline) {
				respond_error(c, 408, "request not complete within 5 s\n", now);
				on_write(c, now);
			} else if ((c->state == C_WRITE || c->state == C_DRAIN) &&
				   now >= c->deadline) {
				conn_close(c);
			}
		}
		if (pf[0].revents & POLLIN)
			accept_all(cs, now);
	}
	for (int i = 0; i < MAXCONN; i++)
		if (cs[i].state != C_FREE)
			conn_close(&cs[i]);
	return NULL;
}

int ps_metrics_start(struct ps_session *s, const char *tool)
{
	sigset_t all, old;
	struct timespec ts;
	int err;

	if (m.lfd < 0)
		return -1;
	m.tool = tool;
	clock_gettime(CLOCK_REALTIME, &ts);
	m.start_realtime_ns = (uint64_t)ts.tv_sec * SEC + ts.tv_nsec;
	m.req_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	m.pub_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m.req_fd < 0 || m.pub_fd < 0)
		return -errno;
	/* signals are the run loop's (SIGINT ends it): the server takes none */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&m.thread, NULL, server, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	m.running = true;
	return m.req_fd;
}

void ps_metrics_stop(void)
{
	uint64_t v = 1;

	if (!m.running)
		return;
	atomic_store(&m.stop, true);
	if (write(m.pub_fd, &v, sizeof(v)) < 0) {
		/* the server also wakes within a second */
	}
	pthread_join(m.thread, NULL);
	m.running = false;
	close(m.req_fd);
	close(m.pub_fd);
	close(m.lfd);
	m.lfd = m.req_fd = m.pub_fd = -1;
	snap_put(m.snap);
	m.snap = NULL;
	ps_prom_free(text.p);
	text.p = NULL;
}
