// SPDX-License-Identifier: GPL-2.0
/*
 * exit records in user space: the CPU split, status text, units, and the
 * table/JSON lines, with values no live test can produce (an hour-old
 * process, an hour of CPU, real-time signals, 16K pages).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ps_test.h"
#include "lib/bpfutil.h"
#include "lib/out.h"
#include "events/exit.h"
#include "print/exit.h"

#define SEC 1000000000ull

/* Run @fn with stdout captured; returns a malloc'd NUL-terminated string. */
static char *capture(void (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);
	char *buf = calloc(1, 65536);
	size_t n;

	fflush(stdout);
	dup2(fileno(tmp), STDOUT_FILENO);
	fn(arg);
	out_flush();
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, 65535, tmp);
	buf[n] = 0;
	fclose(tmp);
	return buf;
}

static struct ps_exit rec(uint32_t status)
{
	struct ps_exit e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = PS_REC_EXIT;
	e.hdr.flags = PS_F_FIRST | PS_F_LAST;
	e.hdr.size = sizeof(e);
	e.id.pid = 4242;
	e.id.tid = 4243;
	e.id.ppid = 1;
	e.status = status;
	e.xflags = PS_EXIT_GROUP_DEAD;
	strcpy(e.id.comm, "worker");
	strcpy(e.id.tcomm, "worker-t1");
	return e;
}

static struct exit_view view(const struct ps_exit *e, uint64_t page)
{
	struct ps_event ev = { .rec = e, .rec_len = sizeof(*e) };
	struct exit_view v;

	if (!exit_view_init(&v, &ev, page))
		memset(&v, 0, sizeof(v));
	return v;
}

static void print_json(void *arg)
{
	exit_print_json(arg);
}

static void print_table(void *arg)
{
	struct exit_print_opts o = { .timestamp = false };

	exit_print_table(arg, &o);
}

static void print_table_rusage(void *arg)
{
	struct exit_print_opts o = { .rusage = true, .since_start = true, .start_ns = 7000 * SEC };

	exit_print_table(arg, &o);
}

static void print_header_all(void *arg)
{
	struct exit_print_opts o = { .timestamp = true, .since_start = true, .rusage = true };

	(void)arg;
	exit_print_header(&o);
}

static void test_split(void)
{
	uint64_t u, s;

	/* an hour of CPU, 5:1 user:sys ticks; 3600e9 * 600e9 overflows 64 bits */
	exit_cputime_split(3600 * SEC, 3000 * SEC, 600 * SEC, &u, &s);
	CHECK("split_hour_sys", s == 600 * SEC, "sys %llu", (unsigned long long)s);
	CHECK("split_hour_user", u == 3000 * SEC, "user %llu", (unsigned long long)u);
	/* precise runtime differs from ticks: the ratio is kept, the sum is rtime */
	exit_cputime_split(3601 * SEC + 7, 2 * SEC, 2 * SEC, &u, &s);
	CHECK("split_sum_is_rtime", u + s == 3601 * SEC + 7, "sum %llu",
	      (unsigned long long)(u + s));
	CHECK("split_half", s == (3601 * SEC + 7) / 2, "sys %llu", (unsigned long long)s);
	/* a 1 ms process no tick ever saw: all to user, like cputime_adjust() */
	exit_cputime_split(1000000, 0, 0, &u, &s);
	CHECK("split_no_ticks", u == 1000000 && s == 0, "u %llu s %llu", (unsigned long long)u,
	      (unsigned long long)s);
	exit_cputime_split(1000000, 0, 4000000, &u, &s);
	CHECK("split_sys_only", u == 0 && s == 1000000, "u %llu s %llu", (unsigned long long)u,
	      (unsigned long long)s);
	/* 10 days of CPU on 64 threads, even ticks: rtime * stime is ~3e33 */
	exit_cputime_split(64 * 864000 * SEC, 64 * 864000 * SEC, 64 * 864000 * SEC, &u, &s);
	CHECK("split_huge", s == 32 * 864000 * SEC && u == 32 * 864000 * SEC, "u %llu s %llu",
	      (unsigned long long)u, (unsigned long long)s);
}

