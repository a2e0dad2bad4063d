// SPDX-License-Identifier: GPL-2.0
/*
 * The views of trace (src/tools/trace/view.c) over synthetic lives: the tree
 * line by line (nesting, folding, width, escaping), the timeline and the SVG
 * (counts and encoding here; tests/e2e/test_trace_views.py parses the files
 * this writes with `unit_view --dump DIR`: JSON and XML parsers, one event and
 * one bar per life).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tools/trace/view.h"
#include "ps_test.h"

#define MS 1000000ull
#define T0 (5000 * MS)

static struct view_life L[8192];
static char ids[8192][2][32];
static const char *argvs[8192][4];
static size_t nl;

/* A life: entity "e<pid>", parent "e<ppid>" (0: none), argv of up to three words. */
static struct view_life *life(uint32_t pid, uint32_t ppid, uint64_t start_ms, uint64_t dur_ms,
			      const char *a0, const char *a1, const char *a2)
{
	struct view_life *l = &L[nl];

	memset(l, 0, sizeof(*l));
	snprintf(ids[nl][0], 32, "e%u", pid);
	snprintf(ids[nl][1], 32, "e%u", ppid);
	l->entity_id = ids[nl][0];
	l->parent_entity_id = ppid ? ids[nl][1] : NULL;
	l->pid = pid;
	l->ppid = ppid;
	l->start_ns = T0 + start_ms * MS;
	l->end_ns = l->start_ns + dur_ms * MS;
	l->realtime_offset_ns = 1764590000ll * 1000000000ll;
	l->start_observed = true;
	l->cpu_user_ns = dur_ms * MS / 4;
	l->cpu_sys_ns = dur_ms * MS / 4;
	argvs[nl][0] = a0;
	argvs[nl][1] = a1;
	argvs[nl][2] = a2;
	l->argv = argvs[nl];
	l->argc = !a0 ? 0 : !a1 ? 1 : !a2 ? 2 : 3;
	l->comm = a0 ? strrchr(a0, '/') ? strrchr(a0, '/') + 1 : a0 : "sh";
	l->nexecs = l->argc ? 1 : 0;
	nl++;
	return l;
}

static char *out;
static size_t outlen;

static int run_tree(int width)
{
	FILE *f;
	int r;

	free(out);
	out = NULL;
	f = open_memstream(&out, &outlen);
	r = view_tree(f, L, nl, width);
	fclose(f);
	return r;
}

/* --timeline or --svg of the lives into out */
static int run_file(int (*view)(FILE *, const struct view_life *, size_t))
{
	FILE *f;
	int r;

	free(out);
	out = NULL;
	f = open_memstream(&out, &outlen);
	r = view(f, L, nl);
	fclose(f);
	return r;
}

/* Line @k (0: the header) of the last output, or "" past the end. */
static const char *line(int k)
{
	static char b[16384];
	const char *p = out;

	for (; k > 0 && p; k--) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!p || !*p)
		return "";
	snprintf(b, sizeof(b), "%.*s", (int)strcspn(p, "\n"), p);
	return b;
}

static int nlines(void)
{
	int k = 0;

	for (const char *p = out; p && *p; p++)
		k += *p == '\n';
	return k;
}

/* Columns of a line of UTF-8 text (every character one column here). */
static size_t cols(const char *s)
{
	size_t c = 0;

	for (; *s; s++)
		c += ((unsigned char)*s & 0xc0) != 0x80;
	return c;
}

static const char hostile[] = "\033]0;pwned\a\n<b>&\"'\xff\xfe\xef\xbf\xbe\xe2\x80\xae";

