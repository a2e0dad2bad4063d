// SPDX-License-Identifier: GPL-2.0
/* Decoding and printing of exec events (src/events/exec.c, src/tools/exec/print.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "abi.h"
#include "lib/out.h"
#include "events/exec.h"
#include "print/exec.h"
#include "ps_test.h"

static uint8_t mem[1 << 16];
static struct ps_exec *e = (void *)mem;

/* An event: fname then @args (@alen bytes, NULs included as given). */
static struct ps_event mk(const char *fname, const char *args, size_t alen)
{
	size_t fl = strlen(fname);

	memset(mem, 0, sizeof(struct ps_exec));
	e->hdr.type = PS_REC_EXEC;
	e->hdr.flags = PS_F_FIRST | PS_F_LAST;
	e->id.pid = 4242;
	e->id.tid = 4243;
	e->id.ppid = 1;
	e->id.uid = 1000;
	e->id.gid = 100;
	e->id.start_ns = 1234567890123ull; /* 123456 ticks of 10 ms */
	e->id.pstart_ns = 19999999;	   /* 1 tick: rounded down, as /proc does */
	e->id.nspid = 7;
	e->id.pidns = 4026532000u;
	e->id.mntns = 4026532001u;
	e->id.auid = 1000;
	e->id.sessionid = UINT32_MAX; /* unset: null */
	e->fname_len = fl;
	memcpy(e->id.comm, "ls", 3);
	memcpy(e->id.pcomm, "bash", 5);
	memcpy(e->id.tcomm, "ls", 3);
	memcpy(mem + sizeof(*e), fname, fl);
	memcpy(mem + sizeof(*e) + fl, args, alen);
	e->hdr.size = sizeof(*e) + fl + alen;
	return (struct ps_event){
		.rec = mem, .rec_len = sizeof(*e), .data = mem + sizeof(*e), .data_len = fl + alen
	};
}

/* An event with @n ancestors between the filename and the arguments. */
static struct ps_event mk_anc(const struct ps_ancestor *anc, uint32_t n, const char *args,
			      size_t alen)
{
	struct ps_event ev = mk("/bin/ls", "", 0);
	size_t fl = e->fname_len, al = n * sizeof(*anc);

	memcpy(mem + sizeof(*e) + fl, anc, al);
	memcpy(mem + sizeof(*e) + fl + al, args, alen);
	e->nanc = n;
	e->hdr.size += al + alen;
	ev.data_len += al + alen;
	return ev;
}

/* The arguments, joined with '|' (NUL shown as '0' would hide bugs: use '|'). */
static const char *joined(const struct exec_view *v)
{
	static char out[4096];
	const uint8_t *a;
	size_t pos = 0, len, k = 0;
	int i = 0;

	while (exec_view_next_arg(v, &pos, &a, &len)) {
		if (i++)
			out[k++] = '|';
		memcpy(out + k, a, len);
		k += len;
	}
	out[k] = 0;
	return out;
}

/* Run a printer with stdout sent to a file; return what it wrote. */
static const char *captured(void (*fn)(const struct exec_view *, const void *),
			    const struct exec_view *v, const void *arg)
{
	static char out[8192];
	char path[] = "/tmp/unit_exec_viewXXXXXX";
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	ssize_t n;

	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	fn(v, arg);
	out_flush();
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	return out;
}

static void do_json(const struct exec_view *v, const void *arg)
{
	exec_print_json(v);
}

static void do_table(const struct exec_view *v, const void *arg)
{
	exec_print_table(v, arg);
}

static void do_header(const struct exec_view *v, const void *arg)
{
	exec_print_header(arg);
}

#define S(lit) lit, sizeof(lit) - 1