static void test_status(void)
{
	char b[64];
	size_t n;

	n = exit_fmt_status(b, sizeof(b), 0);
	CHECK_STR("status_0", b, n, "0");
	/* libbpf-tools' EXIT_CODE text: "0", else "code N" */
	n = exit_fmt_status(b, sizeof(b), 1 << 8);
	CHECK_STR("status_1", b, n, "code 1");
	n = exit_fmt_status(b, sizeof(b), 255 << 8);
	CHECK_STR("status_255", b, n, "code 255");
	n = exit_fmt_status(b, sizeof(b), 9);
	CHECK_STR("status_kill", b, n, "signal 9 (KILL)");
	n = exit_fmt_status(b, sizeof(b), 11 | 0x80);
	CHECK_STR("status_segv_core", b, n, "signal 11 (SEGV), core dumped");
	n = exit_fmt_status(b, sizeof(b), 15);
	CHECK_STR("status_term", b, n, "signal 15 (TERM)");
	n = exit_fmt_status(b, sizeof(b), 34);
	CHECK_STR("status_rt", b, n, "signal 34 (RTMIN)");
	n = exit_fmt_status(b, sizeof(b), 64 | 0x80);
	CHECK_STR("status_rtmax_core", b, n, "signal 64 (RTMAX), core dumped");
	n = exit_fmt_status(b, 8, 11 | 0x80);
	CHECK_STR("status_cut", b, n, "signal ");
}

/* Every real-time signal as bash's `kill -l` names it (34 RTMIN ... 64 RTMAX). */
static void test_rt_names(void)
{
	static const struct {
		int sig;
		const char *name;
	} want[] = {
		{ 34, "RTMIN" },    { 35, "RTMIN+1" },	{ 36, "RTMIN+2" },  { 48, "RTMIN+14" },
		{ 49, "RTMIN+15" }, { 50, "RTMAX-14" }, { 51, "RTMAX-13" }, { 62, "RTMAX-2" },
		{ 63, "RTMAX-1" },  { 64, "RTMAX" },
	};
	char nb[16], id[32];
	const char *name;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		name = exit_signal_name(want[i].sig, nb, sizeof(nb));
		snprintf(id, sizeof(id), "rt_name_%d", want[i].sig);
		CHECK(id, name && !strcmp(name, want[i].name), "got %s, want %s",
		      name ? name : "NULL", want[i].name);
	}
	/* glibc's own (32, 33) have no name a user can send; past 64 is no signal */
	CHECK("rt_name_32", !exit_signal_name(32, nb, sizeof(nb)), "named");
	CHECK("rt_name_33", !exit_signal_name(33, nb, sizeof(nb)), "named");
	CHECK("rt_name_65", !exit_signal_name(65, nb, sizeof(nb)), "named");
	CHECK("rt_name_0", !exit_signal_name(0, nb, sizeof(nb)), "named");
	name = exit_signal_name(9, nb, sizeof(nb));
	CHECK("name_kill", name && !strcmp(name, "KILL"), "got %s", name ? name : "NULL");
}

static void test_view(void)
{
	struct ps_exit e = rec(6 | 0x80);
	struct exit_view v;

	e.maxrss_pages = 1000;
	e.duration_ns = 3600 * SEC + 1;
	v = view(&e, 4096);
	CHECK("view_ok", v.e == &e, "not decoded");
	CHECK("view_signal", v.signal == 6 && v.exit_code == -1 && v.core_dumped,
	      "sig %d code %d core %d", v.signal, v.exit_code, v.core_dumped);
	CHECK("view_rss_4k", v.max_rss_kb == 4000, "%llu", (unsigned long long)v.max_rss_kb);
	v = view(&e, 16384);
	CHECK("view_rss_16k", v.max_rss_kb == 16000, "%llu", (unsigned long long)v.max_rss_kb);
	CHECK("view_duration", v.duration_ns == 3600 * SEC + 1, "%llu",
	      (unsigned long long)v.duration_ns);
	e = rec(42 << 8);
	v = view(&e, 4096);
	CHECK("view_code", v.exit_code == 42 && v.signal == 0 && !v.core_dumped, "code %d",
	      v.exit_code);
	e = rec(0x80 << 8); /* exit code 128 is not a core dump */
	v = view(&e, 4096);
	CHECK("view_code_128", v.exit_code == 128 && !v.core_dumped, "code %d core %d", v.exit_code,
	      v.core_dumped);
	{
		struct ps_event short_ev = { .rec = &e, .rec_len = sizeof(e) - 1 };

		CHECK("view_short_record", !exit_view_init(&v, &short_ev, 4096), "accepted");
	}
}