/* The known tree: a build with a bit of everything. */
static void known_tree(void)
{
	struct view_life *l;

	nl = 0;
	life(100, 1, 0, 2500, "make", "-j2", NULL);
	life(101, 100, 10, 800, "/bin/sh", "-c", "cc -c a.c");
	life(102, 101, 11, 790, "cc", "-c", "a.c");
	for (int i = 0; i < 3; i++)
		life(103 + i, 100, 900 + i * 10, 5, "/bin/sh", "-c", "true");
	l = life(110, 100, 1000, 3, "false", NULL, NULL);
	l->exit_code = 1;
	l = life(111, 100, 1100, 50, "sleep", "10", NULL);
	l->signal = 9;
	/* its exec failed: it still runs make, which it inherited */
	l = life(112, 100, 1200, 1, "make", "-j2", NULL);
	l->exit_code = 127;
	l->nexec_failed = 1;
	l->failed_exec = "./nosuch";
	/* a subshell: fork only */
	life(113, 100, 1300, 2, "make", "-j2", NULL)->nexecs = 0;
	life(114, 100, 1400, 2, "echo", hostile, NULL);
	/* forked by 114, reparented to init: still under 114 */
	l = life(115, 114, 1401, 20, "daemon", NULL, NULL);
	l->ppid = 1;
	/* a parent not among the lives: a root */
	life(200, 77, 1500, 10, "orphan", NULL, NULL);
	l = life(300, 0, 1600, 900, "top", NULL, NULL);
	l->running = true;
	l->start_observed = false;
}

static void test_tree(void)
{
	int r;

	known_tree();
	r = run_tree(0);
	CHECK("tree_ret", r == 0, "view_tree returned %d", r);
	CHECK_STR("tree_header", line(0), strlen(line(0)),
		  "     PID  DURATION      CPU  STATUS    COMMAND");
	CHECK_STR("tree_root", line(1), strlen(line(1)),
		  "     100     2.50s    1.25s  ok        make -j2");
	CHECK_STR("tree_child_quoted", line(2), strlen(line(2)),
		  "     101   800.0ms  400.0ms  ok        \u251c\u2500 /bin/sh -c \"cc -c a.c\"");
	CHECK_STR("tree_grandchild", line(3), strlen(line(3)),
		  "     102   790.0ms  395.0ms  ok        \u2502  \u2514\u2500 cc -c a.c");
	/* three identical siblings: one line, first start to last end, CPU summed */
	CHECK_STR("tree_folded", line(4), strlen(line(4)),
		  "     103    25.0ms    7.5ms  ok        \u251c\u2500 /bin/sh -c true  x3");
	CHECK_STR("tree_exit1", line(5), strlen(line(5)),
		  "!    110     3.0ms    1.5ms  exit 1    \u251c\u2500 false");
	CHECK_STR("tree_signal", line(6), strlen(line(6)),
		  "!    111    50.0ms   25.0ms  SIGKILL   \u251c\u2500 sleep 10");
	CHECK_STR(
		"tree_exec_failed", line(7), strlen(line(7)),
		"!    112     1.0ms  500.0us  exit 127  \u251c\u2500 [make] -> ./nosuch  [1 exec failed]");
	CHECK_STR("tree_fork_only", line(8), strlen(line(8)),
		  "     113     2.0ms    1.0ms  ok        \u251c\u2500 [make]");
	/* the terminal encoder's escapes, nothing raw */
	CHECK_STR("tree_escaped", line(9), strlen(line(9)),
		  "     114     2.0ms    1.0ms  ok        \u2514\u2500 echo "
		  "\\e]0;pwned\\x07\\n<b>&\"'\\xff\\xfe\xef\xbf\xbe\\u202e");
	/* reparented to init: under the parent that forked it */
	CHECK_STR("tree_reparented", line(10), strlen(line(10)),
		  "     115    20.0ms   10.0ms  ok           \u2514\u2500 daemon");
	CHECK_STR("tree_orphan_root", line(11), strlen(line(11)),
		  "     200    10.0ms    5.0ms  ok        orphan");
	/* running at stop, started before the tracer: at least that old */
	CHECK_STR("tree_running", line(12), strlen(line(12)),
		  "     300  >900.0ms  450.0ms  running   top");
	CHECK_STR("tree_footer", line(13), strlen(line(13)),
		  "14 processes, 3 failed, 1 running (12 lines: identical siblings folded, xN)");
	CHECK("tree_nlines", nlines() == 14, "%d lines", nlines());
}

