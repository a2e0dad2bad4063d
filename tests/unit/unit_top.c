// SPDX-License-Identifier: GPL-2.0
/* top's aggregates (src/tools/top/agg.c): the bound on groups, percentiles, CPU share. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "tools/top/agg.h"
#include "ps_test.h"

static struct top_table t;

static struct top_proc proc(uint64_t cpu_ns, uint64_t life_ns)
{
	struct top_proc p = { .cpu_user_ns = cpu_ns,
			      .lifetime_ns = life_ns,
			      .parent = "bash",
			      .cmd = "a\0b",
			      .cmd_len = 3,
			      .execs = 1 };

	return p;
}

static void test_bound(void)
{
	struct top_proc p = proc(1000, 1000);
	char key[32];
	uint64_t sum = 0;

	top_table_init(&t);
	/* a storm of random names: the table stops growing, the rest is "other" */
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof(key), "name%d", i);

		top_table_add(&t, key, n, &p, 1000, 1000000);
	}
	CHECK("bound_groups", t.n == PS_TOP_GROUPS_MAX, "n %zu", t.n);
	CHECK("bound_other", t.other.procs == 5000 - PS_TOP_GROUPS_MAX && t.folded == t.other.procs,
	      "other %llu folded %llu", (unsigned long long)t.other.procs,
	      (unsigned long long)t.folded);
	/* a known key still finds its group when the table is full */
	top_table_add(&t, "name7", 5, &p, 1000, 1000000);
	for (size_t i = 0; i < t.n; i++)
		sum += t.all[i]->procs;
	CHECK("bound_known_key", sum == PS_TOP_GROUPS_MAX + 1 && t.procs == 5001, "sum %llu",
	      (unsigned long long)sum);
	top_table_reset(&t);
	CHECK("reset", t.n == 0 && t.procs == 0 && t.other.procs == 0, "n %zu", t.n);
	top_table_free(&t);
}

static void test_percentiles(void)
{
	struct top_group *g = NULL;

	top_table_init(&t);
	/* 100 lifetimes 1..100 ms */
	for (int i = 1; i <= 100; i++) {
		struct top_proc p = proc(0, i * 1000000ull);

		g = top_table_add(&t, "k", 1, &p, 0, 1000000000);
	}
	/* within the histogram's 1/8 resolution, never above the max */
	CHECK("p50", top_group_pct(g, 50) >= 44000000 && top_group_pct(g, 50) <= 57000000, "%llu",
	      (unsigned long long)top_group_pct(g, 50));
	CHECK("p95", top_group_pct(g, 95) >= 83000000 && top_group_pct(g, 95) <= 100000000, "%llu",
	      (unsigned long long)top_group_pct(g, 95));
	CHECK("pmax", top_group_pct(g, 100) <= g->life_max_ns && g->life_max_ns == 100000000,
	      "%llu", (unsigned long long)g->life_max_ns);
	CHECK("parent", !strcmp(top_group_parent(g), "bash"), "%s", top_group_parent(g));
	top_table_free(&t);
}

static void test_share(void)
{
	/* a short life counts whole; a long one its share in the last interval */
	CHECK("share_short", top_share(500, 10, 100) == 500, "%f", top_share(500, 10, 100));
	CHECK("share_long", top_share(1000, 10000, 1000) == 100, "%f",
	      top_share(1000, 10000, 1000));
	CHECK("share_zero_life", top_share(7, 0, 100) == 7, "%f", top_share(7, 0, 100));
	CHECK("log2",
	      top_log2(0) == 0 && top_log2(1) == 0 && top_log2(2) == 1 && top_log2(3) == 1 &&
		      top_log2(1024) == 10,
	      "log2");
}

static void test_sort(void)
{
	struct top_group *s[3];
	struct top_proc a = proc(100, 10), b = proc(50, 10);

	top_table_init(&t);
	top_table_add(&t, "burn", 4, &a, 100, 1000);
	for (int i = 0; i < 3; i++)
		top_table_add(&t, "many", 4, &b, 50, 1000);
	top_table_add(&t, "idle", 4, &(struct top_proc){ .failed = true }, 0, 1000);
	top_table_sorted(&t, TOP_SORT_CPU, s);
	CHECK("sort_cpu", !strcmp(s[0]->key, "many") && !strcmp(s[1]->key, "burn"), "%s %s",
	      s[0]->key, s[1]->key);
	top_table_sorted(&t, TOP_SORT_FAILED, s);
	CHECK("sort_failed", !strcmp(s[0]->key, "idle"), "%s", s[0]->key);
	top_table_sorted(&t, TOP_SORT_COUNT, s);
	CHECK("sort_count", !strcmp(s[0]->key, "many"), "%s", s[0]->key);
	top_table_free(&t);
}

static void test_group_hist(void)
{
	struct top_proc a = proc(3000000, 100000), b = proc(0, 1500), c = proc(500, 0);
	struct top_group *g, *h;

	top_table_init(&t);
	/* 3 ms of CPU in 100 us of life; 0 CPU in 1.5 us; a life shorter than 1 us */
	g = top_table_add(&t, "x", 1, &a, 0, 1000);
	top_table_add(&t, "x", 1, &b, 0, 1000);
	h = top_table_add(&t, "y", 1, &c, 0, 1000);
	/* bcc's slots: 100 us -> 6 (64..127), 1 us -> 0, 3000 us -> 11 (2048..4095) */
	CHECK("group_hist_life",
	      g->hist_life[6] == 1 && g->hist_life[0] == 1 && h->hist_life[0] == 1, "%u %u %u",
	      g->hist_life[6], g->hist_life[0], h->hist_life[0]);
	CHECK("group_hist_cpu", g->hist_cpu[11] == 1 && g->hist_cpu[0] == 1 && h->hist_cpu[0] == 1,
	      "%u %u %u", g->hist_cpu[11], g->hist_cpu[0], h->hist_cpu[0]);
	/* the table's own histogram is the sum of the groups' */
	CHECK("group_hist_total", t.hist_life[6] == 1 && t.hist_life[0] == 2 && t.hist_cpu[0] == 2,
	      "%u %u %u", t.hist_life[6], t.hist_life[0], t.hist_cpu[0]);
	top_table_free(&t);
}

int main(void)
{
	test_bound();
	test_percentiles();
	test_share();
	test_sort();
	test_group_hist();
	return TEST_EXIT();
}
