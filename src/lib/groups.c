// SPDX-License-Identifier: GPL-2.0
/* Per-comm aggregates for --metrics, bounded (see groups.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/groups.h"
#include "lib/metrics.h"

#define NSLOTS (PS_GROUPS_TOP + PS_GROUPS_CAND)
#define NHASH 512  /* > 1.5 * NSLOTS, a power of two */
#define KEY_MAX 48 /* a 16-byte comm with each byte replaced by U+FFFD */
#define MAINT_NS 1000000000ull
/* per second: a one-minute half-life */
#define DECAY 0.98851402
#define SWAPS_PER_SECOND 4

struct agg {
	uint64_t execs_ok, execs_failed;
	uint64_t processes, failed;
	uint64_t user_ns, sys_ns, life_ns;
	uint64_t hist[PS_GROUPS_NB]; /* per bucket, not cumulative */
};

struct group {
	bool used, exported;
	uint8_t klen;
	char key[KEY_MAX];
	int16_t next; /* hash chain, -1 ends */
	double score;
	struct agg a; /* exported groups only; candidates count in "other" */
};

struct ps_groups {
	unsigned int what;
	struct group g[NSLOTS];
	int16_t head[NHASH];
	int nexported, ncand;
	struct agg other;
	uint64_t evictions, promotions;
	uint64_t last_maint;
};

struct ps_groups *ps_groups_new(unsigned int what)
{
	struct ps_groups *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->what = what;
	for (int i = 0; i < NHASH; i++)
		g->head[i] = -1;
	return g;
}

void ps_groups_free(struct ps_groups *g)
{
	free(g);
}

void *ps_groups_snap(void *ctx)
{
	struct ps_groups *c = malloc(sizeof(*c));

	if (c)
		memcpy(c, ctx, sizeof(*c));
	return c;
}

int ps_groups_exported(const struct ps_groups *g)
{
	return g->nexported;
}

static unsigned int hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h & (NHASH - 1);
}

static struct group *find(struct ps_groups *g, const char *k, size_t n)
{
	for (int i = g->head[hash(k, n)]; i >= 0; i = g->g[i].next)
		if (g->g[i].klen == n && !memcmp(g->g[i].key, k, n))
			return &g->g[i];
	return NULL;
}

static void unlink_group(struct ps_groups *g, struct group *e)
{
	int16_t *p = &g->head[hash(e->key, e->klen)];
	int idx = e - g->g;

	while (*p >= 0 && *p != idx)
		p = &g->g[*p].next;
	if (*p == idx)
		*p = e->next;
	e->used = false;
}

static struct group *insert(struct ps_groups *g, const char *k, size_t n, bool exported)
{
	struct group *e = NULL;
	unsigned int h = hash(k, n);

	for (int i = 0; i < NSLOTS && !e; i++)
		if (!g->g[i].used)
			e = &g->g[i];
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->exported = exported;
	e->klen = n;
	memcpy(e->key, k, n);
	e->next = g->head[h];
	g->head[h] = e - g->g;
	if (exported)
		g->nexported++;
	else
		g->ncand++;
	return e;
}

static void agg_add(struct agg *to, const struct agg *a)
{
	to->execs_ok += a->execs_ok;
	to->execs_failed += a->execs_failed;
	to->processes += a->processes;
	to->failed += a->failed;
	to->user_ns += a->user_ns;
	to->sys_ns += a->sys_ns;
	to->life_ns += a->life_ns;
	for (int i = 0; i < PS_GROUPS_NB; i++)
		to->hist[i] += a->hist[i];
}

static struct group *extreme(struct ps_groups *g, bool exported, bool lowest)
{
	struct group *best = NULL;

	for (int i = 0; i < NSLOTS; i++) {
		struct group *e = &g->g[i];

		if (!e->used || e->exported != exported)
			continue;
		if (!best || (lowest ? e->score < best->score : e->score > best->score))
			best = e;
	}
	return best;
}

