// SPDX-License-Identifier: GPL-2.0
/* The JSON writer (src/lib/json.c): nesting, commas, numbers, hostile strings. */
#include <stdlib.h>
#include <unistd.h>
#include "lib/json.h"
#include "lib/out.h"
#include "ps_test.h"

/* Run @fn with stdout sent to a file; return what it wrote. */
static const char *captured(void (*fn)(void))
{
	static char out[4096];
	char path[] = "/tmp/unit_jsonXXXXXX";
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	ssize_t n;

	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	fn();
	out_flush();
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	return out;
}

static void flat(void)
{
	struct jw w;

	jw_begin(&w, "exec");
	jw_u64(&w, "pid", 42);
	jw_s64(&w, "ret", -2);
	jw_bool(&w, "t", true);
	jw_bool(&w, "f", false);
	jw_null(&w, "exit_code");
	jw_double(&w, "pct", 12.345, 2);
	jw_end(&w);
}

static void nested(void)
{
	struct jw w;

	jw_begin(&w, "x");
	jw_arr(&w, "args");
	jw_cstr(&w, NULL, "a");
	jw_cstr(&w, NULL, "b");
	jw_arr_end(&w);
	jw_obj(&w, "o");
	jw_u64(&w, "k", 1);
	jw_arr(&w, "e");
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_arr(&w, "objs");
	jw_obj(&w, NULL);
	jw_u64(&w, "a", 1);
	jw_obj_end(&w);
	jw_obj(&w, NULL);
	jw_obj_end(&w);
	jw_arr_end(&w);
	jw_u64(&w, "after", 2);
	jw_key(&w, "k2");
	jw_s64(&w, NULL, -1);
	jw_key(&w, "k3");
	jw_arr(&w, NULL);
	jw_u64(&w, NULL, 1);
	jw_u64(&w, NULL, 2);
	jw_arr_end(&w);
	jw_end(&w);
}

/* members after nothing, and a caller that forgets to close */
static void unclosed(void)
{
	struct jw w;

	jw_begin(&w, NULL);
	jw_arr(&w, "a");
	jw_obj(&w, NULL);
	jw_u64(&w, "k", 1);
	jw_end(&w);
}

static void hostile(void)
{
	static const char bytes[] = "a\"b\\\n\x1b\xff\xc3\xa9";
	struct jw w;

	jw_begin(&w, "h");
	jw_str(&w, "s", bytes, sizeof(bytes) - 1);
	jw_strn(&w, "comm", "abc\0zzz", 16);
	jw_strn(&w, "full", "0123456789abcdef", 16);
	jw_double(&w, "nan", 0.0 / 0.0, 1);
	jw_end(&w);
}

static void two_lines(void)
{
	struct jw w;

	jw_begin(&w, "a");
	jw_end(&w);
	jw_begin(&w, "b");
	jw_u64(&w, "n", 18446744073709551615ull);
	jw_end(&w);
}

int main(void)
{
	const char *o;

	o = captured(flat);
	CHECK_STR("json_flat", o, strlen(o),
		  "{\"type\":\"exec\",\"pid\":42,\"ret\":-2,\"t\":true,\"f\":false,"
		  "\"exit_code\":null,\"pct\":12.35}\n");
	o = captured(nested);
	CHECK_STR("json_nested", o, strlen(o),
		  "{\"type\":\"x\",\"args\":[\"a\",\"b\"],\"o\":{\"k\":1,\"e\":[]},"
		  "\"objs\":[{\"a\":1},{}],\"after\":2,\"k2\":-1,\"k3\":[1,2]}\n");
	o = captured(unclosed);
	CHECK_STR("json_unclosed_levels_closed", o, strlen(o), "{\"a\":[{\"k\":1}]}\n");
	o = captured(hostile);
	CHECK_STR("json_hostile_strings", o, strlen(o),
		  "{\"type\":\"h\",\"s\":\"a\\\"b\\\\\\n\\u001b\\udcff\xc3\xa9\","
		  "\"comm\":\"abc\",\"full\":\"0123456789abcdef\",\"nan\":null}\n");
	o = captured(two_lines);
	CHECK_STR("json_writer_reused", o, strlen(o),
		  "{\"type\":\"a\"}\n{\"type\":\"b\",\"n\":18446744073709551615}\n");
	return TEST_EXIT();
}