static void test_tree_width(void)
{
	int ok = 1;

	known_tree();
	run_tree(60);
	for (int k = 0; k < 14; k++)
		if (cols(line(k)) > 60 && k != 7 && k != 13)
			ok = 0;
	CHECK("width_fits", ok, "a line is wider than 60:\n%s", out);
	CHECK_STR("width_cut_command", line(2), strlen(line(2)),
		  "     101   800.0ms  400.0ms  ok        \u251c\u2500 /bin/sh -c \"cc -c\u2026");
	/* the structure stays whole, the fold count too */
	CHECK_STR("width_cut_fold", line(4), strlen(line(4)),
		  "     103    25.0ms    7.5ms  ok        \u251c\u2500 /bin/sh -c tr\u2026  x3");
	/* an escape is never split: \x07 stays whole or goes */
	CHECK_STR("width_cut_escape", line(9), strlen(line(9)),
		  "     114     2.0ms    1.0ms  ok        \u2514\u2500 echo \\e]0;pwned\u2026");
	CHECK_STR("width_uncut", line(10), strlen(line(10)),
		  "     115    20.0ms   10.0ms  ok           \u2514\u2500 daemon");
	/* past the width, a command still keeps 8 columns; notes are never cut */
	CHECK_STR(
		"width_min_command", line(7), strlen(line(7)),
		"!    112     1.0ms  500.0us  exit 127  \u251c\u2500 [make] \u2026  [1 exec failed]");
	run_tree(20);
	CHECK_STR("width_tiny", line(3), strlen(line(3)),
		  "     102   790.0ms  395.0ms  ok        \u2502  \u2514\u2500 cc -c a\u2026");
}

static void test_tree_fold(void)
{
	nl = 0;
	life(1, 0, 0, 1000, "make", NULL, NULL);
	for (int i = 0; i < 120; i++)
		life(10 + i, 1, 1 + i, 1, "sh", "-c", "true");
	/* two identical subtrees fold; a third with a different child does not */
	life(200, 1, 300, 10, "sh", "-c", "cc x.c");
	life(201, 200, 301, 5, "cc", "x.c", NULL);
	life(202, 1, 400, 10, "sh", "-c", "cc x.c");
	life(203, 202, 401, 5, "cc", "x.c", NULL);
	life(204, 1, 500, 10, "sh", "-c", "cc x.c");
	life(205, 204, 501, 5, "cc", "y.c", NULL);
	/* same command, another outcome: its own line */
	life(206, 1, 600, 1, "sh", "-c", "true")->exit_code = 1;
	run_tree(0);
	CHECK_STR("fold_120", line(2), strlen(line(2)),
		  "      10   120.0ms   60.0ms  ok      \u251c\u2500 sh -c true  x120");
	CHECK_STR("fold_subtree", line(3), strlen(line(3)),
		  "     200   110.0ms   10.0ms  ok      \u251c\u2500 sh -c \"cc x.c\"  x2");
	CHECK_STR("fold_subtree_child", line(4), strlen(line(4)),
		  "     201     5.0ms    2.5ms  ok      \u2502  \u2514\u2500 cc x.c");
	CHECK_STR("fold_differs", line(5), strlen(line(5)),
		  "     204    10.0ms    5.0ms  ok      \u251c\u2500 sh -c \"cc x.c\"");
	CHECK_STR("fold_differs_child", line(6), strlen(line(6)),
		  "     205     5.0ms    2.5ms  ok      \u2502  \u2514\u2500 cc y.c");
	CHECK_STR("fold_outcome", line(7), strlen(line(7)),
		  "!    206     1.0ms  500.0us  exit 1  \u2514\u2500 sh -c true");
	CHECK("fold_nlines", nlines() == 9, "%d lines:\n%s", nlines(), out);
}

static void test_tree_loop(void)
{
	int r;

	/* parent ids in a loop (a bug upstream): each life once, no hang */
	nl = 0;
	life(1, 2, 0, 1, "a", NULL, NULL);
	life(2, 1, 1, 1, "b", NULL, NULL);
	life(3, 3, 2, 1, "self", NULL, NULL);
	r = run_tree(0);
	CHECK("loop_ret", r == 0, "%d", r);
	CHECK_STR("loop_self", line(1), strlen(line(1)),
		  "       3     1.0ms  500.0us  ok      self");
	CHECK_STR("loop_a", line(2), strlen(line(2)), "       1     1.0ms  500.0us  ok      a");
	CHECK_STR("loop_b", line(3), strlen(line(3)),
		  "       2     1.0ms  500.0us  ok      \u2514\u2500 b");
	nl = 0;
	r = run_tree(80);
	CHECK("empty_tree", r == 0 && nlines() == 2, "%d %d", r, nlines());
}

