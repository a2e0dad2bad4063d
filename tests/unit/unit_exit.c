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
	e.pid = 4242;
	e.tid = 4243;
	e.ppid = 1;
	e.status = status;
	e.xflags = PS_EXIT_GROUP_DEAD;
	strcpy(e.comm, "worker");
	strcpy(e.tcomm, "worker-t1");
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

static void test_split(void)
{
	uint64_t u, s;

	/* an hour of CPU, 5:1 user:sys ticks; 3600e9 * 600e9 overflows 64 bits */
	exit_cputime_split(3600 * SEC, 3000 * SEC, 600 * SEC, &u, &s);
	CHECK("split_hour_sys", s == 600 * SEC, "sys %llu", (unsigned long long)s);
	CHECK("split_hour_user", u == 3000 * SEC, "user %llu", (unsigned long long)u);
	/* precise runtime differs from ticks: the ratio is kept, the sum is rtime */
	exit_cputime_split(3601 * SEC + 7, 2 * SEC, 2 * SEC, &u, &s);
	CHECK("split_sum_is_rtime", u + s == 3601 * SEC + 7, "sum %llu", (unsigned long long)(u + s));
	CHECK("split_half", s == (3601 * SEC + 7) / 2, "sys %llu", (unsigned long long)s);
	/* a 1 ms process no tick ever saw: all to user, like cputime_adjust() */
	exit_cputime_split(1000000, 0, 0, &u, &s);
	CHECK("split_no_ticks", u == 1000000 && s == 0, "u %llu s %llu",
	      (unsigned long long)u, (unsigned long long)s);
	exit_cputime_split(1000000, 0, 4000000, &u, &s);
	CHECK("split_sys_only", u == 0 && s == 1000000, "u %llu s %llu",
	      (unsigned long long)u, (unsigned long long)s);
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
	n = exit_fmt_status(b, sizeof(b), 1 << 8);
	CHECK_STR("status_1", b, n, "1");
	n = exit_fmt_status(b, sizeof(b), 255 << 8);
	CHECK_STR("status_255", b, n, "255");
	n = exit_fmt_status(b, sizeof(b), 9);
	CHECK_STR("status_kill", b, n, "signal 9 (KILL)");
	n = exit_fmt_status(b, sizeof(b), 11 | 0x80);
	CHECK_STR("status_segv_core", b, n, "signal 11 (SEGV), core dumped");
	n = exit_fmt_status(b, sizeof(b), 15);
	CHECK_STR("status_term", b, n, "signal 15 (TERM)");
	n = exit_fmt_status(b, sizeof(b), 34);
	CHECK_STR("status_rt", b, n, "signal 34 (RTMIN+2)");
	n = exit_fmt_status(b, 8, 11 | 0x80);
	CHECK_STR("status_cut", b, n, "signal ");
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
	e = rec(0x80 << 8);	/* exit code 128 is not a core dump */
	v = view(&e, 4096);
	CHECK("view_code_128", v.exit_code == 128 && !v.core_dumped, "code %d core %d",
	      v.exit_code, v.core_dumped);
	{
		struct ps_event short_ev = { .rec = &e, .rec_len = sizeof(e) - 1 };

		CHECK("view_short_record", !exit_view_init(&v, &short_ev, 4096), "accepted");
	}
}

static void test_lines(void)
{
	struct ps_exit e = rec(9);
	struct exit_view v;
	char *s;

	ps_clock_init(true);
	e.duration_ns = 3600 * SEC + 5 * SEC / 1000;	/* an hour and 5 ms */
	e.rtime_ns = 3599 * SEC;
	e.utime_ns = 3 * SEC;
	e.stime_ns = 1 * SEC;
	e.maxrss_pages = 256;
	e.ktime_ns = 7200 * SEC;
	v = view(&e, 4096);
	s = capture(print_table, &v);
	CHECK("table_hour", !strcmp(s, "worker           4242    1       4243    3600.01 signal 9 (KILL)\n"),
	      "got [%s]", s);
	free(s);
	s = capture(print_json, &v);
	CHECK("json_duration", strstr(s, "\"duration_ns\":3600005000000,") != NULL, "got %s", s);
	CHECK("json_cpu", strstr(s, "\"cpu_user_ns\":2699250000000,\"cpu_sys_ns\":899750000000,") != NULL,
	      "got %s", s);
	CHECK("json_killed", strstr(s, "\"exit_code\":null,\"signal\":9,\"core_dumped\":false,") != NULL,
	      "got %s", s);
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
	memcpy(e.comm, "\x1b[2J\xff" "abcdefghijklmno", 16);
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
	test_view();
	test_lines();
	return TEST_EXIT();
}