static uint64_t coarse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Once a second: decay the scores, let the busiest candidates in. */
static void maintain(struct ps_groups *g, uint64_t now)
{
	double f;

	if (!g->last_maint) {
		g->last_maint = now;
		return;
	}
	if (now - g->last_maint < MAINT_NS)
		return;
	/* whole seconds (no libm in the static link); the rest counts next time */
	f = 1.0;
	for (uint64_t s = 0; s < (now - g->last_maint) / MAINT_NS && s < 3600; s++)
		f *= DECAY;
	g->last_maint = now - (now - g->last_maint) % MAINT_NS;
	for (int i = 0; i < NSLOTS; i++)
		g->g[i].score *= f;
	for (int k = 0; k < SWAPS_PER_SECOND; k++) {
		struct group *c = extreme(g, false, false), *e = extreme(g, true, true);

		if (!c || !e || c->score < PS_GROUPS_MIN_SCORE || c->score <= 2 * e->score)
			break;
		/* its series ends; what it counted stays counted, in "other" */
		agg_add(&g->other, &e->a);
		memset(&e->a, 0, sizeof(e->a));
		e->exported = false;
		c->exported = true;
		memset(&c->a, 0, sizeof(c->a));
		g->promotions++;
	}
}

void ps_groups_age(struct ps_groups *g, uint64_t ns)
{
	uint64_t now = coarse_now();

	g->last_maint = now - ns;
	maintain(g, now);
}

/* Where @comm's event is counted; @w: its weight in the score. */
static struct agg *route(struct ps_groups *g, const char *comm, size_t max, double w)
{
	char key[KEY_MAX];
	size_t n = ps_prom_clean(key, sizeof(key), comm, strnlen(comm, max < 16 ? max : 16));
	struct group *e;

	maintain(g, coarse_now());
	if (n == 5 && !memcmp(key, "other", 5))
		return &g->other;
	e = find(g, key, n);
	if (!e && g->nexported < PS_GROUPS_TOP)
		e = insert(g, key, n, true);
	if (!e) {
		if (g->ncand == PS_GROUPS_CAND) {
			struct group *low = extreme(g, false, true);

			unlink_group(g, low);
			g->ncand--;
			g->evictions++;
		}
		e = insert(g, key, n, false);
	}
	if (!e)
		return &g->other;
	e->score += w;
	return e->exported ? &e->a : &g->other;
}

void ps_groups_exec(struct ps_groups *g, const char *comm, size_t max, bool ok)
{
	struct agg *a = route(g, comm, max, 1.0);

	if (ok)
		a->execs_ok++;
	else
		a->execs_failed++;
}

/* 2^(PS_GROUPS_LE_MIN + i) */
static double le_of(int i)
{
	return (double)(1ull << i) / (double)(1ull << -PS_GROUPS_LE_MIN);
}

static int bucket(uint64_t ns)
{
	for (int i = 0; i < PS_GROUPS_NB - 1; i++)
		if ((double)ns <= le_of(i) * 1e9)
			return i;
	return PS_GROUPS_NB - 1;
}

void ps_groups_exit(struct ps_groups *g, const char *comm, size_t max, bool failed,
		    uint64_t user_ns, uint64_t sys_ns, uint64_t life_ns)
{
	/* CPU counts too: 10 ms of it weighs as much as one more process */
	struct agg *a = route(g, comm, max, 1.0 + (double)(user_ns + sys_ns) / 1e7);

	a->processes++;
	a->failed += failed;
	a->user_ns += user_ns;
	a->sys_ns += sys_ns;
	a->life_ns += life_ns;
	a->hist[bucket(life_ns)]++;
}

/* ---- rendering ---- */

static void put_secs(char *buf, size_t cap, uint64_t ns)
{
	snprintf(buf, cap, "%llu.%09llu", (unsigned long long)(ns / 1000000000ull),
		 (unsigned long long)(ns % 1000000000ull));
}

typedef void (*render_fn)(struct ps_prom *p, const struct ps_label *comm, const struct agg *a);

static void each(struct ps_groups *g, struct ps_prom *p, render_fn fn)
{
	struct ps_label l;

	for (int i = 0; i < NSLOTS; i++) {
		if (!g->g[i].used || !g->g[i].exported)
			continue;
		l = (struct ps_label){ "comm", g->g[i].key, g->g[i].klen };
		fn(p, &l, &g->g[i].a);
	}
	l = (struct ps_label){ "comm", "other" };
	fn(p, &l, &g->other);
}