static void test_tree_deep(void)
{
	char want[512];
	size_t w;
	int r;

	/* a chain 3000 deep: the indentation stops at 32 levels, and says how deep */
	nl = 0;
	for (uint32_t i = 1; i <= 3000; i++)
		life(i, i - 1, i, 6000 - i, "sh", NULL, NULL);
	r = run_tree(100);
	CHECK("deep_ret", r == 0 && nlines() == 3002, "%d, %d lines", r, nlines());
	w = snprintf(want, sizeof(want), "%s", "     100     5.90s    2.95s  ok      ");
	for (int k = 0; k < 32; k++)
		w += snprintf(want + w, sizeof(want) - w, "   ");
	snprintf(want + w, sizeof(want) - w, "[depth 99] \u2514\u2500 sh");
	CHECK_STR("deep_line", line(100), strlen(line(100)), want);
}

static size_t count(const char *hay, const char *needle)
{
	size_t k = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		k++;
	return k;
}

/* Every '&' in @s starts one of XML's five entities. */
static bool entities_whole(const char *s)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };

	for (const char *p = s; (p = strchr(p, '&')); p++) {
		bool ok = false;

		for (int k = 0; k < 5; k++)
			ok |= !strncmp(p, ents[k], strlen(ents[k]));
		if (!ok)
			return false;
	}
	return true;
}

static void test_long_args(void)
{
	static char big[100000];
	char *l;

	/* 100 KB of '"' and '<' in one argument (quoted: it has a space): every byte
	 * an escape or an entity, far past the 8 KiB bound of a command line */
	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = i == 50 ? ' ' : i % 2 ? '"' : '<';
	nl = 0;
	life(1, 0, 0, 1, "echo", big, NULL);
	run_tree(0);
	l = (char *)line(1);
	CHECK("long_tree_bounded", strlen(l) < 8192 + 100, "%zu bytes", strlen(l));
	CHECK("long_tree_marked", strlen(l) > 8000 && !strcmp(l + strlen(l) - 3, "\u2026"),
	      "not cut with a mark: ...%s", l + (strlen(l) > 20 ? strlen(l) - 20 : 0));
	/* the cut is between escapes: the text before the mark ends in whole \" or < */
	CHECK("long_tree_whole_escape",
	      !strncmp(l + strlen(l) - 5, "\\\"", 2) || l[strlen(l) - 4] == '<', "%s",
	      l + strlen(l) - 12);
	run_file(view_svg);
	CHECK("long_svg_entities_whole", entities_whole(out), "an entity was cut");
	/* a label too long for its column is cut in the middle: its end says which file */
	memset(big, 'W', 200);
	big[200] = 0;
	nl = 0;
	life(1, 0, 0, 1, "gcc", big, "src/lib/x.c");
	run_file(view_svg);
	CHECK("svg_label_middle_cut",
	      strstr(out, "\">gcc WWWWWWWW") && strstr(out, "WW\u2026WW") &&
		      strstr(out, "WWWW src/lib/x.c</text>"),
	      "label not cut in the middle");
	CHECK("long_svg_bounded", outlen < 40000, "%zu bytes", outlen);
	/* argv the tracer cut (it keeps 4 KiB): marked, even with room to spare */
	nl = 0;
	life(1, 0, 0, 1, "echo", "abc", NULL)->args_truncated = true;
	run_tree(0);
	CHECK_STR("args_truncated_marked", line(1), strlen(line(1)),
		  "       1     1.0ms  500.0us  ok      echo abc\u2026");
}