int main(void)
{
	struct exec_view v;
	struct ps_event ev;
	struct ps_chunk last;
	const char *o;

	ev = mk("/bin/ls", S("ls\0-l\0/tmp\0"));
	CHECK("split_ok", exec_view_init(&v, &ev, 0), "rejected");
	CHECK("split_argc", v.argc == 3 && !v.truncated, "argc %u trunc %d", v.argc, v.truncated);
	CHECK_STR("split_args", joined(&v), strlen(joined(&v)), "ls|-l|/tmp");
	CHECK_STR("split_fname", v.fname, v.fname_len, "/bin/ls");

	ev = mk("/bin/x", S("\0\0a b\0\0"));
	exec_view_init(&v, &ev, 0);
	CHECK("empty_args_argc", v.argc == 4, "argc %u", v.argc);
	CHECK_STR("empty_args", joined(&v), strlen(joined(&v)), "||a b|");

	ev = mk("/bin/x", "", 0);
	exec_view_init(&v, &ev, 0);
	CHECK("argc0", v.argc == 0 && joined(&v)[0] == 0, "argc %u", v.argc);

	ev = mk("/bin/ls", S("ls\0-l\0/tmp\0"));
	exec_view_init(&v, &ev, 2);
	CHECK("max_args_count", v.argc == 2 && v.truncated && (v.eflags & PS_EXEC_COUNT_TRUNC),
	      "argc %u trunc %d", v.argc, v.truncated);
	CHECK_STR("max_args_args", joined(&v), strlen(joined(&v)), "ls|-l");
	exec_view_init(&v, &ev, 3);
	CHECK("max_args_exact", v.argc == 3 && !v.truncated, "argc %u trunc %d", v.argc,
	      v.truncated);

	/* cut by the byte limit: the last argument has no NUL */
	ev = mk("/bin/ls", S("ls\0-l\0/tm"));
	e->eflags = PS_EXEC_ARGS_TRUNC;
	e->args_cut = 2;
	exec_view_init(&v, &ev, 0);
	CHECK("cut_last_arg", v.argc == 3 && v.truncated && v.args_cut == 2,
	      "argc %u trunc %d cut %u", v.argc, v.truncated, v.args_cut);
	CHECK_STR("cut_last_arg_text", joined(&v), strlen(joined(&v)), "ls|-l|/tm");
	exec_view_init(&v, &ev, 3);
	CHECK_STR("cut_last_arg_max_args", joined(&v), strlen(joined(&v)), "ls|-l|/tm");

	/* totals in a final chunk supersede the first record's */
	ev = mk("/bin/ls", S("ls\0"));
	memset(&last, 0, sizeof(last));
	last.argc = 1;
	last.args_cut = 77;
	last.eflags = PS_EXEC_ARGS_TRUNC;
	ev.last = &last;
	exec_view_init(&v, &ev, 0);
	CHECK("last_totals", v.args_cut == 77 && v.truncated && v.kargc == 1, "cut %u trunc %d",
	      v.args_cut, v.truncated);

	ev = mk("/bin/ls", S("ls\0"));
	ev.incomplete = true;
	exec_view_init(&v, &ev, 0);
	CHECK("incomplete_truncated", v.truncated && v.incomplete, "trunc %d", v.truncated);

	/* malformed */
	ev = mk("/bin/ls", S("ls\0"));
	ev.rec_len = sizeof(struct ps_exec) - 1;
	CHECK("short_record_rejected", !exec_view_init(&v, &ev, 0), "accepted");
	ev = mk("/bin/ls", S("ls\0"));
	e->fname_len = ev.data_len + 1;
	CHECK("fname_past_data_rejected", !exec_view_init(&v, &ev, 0), "accepted");

	/* JSON: the contract's field names, exact values, hostile bytes encoded */
	ev = mk("/bin/l\"s", S("l\"s\0a\nb\0\xff\0"));
	e->ret = -ENOENT;
	e->id.ktime_ns = 1700000000123456789ull; /* no ps_clock_init: offset 0 */
	exec_view_init(&v, &ev, 0);
	o = captured(do_json, &v, NULL);
	CHECK_STR("json_line", o, strlen(o),
		  "{\"type\":\"exec\",\"time\":\"2023-11-14T22:13:20.123456789Z\","
		  "\"ktime_ns\":1700000000123456789,\"pid\":4242,\"tid\":4243,\"ppid\":1,"
		  "\"uid\":1000,\"gid\":100,\"euid\":0,\"comm\":\"ls\",\"thread_comm\":\"ls\","
		  "\"pcomm\":\"bash\",\"cgroup_id\":0,\"cgroup\":null,"
		  "\"entity_id\":\"4242:123456\",\"parent_entity_id\":\"1:1\","
		  "\"start_time\":\"1970-01-01T00:20:34.567890123Z\",\"nspid\":7,"
		  "\"pidns\":4026532000,\"mntns\":4026532001,\"auid\":1000,\"sessionid\":null,"
		  "\"filename\":\"/bin/l\\\"s\",\"args\":[\"l\\\"s\",\"a\\nb\",\"\\udcff\"],"
		  "\"argc\":3,\"args_truncated\":false,\"args_cut_bytes\":0,\"ret\":-2,"
		  "\"ancestors\":[],\"ancestors_truncated\":false,"
		  "\"args_cut_bytes_exact\":true,\"args_unreadable\":false,"
		  "\"error\":\"ENOENT\"}\n");

	/* every kernel flag reaches the JSON */
	e->eflags = PS_EXEC_ABI_KNOWN | PS_EXEC_COMPAT | PS_EXEC_CUT_LOWER | PS_EXEC_ARGS_TRUNC |
		    PS_EXEC_ARGS_FAULT | PS_EXEC_FNAME_TRUNC;
	exec_view_init(&v, &ev, 0);
	o = captured(do_json, &v, NULL);
	CHECK("json_flags",
	      strstr(o, ",\"args_cut_bytes_exact\":false,\"args_unreadable\":true,"
			"\"compat\":true,\"filename_truncated\":true,"),
	      "%s", o);
	e->eflags = PS_EXEC_ABI_KNOWN;
	exec_view_init(&v, &ev, 0);
	o = captured(do_json, &v, NULL);
	CHECK("json_compat_false",
	      strstr(o, ",\"compat\":false,") && !strstr(o, "filename_truncated"), "%s", o);

	ev = mk("/bin/true", "", 0);
	e->eflags = PS_EXEC_ARGV_EMPTY | PS_EXEC_EXECVEAT;
	e->fd = 3;
	e->at_flags = 0x1000;
	exec_view_init(&v, &ev, 0);
	o = captured(do_json, &v, NULL);
	CHECK("json_argc0_execveat",
	      strstr(o, "\"args\":[],\"argc\":0,") &&
		      strstr(o, ",\"execveat\":{\"fd\":3,\"flags\":4096}"),
	      "%s", o);

	/* table: one line, escaped, columns PCOMM PID PPID RET ARGS */
	struct exec_print_opts po = { 0 };

	ev = mk("/bin/ls", S("ls\0a\nb\0\x1b[2J\0"));
	memcpy(e->id.comm, "\x1b]0;pwned\x07", 11);
	e->ret = -13;
	exec_view_init(&v, &ev, 0);
	o = captured(do_table, &v, &po);
	CHECK_STR("table_row", o, strlen(o),
		  "\\e]0;pwned\\x07   4242    1        -13 ls a\\nb \\e[2J\n");
	po.quote = true;
	o = captured(do_table, &v, &po);
	CHECK_STR("table_row_quoted", o, strlen(o),
		  "\\e]0;pwned\\x07   4242    1        -13 \"ls\" \"a\\nb\" \"\\e[2J\"\n");
	po.quote = false;

	ev = mk("/bin/ls", S("ls\0-l\0/tm"));
	e->eflags = PS_EXEC_ARGS_TRUNC;
	e->args_cut = 2;
	exec_view_init(&v, &ev, 0);
	o = captured(do_table, &v, &po);
	CHECK_STR("table_row_cut", o, strlen(o),
		  "ls               4242    1          0 ls -l /tm ...[2 bytes cut]\n");
	e->eflags = PS_EXEC_ARGS_TRUNC | PS_EXEC_CUT_LOWER | PS_EXEC_COMPAT;
	exec_view_init(&v, &ev, 0);
	o = captured(do_table, &v, &po);
	CHECK_STR("table_row_cut_lower", o, strlen(o),
		  "ls               4242    1          0 [compat] ls -l /tm ...[>= 2 bytes cut]\n");

	/* an unreadable argv is not an empty one */
	ev = mk("/bin/true", "", 0);
	e->eflags = PS_EXEC_ARGS_FAULT;
	e->ret = -14;
	exec_view_init(&v, &ev, 0);
	o = captured(do_table, &v, &po);
	CHECK_STR("table_row_unreadable", o, strlen(o),
		  "ls               4242    1        -14 [args unreadable] /bin/true\n");
	ev = mk("/bin/ls", S("ls\0-l\0"));
	e->eflags = PS_EXEC_ARGS_FAULT;
	e->ret = -14;
	exec_view_init(&v, &ev, 0);
	o = captured(do_table, &v, &po);
	CHECK_STR("table_row_rest_unreadable", o, strlen(o),
		  "ls               4242    1        -14 ls -l ...[rest unreadable]\n");

	ev = mk("/bin/true", "", 0);
	e->eflags = PS_EXEC_ARGV_EMPTY;
	exec_view_init(&v, &ev, 0);
	o = captured(do_table, &v, &po);
	CHECK_STR("table_row_argc0", o, strlen(o),
		  "ls               4242    1          0 [argc=0] /bin/true\n");

	/* -t: an event from between attach and the start stamp is not 2^64 ns away */
	ev = mk("/bin/true", S("true\0"));
	e->id.ktime_ns = 5000000000ull;
	exec_view_init(&v, &ev, 0);
	po.timestamp = true;
	po.start_ns = 5000000000ull + 1000;
	o = captured(do_table, &v, &po);
	CHECK_STR("table_timestamp_before_start", o, strlen(o),
		  "0.000    ls               4242    1          0 true\n");
	po.start_ns = 5000000000ull - 1500000000ull;
	o = captured(do_table, &v, &po);
	CHECK_STR("table_timestamp", o, strlen(o),
		  "1.500    ls               4242    1          0 true\n");
	po.timestamp = false;

	po.print_uid = true;
	o = captured(do_header, NULL, &po);
	CHECK_STR("table_header_uid", o, strlen(o),
		  "UID    PCOMM            PID     PPID    RET  ARGS\n");

	/* ancestors: between filename and argv, parent first; JSON in that order, the
	 * column top first, a hostile comm unable to forge a level */
	struct ps_ancestor anc[3] = {
		{ .pid = 300, .start_ns = 2990000000ull, .comm = "make" },
		{ .pid = 200, .start_ns = 1000000000ull, .comm = "a>b(9) c\x1b" },
		{ .pid = 1, .start_ns = 250000000ull, .comm = "systemd" },
	};

	po.print_uid = false;
	po.ancestors = true;
	ev = mk_anc(anc, 3, S("ls\0-l\0"));
	CHECK("anc_ok", exec_view_init(&v, &ev, 0) && v.nanc == 3, "rejected, or nanc %u", v.nanc);
	CHECK_STR("anc_args", joined(&v), strlen(joined(&v)), "ls|-l");
	o = captured(do_table, &v, &po);
	CHECK_STR(
		"anc_column", o, strlen(o),
		"ls               4242    1          0 systemd(1)>a\\x3eb\\x289\\x29\\x20c\\e(200)"
		">make(300) ls -l\n");
	o = captured(do_header, NULL, &po);
	CHECK_STR("anc_header", o, strlen(o),
		  "PCOMM            PID     PPID    RET  ANCESTORS ARGS\n");
	o = captured(do_json, &v, NULL);
	CHECK("anc_json",
	      strstr(o, ",\"ancestors\":[{\"pid\":300,\"comm\":\"make\",\"entity_id\":\"300:299\"},"
			"{\"pid\":200,\"comm\":\"a>b(9) c\\u001b\",\"entity_id\":\"200:100\"},"
			"{\"pid\":1,\"comm\":\"systemd\",\"entity_id\":\"1:25\"}],"
			"\"ancestors_truncated\":false,"),
	      "%s", o);
	e->eflags = PS_EXEC_ANC_TRUNC;
	exec_view_init(&v, &ev, 0);
	o = captured(do_table, &v, &po);
	CHECK("anc_column_truncated", strstr(o, " 0 ...>systemd(1)>"), "%s", o);
	o = captured(do_json, &v, NULL);
	CHECK("anc_json_truncated", strstr(o, "\"ancestors_truncated\":true"), "%s", o);
	ev = mk_anc(anc, 0, S("ls\0"));
	exec_view_init(&v, &ev, 0);
	o = captured(do_table, &v, &po);
	CHECK_STR("anc_column_none", o, strlen(o), "ls               4242    1          0 - ls\n");
	po.ancestors = false;
	/* malformed: more entries than the data holds, or than the kernel walks */
	ev = mk_anc(anc, 3, "", 0);
	e->nanc = 4;
	CHECK("anc_past_data_rejected", !exec_view_init(&v, &ev, 0), "accepted");
	e->nanc = PS_ANC_MAX + 1;
	ev.data_len = e->fname_len + (PS_ANC_MAX + 1) * sizeof(struct ps_ancestor);
	CHECK("anc_over_max_rejected", !exec_view_init(&v, &ev, 0), "accepted");

	CHECK("errno_name",
	      !strcmp(errno_name(E2BIG), "E2BIG") && !strcmp(errno_name(ENOEXEC), "ENOEXEC") &&
		      errno_name(0) == NULL && errno_name(-1) == NULL && errno_name(100000) == NULL,
	      "wrong errno names");
	return TEST_EXIT();
}