static void test_lines(void)
{
	struct ps_exit e = rec(9), e2;
	struct exit_view v, v2;
	char *s;

	ps_clock_init(true);
	e.duration_ns = 3600 * SEC + 5 * SEC / 1000; /* an hour and 5 ms */
	e.rtime_ns = 3599 * SEC;
	e.utime_ns = 3 * SEC;
	e.stime_ns = 1 * SEC;
	e.maxrss_pages = 256;
	e.id.ktime_ns = 7200 * SEC;
	v = view(&e, 4096);
	s = capture(print_table, &v);
	CHECK("table_hour",
	      !strcmp(s, "worker           4242    1       4243    3600.005 signal 9 (KILL)\n"),
	      "got [%s]", s);
	free(s);
	s = capture(print_table_rusage, &v);
	CHECK("table_rusage",
	      !strcmp(s, "200.000  worker           4242    1       4243    3600.005 "
			 "2699250.000 899750.000 1024       signal 9 (KILL)\n"),
	      "got [%s]", s);
	free(s);
	s = capture(print_header_all, NULL);
	CHECK("header_all",
	      !strcmp(s, "TIME     TIME(s)  PCOMM            PID     PPID    TID     "
			 "AGE(s)   USER(ms)  SYS(ms)   MAXRSS(KB) EXIT_CODE\n"),
	      "got [%s]", s);
	free(s);
	/* 3 ms: 0.003, not the 0.00 of a 10 ms resolution */
	e2 = e;
	e2.duration_ns = 3 * SEC / 1000 + 400000;
	e2.xflags |= PS_EXIT_CPU_RACY;
	e2.rtime_ns = 2500000;
	e2.utime_ns = 0;
	e2.stime_ns = 0;
	v2 = view(&e2, 4096);
	s = capture(print_table_rusage, &v2);
	CHECK("table_ms_age",
	      !strcmp(s, "200.000  worker           4242    1       4243    0.003    "
			 "2.500     0.000~    1024       signal 9 (KILL)\n"),
	      "got [%s]", s);
	free(s);
	s = capture(print_json, &v);
	CHECK("json_duration", strstr(s, "\"duration_ns\":3600005000000,") != NULL, "got %s", s);
	CHECK("json_cpu",
	      strstr(s, "\"cpu_user_ns\":2699250000000,\"cpu_sys_ns\":899750000000,") != NULL,
	      "got %s", s);
	CHECK("json_killed",
	      strstr(s, "\"exit_code\":null,\"signal\":9,\"core_dumped\":false,") != NULL, "got %s",
	      s);
	CHECK("json_signal_name", strstr(s, "\"signal_name\":\"KILL\"") != NULL, "got %s", s);
	CHECK("json_rss", strstr(s, "\"max_rss_kb\":1024,") != NULL, "got %s", s);
	CHECK("json_ids", strstr(s, "\"pid\":4242,\"tid\":4243,\"ppid\":1,") != NULL, "got %s", s);
	CHECK("json_scope", strstr(s, "\"scope\":\"process\"") != NULL, "got %s", s);
	CHECK("json_comms", strstr(s, "\"comm\":\"worker\",\"thread_comm\":\"worker-t1\"") != NULL,
	      "got %s", s);
	CHECK("json_one_line", strchr(s, '\n') == s + strlen(s) - 1, "got %s", s);
	free(s);

	/* hostile, unterminated comm: escaped, bounded to 16 bytes */
	e = rec(0);
	memcpy(e.id.comm,
	       "\x1b[2J\xff"
	       "abcdefghijklmno",
	       16);
	e.xflags = 0;
	v = view(&e, 4096);
	s = capture(print_json, &v);
	CHECK("json_hostile_comm", strstr(s, "\"comm\":\"\\u001b[2J\\udcffabcdefghijk\"") != NULL,
	      "got %s", s);
	CHECK("json_thread_scope", strstr(s, "\"scope\":\"thread\",\"exit_code\":0,") != NULL,
	      "got %s", s);
	free(s);
	s = capture(print_table, &v);
	CHECK("table_hostile_comm", !strncmp(s, "\\e[2J\\xffabcdefghijk 4242", 24), "got [%s]", s);
	free(s);
}

int main(void)
{
	test_split();
	test_status();
	test_rt_names();
	test_view();
	test_lines();
	return TEST_EXIT();
}
