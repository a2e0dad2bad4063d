// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tools/top/agg.h"

#define NSLOTS (2 * PS_TOP_GROUPS_MAX)

const char *const top_sort_names[TOP_SORT_NR] = { "cpu", "count", "failed", "lifetime" };

int top_table_init(struct top_table *t)
{
	memset(t, 0, sizeof(*t));
	t->slots = calloc(NSLOTS, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->other.key = "other";
	t->other.klen = 5;
	t->other.other = true;
	return 0;
}

void top_table_reset(struct top_table *t)
{
	struct top_group **slots = t->slots;

	for (size_t i = 0; i < t->n; i++) {
		free(t->all[i]->key);
		free(t->all[i]);
	}
	memset(slots, 0, NSLOTS * sizeof(*slots));
	memset(t, 0, sizeof(*t));
	t->slots = slots;
	t->other.key = "other";
	t->other.klen = 5;
	t->other.other = true;
}

void top_table_free(struct top_table *t)
{
	if (!t->slots)
		return;
	top_table_reset(t);
	free(t->slots);
	t->slots = NULL;
}

static uint64_t hash(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
	return h;
}

int top_log2(uint64_t v)
{
	return v < 2 ? 0 : 63 - __builtin_clzll(v);
}

/* 8 linear sub-buckets per power of two; values below 8 have their own */
static int lbucket(uint64_t v)
{
	int e;

	if (v < 8)
		return (int)v;
	e = 63 - __builtin_clzll(v);
	return (e - 2) * 8 + (int)((v >> (e - 3)) & 7);
}

static uint64_t lbucket_mid(int b)
{
	int e = b / 8 + 2, sub = b % 8;

	if (b < 8)
		return b;
	return ((uint64_t)(8 + sub) << (e - 3)) + ((1ull << (e - 3)) >> 1);
}

double top_share(uint64_t cpu_ns, uint64_t lifetime_ns, uint64_t interval_ns)
{
	if (lifetime_ns <= interval_ns || !lifetime_ns)
		return (double)cpu_ns;
	return (double)cpu_ns * ((double)interval_ns / (double)lifetime_ns);
}

static struct top_group *lookup(struct top_table *t, const char *key, size_t klen)
{
	uint64_t h = hash(key, klen);
	struct top_group *g;

	for (size_t i = 0; i < NSLOTS; i++) {
		struct top_group **s = &t->slots[(h + i) % NSLOTS];

		if (!*s) {
			if (t->n == PS_TOP_GROUPS_MAX)
				return NULL;
			g = calloc(1, sizeof(*g));
			if (!g)
				return NULL;
			g->key = malloc(klen + 1);
			if (!g->key) {
				free(g);
				return NULL;
			}
			memcpy(g->key, key, klen);
			g->key[klen] = 0;
			g->klen = klen;
			*s = g;
			t->all[t->n++] = g;
			return g;
		}
		if ((*s)->klen == klen && !memcmp((*s)->key, key, klen))
			return *s;
	}
	return NULL;
}

static void add_parent(struct top_group *g, const char *parent)
{
	int min = 0;

	/* a few names with counts; a new name replaces the rarest (heavy hitters) */
	for (int i = 0; i < PS_TOP_PARENTS; i++) {
		if (g->parent_n[i] && !strncmp(g->parents[i], parent, sizeof(g->parents[i]) - 1)) {
			g->parent_n[i]++;
			return;
		}
		if (g->parent_n[i] < g->parent_n[min])
			min = i;
	}
	strncpy(g->parents[min], parent, sizeof(g->parents[min]) - 1);
	g->parents[min][sizeof(g->parents[min]) - 1] = 0;
	g->parent_n[min]++;
}

struct top_group *top_table_add(struct top_table *t, const char *key, size_t klen,
				const struct top_proc *p, double share_ns, uint64_t interval_ns)
{
	struct top_group *g = lookup(t, key, klen);
	uint64_t cpu = p->cpu_user_ns + p->cpu_sys_ns;

	if (!g) {
		g = &t->other;
		t->folded++;
	}
	g->procs++;
	g->failed += p->failed;
	g->signaled += p->signaled;
	g->execs += p->execs;
	g->exec_fails += p->exec_fails;
	g->cpu_user_ns += p->cpu_user_ns;
	g->cpu_sys_ns += p->cpu_sys_ns;
	g->cpu_share_ns += share_ns;
	if (p->lifetime_ns > g->life_max_ns)
		g->life_max_ns = p->lifetime_ns;
	if (p->max_rss_kb > g->max_rss_kb)
		g->max_rss_kb = p->max_rss_kb;
	g->life[lbucket(p->lifetime_ns)]++;
	g->hist_life[top_log2(p->lifetime_ns / 1000)]++;
	g->hist_cpu[top_log2(cpu / 1000)]++;
	if (p->cmd_len || !g->last_cmd_len) {
		g->last_cmd_len = p->cmd_len < sizeof(g->last_cmd) ? p->cmd_len :
								     sizeof(g->last_cmd);
		if (g->last_cmd_len) /* p->cmd may be NULL when empty */
			memcpy(g->last_cmd, p->cmd, g->last_cmd_len);
		g->last_cmd_trunc = p->cmd_trunc;
	}
	if (p->parent && p->parent[0])
		add_parent(g, p->parent);

	t->procs++;
	t->failed += p->failed;
	t->execs += p->execs;
	t->exec_fails += p->exec_fails;
	t->cpu_share_ns += share_ns;
	t->cpu_ns += cpu;
	if (p->lifetime_ns < interval_ns)
		t->short_cpu_ns += cpu;
	t->hist_life[top_log2(p->lifetime_ns / 1000)]++;
	t->hist_cpu[top_log2(cpu / 1000)]++;
	return g;
}

uint64_t top_group_pct(const struct top_group *g, double pct)
{
	uint64_t want, seen = 0, v;

	if (!g->procs)
		return 0;
	/* the smallest value with at least pct% of the processes at or below it */
	want = (uint64_t)((double)g->procs * pct / 100.0 + 0.999999);
	if (want < 1)
		want = 1;
	for (int b = 0; b < PS_TOP_LBUCKETS; b++) {
		seen += g->life[b];
		if (seen >= want) {
			v = lbucket_mid(b);
			return v < g->life_max_ns ? v : g->life_max_ns;
		}
	}
	return g->life_max_ns;
}

const char *top_group_parent(const struct top_group *g)
{
	int best = -1;

	for (int i = 0; i < PS_TOP_PARENTS; i++)
		if (g->parent_n[i] && (best < 0 || g->parent_n[i] > g->parent_n[best]))
			best = i;
	return best < 0 ? "" : g->parents[best];
}

static enum top_sort sort_by;

static int cmp(const void *a, const void *b)
{
	const struct top_group *x = *(struct top_group *const *)a;
	const struct top_group *y = *(struct top_group *const *)b;
	double dx = 0, dy = 0;

	switch (sort_by) {
	case TOP_SORT_CPU:
		dx = x->cpu_share_ns;
		dy = y->cpu_share_ns;
		if (dx == dy) {
			dx = x->cpu_user_ns + x->cpu_sys_ns;
			dy = y->cpu_user_ns + y->cpu_sys_ns;
		}
		break;
	case TOP_SORT_COUNT:
		dx = x->procs;
		dy = y->procs;
		break;
	case TOP_SORT_FAILED:
		dx = x->failed;
		dy = y->failed;
		break;
	case TOP_SORT_LIFETIME:
		dx = x->life_max_ns;
		dy = y->life_max_ns;
		break;
	default:
		break;
	}
	if (dx != dy)
		return dx < dy ? 1 : -1;
	if (x->procs != y->procs)
		return x->procs < y->procs ? 1 : -1;
	/* a stable order between equals: by key */
	return strcmp(x->key, y->key);
}

void top_table_sorted(const struct top_table *t, enum top_sort by, struct top_group **out)
{
	memcpy(out, t->all, t->n * sizeof(*out));
	sort_by = by;
	qsort(out, t->n, sizeof(*out), cmp);
}
