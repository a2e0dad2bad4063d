/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --metrics ADDR: the stats API and the tools' aggregates as Prometheus
 * text exposition on http://ADDR/metrics, for every tool.
 *
 * The run loop never waits for a scraper. A scrape asks (an eventfd the
 * loop polls); the loop takes a snapshot, at most once per
 * PS_METRICS_MIN_NS: the numbers, copied, and publishes it under a mutex
 * held for a pointer swap. The server thread takes a reference under the
 * same mutex, renders the text (once per snapshot) and writes it to the
 * socket with no lock held. The server is one thread of nonblocking sockets: bounded
 * connections (the oldest one still reading its request makes room for a
 * new one), a request size limit, read and write deadlines.
 *
 *	tool option:  case PS_OPT_METRICS: ps_metrics_opt(prog, optarg);
 *	ps_tool_session():  ps_metrics_listen()	  (bind: before any privilege drop)
 *	ps_session_run():   ps_metrics_start(), ps_metrics_poll() each round,
 *			    ps_metrics_stop()
 */
#ifndef PROCSNOOP_METRICS_H
#define PROCSNOOP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ps_session;

/* getopt value and long option of --metrics, the same in every tool */
#define PS_OPT_METRICS 0x4d45
#define PS_METRICS_LONGOPT                                         \
	{                                                          \
		"metrics", required_argument, NULL, PS_OPT_METRICS \
	}
#define PS_METRICS_HELP                                                               \
	"      --metrics ADDR      serve Prometheus metrics on http://ADDR/metrics\n" \
	"                          (127.0.0.1:9464, [::1]:9464; port 0: any free one)\n"

/* --metrics ADDR: IPv4 or [IPv6] literal (or localhost) and a port; a usage error if not. */
void ps_metrics_opt(const char *tool, const char *arg);
bool ps_metrics_enabled(void);
/* Bind and listen; 0 (also when --metrics was not given), or 1 after a message. */
int ps_metrics_listen(const char *tool);
/* The bound address, "127.0.0.1:9464" (the real port when 0 was given), or NULL. */
const char *ps_metrics_addr(void);

/* The text exposition writer, given to collectors. */
struct ps_prom;
struct ps_label {
	const char *name;
	const char *val; /* hostile bytes: escaped, invalid UTF-8 replaced */
	size_t len;
};
/* # HELP and # TYPE lines; @type "counter", "gauge" or "histogram". */
void ps_prom_family(struct ps_prom *p, const char *name, const char *type, const char *help);
void ps_prom_u64(struct ps_prom *p, const char *name, const struct ps_label *l, int nl, uint64_t v);
/* @v: a number already formatted ("1.250000000") */
void ps_prom_text(struct ps_prom *p, const char *name, const struct ps_label *l, int nl,
		  const char *v);
void ps_prom_f64(struct ps_prom *p, const char *name, const struct ps_label *l, int nl, double v);
/* A label value as exposed: invalid UTF-8 becomes U+FFFD (the escaping is the writer's).
 * Returns its length, at most @cap (3 * @n is always enough). */
size_t ps_prom_clean(char *dst, size_t cap, const void *src, size_t n);
/* Escape a label value (backslash, quote, newline) into @dst; for tests. */
size_t ps_prom_escape(char *dst, size_t cap, const void *src, size_t n);

/* A writer of one's own (unit tests): the text so far, NUL-terminated. */
struct ps_prom *ps_prom_new(void);
const char *ps_prom_str(struct ps_prom *p);
void ps_prom_free(struct ps_prom *p);

/*
 * Something more in each snapshot. @snap runs in the run loop and copies
 * what is to be rendered (it must be quick: a memcpy), @render writes the
 * copy's families in the server thread, @drop frees the copy (either
 * thread). @c is copied.
 */
struct ps_collector {
	void *(*snap)(void *ctx);
	void (*render)(void *copy, struct ps_prom *p);
	void (*drop)(void *copy);
	void *ctx;
};
int ps_metrics_collector(const struct ps_collector *c);

/*
 * A bounded table a tool keeps (processes, pending events): its size, bound
 * and evictions, as procsnoop_table_entries{table}, procsnoop_table_capacity
 * {table} and procsnoop_table_evictions_total{table}. The callbacks run in
 * the run loop. @t is copied.
 */
struct ps_metrics_table {
	const char *name; /* "exec_fold" */
	uint64_t capacity;
	uint64_t (*entries)(void *ctx);
	uint64_t (*evictions)(void *ctx); /* entries pushed out by the bound */
	void *ctx;
};
int ps_metrics_table(const struct ps_metrics_table *t);

/* Run loop side. ps_metrics_start(): the server thread; returns the fd to poll
 * for scrape requests, -1 when off, or -errno. */
int ps_metrics_start(struct ps_session *s, const char *tool);
/* Each round: render and publish a snapshot if one was asked for. */
void ps_metrics_poll(struct ps_session *s, uint64_t now_ns);
void ps_metrics_stop(void);

#endif
