// SPDX-License-Identifier: GPL-2.0
/* --metrics pieces (src/lib/metrics.c, groups.c): label values, cardinality bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/groups.h"
#include "lib/metrics.h"
#include "ps_test.h"

static size_t label(char *out, size_t cap, const char *in, size_t n)
{
	char clean[256];
	size_t c = ps_prom_clean(clean, sizeof(clean), in, n);

	return ps_prom_escape(out, cap, clean, c);
}

static uint64_t sample(const char *text, const char *series)
{
	const char *at = strstr(text, series);

	return at ? strtoull(at + strlen(series), NULL, 10) : (uint64_t)-1;
}

/* A busy newcomer takes the slot of an idle name: every series stays a
 * counter and the sum over comm is still every process. */
static void promotion(void)
{
	struct ps_groups *g = ps_groups_new(PS_GROUPS_EXIT);
	struct ps_prom *p = ps_prom_new();
	char name[16];
	const char *t;
	uint64_t sum = 0;

	for (int i = 0; i < PS_GROUPS_TOP; i++) {
		snprintf(name, sizeof(name), "idle%02d", i);
		ps_groups_exit(g, name, sizeof(name), false, 0, 0, 1000);
	}
	/* busier ones: idle00..idle09 twice more, so they keep their slot */
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "idle%02d", i);
		ps_groups_exit(g, name, sizeof(name), false, 0, 0, 1000);
		ps_groups_exit(g, name, sizeof(name), false, 0, 0, 1000);
	}
	for (int i = 0; i < 20; i++)
		ps_groups_exit(g, "hot", 16, true, 0, 0, 1000);
	ps_groups_age(g, 1000000000ull);
	ps_groups_exit(g, "hot", 16, true, 0, 0, 1000);
	ps_groups_collect(g, p);
	t = ps_prom_str(p);
	CHECK("promoted: counts from its promotion",
	      sample(t, "procsnoop_processes_total{comm=\"hot\"} ") == 1, "%s", t);
	/* 20 before the promotion, 1 of the idle name it replaced */
	CHECK("other: the candidate's past and the demoted name's totals",
	      sample(t, "procsnoop_processes_total{comm=\"other\"} ") == 21, "%s", t);
	CHECK("still bounded", ps_groups_exported(g) == PS_GROUPS_TOP, "%d", ps_groups_exported(g));
	for (const char *q = t; (q = strstr(q, "procsnoop_processes_total{comm=")); q++)
		sum += strtoull(strchr(q, ' ') + 1, NULL, 10);
	CHECK("sum over comm is every process", sum == PS_GROUPS_TOP + 20 + 21, "%llu",
	      (unsigned long long)sum);
	CHECK("the busier names kept their slots",
	      sample(t, "procsnoop_processes_total{comm=\"idle05\"} ") == 3, "%s", t);
	CHECK("failed counted where the process is",
	      sample(t, "procsnoop_processes_failed_total{comm=\"hot\"} ") == 1 &&
		      sample(t, "procsnoop_processes_failed_total{comm=\"other\"} ") == 20,
	      "%s", t);
	ps_prom_free(p);
	ps_groups_free(g);
}

int main(void)
{
	char out[512], name[16];
	struct ps_groups *g;
	size_t n;

	n = label(out, sizeof(out), "make", 4);
	CHECK_STR("plain", out, n, "make");
	n = label(out, sizeof(out), "a\\b\"c\nd", 7);
	CHECK_STR("backslash quote newline", out, n, "a\\\\b\\\"c\\nd");
	n = label(out, sizeof(out), "x\xff\xc3(y", 5);
	CHECK_STR("invalid UTF-8 replaced", out, n, "x\xef\xbf\xbd\xef\xbf\xbd(y");
	n = label(out, sizeof(out), "\xc3\xa9t\xc3\xa9", 5);
	CHECK_STR("valid UTF-8 kept", out, n, "\xc3\xa9t\xc3\xa9");
	n = label(out, sizeof(out), "\xf0\x9f\x98", 3);
	CHECK_STR("cut sequence replaced byte by byte", out, n,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	n = label(out, sizeof(out), "tab\there", 8);
	CHECK_STR("tab kept (valid in a label value)", out, n, "tab\there");
	n = ps_prom_escape(out, 3, "\\\\", 2);
	CHECK("escape stops at a whole escape", n == 2, "n=%zu", n);
	n = ps_prom_clean(out, 4, "\xff\xff", 2);
	CHECK("clean stops at a whole replacement", n == 3, "n=%zu", n);

	/* a storm of distinct names: the exported set stays bounded */
	g = ps_groups_new(PS_GROUPS_EXIT);
	CHECK("new", g != NULL, "no memory");
	for (int i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "r%08x", (unsigned)i * 2654435761u);
		ps_groups_exit(g, name, sizeof(name), false, 0, 0, 1000);
	}
	CHECK("bounded to PS_GROUPS_TOP", ps_groups_exported(g) == PS_GROUPS_TOP, "exported %d",
	      ps_groups_exported(g));
	/* a 16-byte comm with no NUL is read to 16 bytes, never further */
	memset(name, 'z', sizeof(name));
	ps_groups_exec(g, name, sizeof(name), true);
	ps_groups_free(g);

	promotion();
	return TEST_EXIT();
}