static void r_execs(struct ps_prom *p, const struct ps_label *c, const struct agg *a)
{
	struct ps_label l[2] = { *c, { "result", "ok" } };

	ps_prom_u64(p, "procsnoop_execs_total", l, 2, a->execs_ok);
	l[1].val = "failed";
	ps_prom_u64(p, "procsnoop_execs_total", l, 2, a->execs_failed);
}

static void r_procs(struct ps_prom *p, const struct ps_label *c, const struct agg *a)
{
	ps_prom_u64(p, "procsnoop_processes_total", c, 1, a->processes);
}

static void r_failed(struct ps_prom *p, const struct ps_label *c, const struct agg *a)
{
	ps_prom_u64(p, "procsnoop_processes_failed_total", c, 1, a->failed);
}

/* seconds printed from ns exactly: the sum of a workload's CPU is exact too */
static void r_cpu(struct ps_prom *p, const struct ps_label *c, const struct agg *a)
{
	struct ps_label l[2] = { *c, { "mode", "user" } };
	char v[64];

	put_secs(v, sizeof(v), a->user_ns);
	ps_prom_text(p, "procsnoop_process_cpu_seconds_total", l, 2, v);
	l[1].val = "system";
	put_secs(v, sizeof(v), a->sys_ns);
	ps_prom_text(p, "procsnoop_process_cpu_seconds_total", l, 2, v);
}

static void r_life(struct ps_prom *p, const struct ps_label *c, const struct agg *a)
{
	struct ps_label l[2] = { *c, { "le", NULL } };
	uint64_t cum = 0;
	char le[32], v[64];

	for (int i = 0; i < PS_GROUPS_NB; i++) {
		cum += a->hist[i];
		if (i == PS_GROUPS_NB - 1)
			snprintf(le, sizeof(le), "+Inf");
		else
			snprintf(le, sizeof(le), "%.10g", le_of(i));
		l[1].val = le;
		l[1].len = 0;
		ps_prom_u64(p, "procsnoop_process_lifetime_seconds_bucket", l, 2, cum);
	}
	put_secs(v, sizeof(v), a->life_ns);
	ps_prom_text(p, "procsnoop_process_lifetime_seconds_sum", c, 1, v);
	ps_prom_u64(p, "procsnoop_process_lifetime_seconds_count", c, 1, a->processes);
}

void ps_groups_collect(void *ctx, struct ps_prom *p)
{
	struct ps_groups *g = ctx;
	struct ps_label l;

	if (g->what & PS_GROUPS_EXEC) {
		ps_prom_family(p, "procsnoop_execs_total", "counter",
			       "exec attempts by command name (comm), ok or failed");
		each(g, p, r_execs);
	}
	if (g->what & PS_GROUPS_EXIT) {
		ps_prom_family(p, "procsnoop_processes_total", "counter",
			       "processes that exited, by command name (comm)");
		each(g, p, r_procs);
		ps_prom_family(p, "procsnoop_processes_failed_total", "counter",
			       "processes that exited with a non-zero code or were killed by a "
			       "signal, by command name (comm)");
		each(g, p, r_failed);
		ps_prom_family(p, "procsnoop_process_cpu_seconds_total", "counter",
			       "CPU time of the processes that exited (all their threads), "
			       "by command name (comm) and mode (user, system)");
		each(g, p, r_cpu);
		ps_prom_family(p, "procsnoop_process_lifetime_seconds", "histogram",
			       "how long the processes that exited lived (fork to exit), by "
			       "command name (comm); log2 buckets");
		each(g, p, r_life);
	}
	ps_prom_family(p, "procsnoop_groups", "gauge",
		       "command names (comm) with series of their own (exported), and "
		       "others tracked as candidates for a slot (candidate)");
	l = (struct ps_label){ "state", "exported" };
	ps_prom_u64(p, "procsnoop_groups", &l, 1, g->nexported);
	l = (struct ps_label){ "state", "candidate" };
	ps_prom_u64(p, "procsnoop_groups", &l, 1, g->ncand);
	ps_prom_family(p, "procsnoop_group_evictions_total", "counter",
		       "candidate command names forgotten to make room for new ones");
	ps_prom_u64(p, "procsnoop_group_evictions_total", NULL, 0, g->evictions);
	ps_prom_family(p, "procsnoop_group_promotions_total", "counter",
		       "candidates that took the slot of a less active command name");
	ps_prom_u64(p, "procsnoop_group_promotions_total", NULL, 0, g->promotions);
}