static void test_timeline(void)
{
	int r;

	known_tree();
	r = run_file(view_timeline);
	CHECK("timeline_ret", r == 0, "%d", r);
	CHECK("timeline_one_event_per_life", count(out, "\"ph\":\"X\"") == nl, "%zu events",
	      count(out, "\"ph\":\"X\""));
	CHECK("timeline_threads", count(out, "\"name\":\"thread_name\"") == nl, "%zu",
	      count(out, "\"name\":\"thread_name\""));
	CHECK("timeline_hostile_json",
	      strstr(out,
		     "\"\\u001b]0;pwned\\u0007\\n<b>&\\\"'\\udcff\\udcfe\xef\xbf\xbe\\u202e\""),
	      "hostile arg not encoded as expected:\n%s", out);
	CHECK("timeline_thread_name",
	      strstr(out, "\"name\":\"thread_name\",\"pid\":1,\"tid\":1,"
			  "\"args\":{\"name\":\"make -j2 [100]\"}}"),
	      "make's track is not named by its command line");
	CHECK("timeline_no_raw_esc", !memchr(out, 033, outlen), "raw ESC in the file");
	CHECK("timeline_us", strstr(out, "\"ts\":10000.000,\"dur\":800000.000"),
	      "sh's ts/dur in microseconds not found");
}

static void test_svg(void)
{
	int r;

	known_tree();
	r = run_file(view_svg);
	CHECK("svg_ret", r == 0, "%d", r);
	CHECK("svg_one_bar_per_life", count(out, "<rect class=\"life ") == nl, "%zu bars",
	      count(out, "<rect class=\"life "));
	CHECK("svg_no_raw_esc",
	      !memchr(out, 033, outlen) && !memchr(out, '\a', outlen) &&
		      !strstr(out, "\xef\xbf\xbe"),
	      "raw control bytes or U+FFFE in the SVG");
	CHECK("svg_hostile_xml",
	      strstr(out,
		     "echo \\e]0;pwned\\x07\\n&lt;b&gt;&amp;&quot;&apos;\\xff\\xfe\\ufffe\\u202e"),
	      "hostile arg not XML-encoded as expected");
	CHECK("svg_classes",
	      count(out, "class=\"life signal\"") == 1 &&
		      count(out, "class=\"life failed\"") == 2 &&
		      count(out, "class=\"life running\"") == 1,
	      "outcome classes wrong");
}

static void test_svg_bound(void)
{
	nl = 0;
	life(1, 0, 0, 100000, "root", NULL, NULL);
	for (int i = 0; i < 6000; i++)
		life(2 + i, 1, 1 + i, 3, "sh", "-c", "true");
	run_file(view_svg);
	CHECK("svg_bound_rows", count(out, "<rect class=\"life ") == VIEW_SVG_MAX_ROWS, "%zu bars",
	      count(out, "<rect class=\"life "));
	CHECK("svg_bound_note", strstr(out, "1001 more processes not drawn"), "no note");
	CHECK("svg_bound_size", outlen < 4 << 20, "%zu bytes", outlen);
}

/* Write the views of the known tree (and the bounded SVG) for the Python parsers. */
static int dump(const char *dir)
{
	static const char *const names[] = { "tree.txt", "timeline.json", "view.svg", "lives.tsv",
					     "big.svg" };
	char p[4096];

	for (int k = 0; k < 5; k++) {
		FILE *f;

		snprintf(p, sizeof(p), "%s/%s", dir, names[k]);
		f = fopen(p, "w");
		if (!f)
			return 1;
		if (k == 4) {
			nl = 0;
			life(1, 0, 0, 100000, "root", NULL, NULL);
			for (int i = 0; i < 6000; i++)
				life(2 + i, 1, 1 + i, 3, "sh", "-c", "true");
		} else {
			known_tree();
		}
		if (k == 0)
			view_tree(f, L, nl, 0);
		else if (k == 1)
			view_timeline(f, L, nl);
		else if (k == 2 || k == 4)
			view_svg(f, L, nl);
		else
			for (size_t i = 0; i < nl; i++)
				fprintf(f, "%u\t%llu\t%llu\t%s\n", L[i].pid,
					(unsigned long long)(L[i].start_ns - T0),
					(unsigned long long)(L[i].end_ns - L[i].start_ns),
					L[i].parent_entity_id ? L[i].parent_entity_id : "-");
		fclose(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--dump"))
		return dump(argv[2]);
	test_tree();
	test_tree_width();
	test_tree_fold();
	test_tree_loop();
	test_tree_deep();
	test_long_args();
	test_timeline();
	test_svg();
	test_svg_bound();
	free(out);
	return TEST_EXIT();
}
