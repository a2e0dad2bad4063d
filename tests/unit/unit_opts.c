// SPDX-License-Identifier: GPL-2.0
/* Strict option value parsing (src/lib/opts.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/opts.h"
#include "ps_test.h"

static void u64(const char *s, uint64_t min, uint64_t max, int want_err, uint64_t want)
{
	char name[96];
	uint64_t v = 12345;
	int err = parse_u64(s, min, max, &v);

	snprintf(name, sizeof(name), "u64 '%s' [%llu,%llu]", s ? s : "(null)",
		 (unsigned long long)min, (unsigned long long)max);
	if (want_err)
		CHECK(name, err == want_err && v == 12345, "err %d (want %d), value %llu", err,
		      want_err, (unsigned long long)v);
	else
		CHECK(name, err == 0 && v == want, "err %d, value %llu (want %llu)", err,
		      (unsigned long long)v, (unsigned long long)want);
}

static void size(const char *s, uint64_t max, int want_err, uint64_t want)
{
	char name[96];
	uint64_t v = 12345;
	int err = parse_size(s, 1, max, &v);

	snprintf(name, sizeof(name), "size '%s'", s);
	if (want_err)
		CHECK(name, err == want_err && v == 12345, "err %d (want %d), value %llu", err,
		      want_err, (unsigned long long)v);
	else
		CHECK(name, err == 0 && v == want, "err %d, value %llu (want %llu)", err,
		      (unsigned long long)v, (unsigned long long)want);
}

static void dur(const char *s, int want_err, uint64_t want)
{
	char name[96];
	uint64_t v = 12345;
	int err = parse_duration(s, &v);

	snprintf(name, sizeof(name), "duration '%s'", s);
	if (want_err)
		CHECK(name, err == want_err && v == 12345, "err %d (want %d), value %llu", err,
		      want_err, (unsigned long long)v);
	else
		CHECK(name, err == 0 && v == want, "err %d, value %llu (want %llu)", err,
		      (unsigned long long)v, (unsigned long long)want);
}

static void uid(const char *s, int want_ok, uint32_t want)
{
	char name[96];
	uint32_t v = 12345;
	int err = parse_uid(s, &v);

	snprintf(name, sizeof(name), "uid '%s'", s);
	if (want_ok)
		CHECK(name, err == 0 && v == want, "err %d, value %u (want %u)", err, v, want);
	else
		CHECK(name, err < 0 && v == 12345, "err %d, value %u", err, v);
}

/* A user from /etc/passwd other than root, to check name lookup for real. */
static int passwd_user(char *name, size_t len, uint32_t *id)
{
	FILE *f = fopen("/etc/passwd", "r");
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2 || !strncmp(line, "root:", 5))
			continue;
		*c1 = 0;
		if (strlen(line) >= len)
			continue;
		memcpy(name, line, strlen(line) + 1);
		*id = strtoul(c2 + 1, NULL, 10);
		fclose(f);
		return 0;
	}
	if (f)
		fclose(f);
	return -1;
}

static void test_usage_error(void)
{
	int fds[2], st;
	char out[512] = "";
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return;
	fflush(stdout); /* or the child's exit() prints our results twice */
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		usage_error("tool", "bad value '%s'", "x");
	}
	close(fds[1]);
	/* stderr is unbuffered: the message comes in several writes */
	size_t k = 0;

	while (k < sizeof(out) - 1 && (n = read(fds[0], out + k, sizeof(out) - 1 - k)) > 0)
		k += n;
	out[k] = 0;
	close(fds[0]);
	waitpid(pid, &st, 0);
	CHECK("usage_error_exit_2", WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %#x", st);
	CHECK_STR("usage_error_text", out, strlen(out),
		  "tool: bad value 'x'\nTry 'tool --help' for more information.\n");
}

int main(void)
{
	char user[64];
	uint32_t id;

	u64("0", 0, 10, 0, 0);
	u64("42", 1, 100, 0, 42);
	u64("18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX);
	u64("18446744073709551616", 0, UINT64_MAX, -ERANGE, 0);
	u64("101", 1, 100, -ERANGE, 0);
	u64("0", 1, 100, -ERANGE, 0);
	u64("", 0, 100, -EINVAL, 0);
	u64(NULL, 0, 100, -EINVAL, 0);
	u64("-1", 0, 100, -EINVAL, 0);
	u64("+1", 0, 100, -EINVAL, 0);
	u64(" 1", 0, 100, -EINVAL, 0);
	u64("1 ", 0, 100, -EINVAL, 0);
	u64("1x", 0, 100, -EINVAL, 0);
	u64("0x10", 0, 100, -EINVAL, 0);
	u64("007", 0, 100, 0, 7);

	size("4096", 1ull << 40, 0, 4096);
	size("64k", 1ull << 40, 0, 65536);
	size("64K", 1ull << 40, 0, 65536);
	size("64KiB", 1ull << 40, 0, 65536);
	size("1M", 1ull << 40, 0, 1 << 20);
	size("2MiB", 1ull << 40, 0, 2 << 20);
	size("1g", 1ull << 40, 0, 1ull << 30);
	size("1.5k", 1ull << 40, 0, 1536);
	size(".5k", 1ull << 40, 0, 512);
	size("10b", 1ull << 40, 0, 10);
	size("4M", 4 << 20, 0, 4 << 20);
	size("5M", 4 << 20, -ERANGE, 0);
	size("0", 100, -ERANGE, 0);
	size("99999999999G", 1ull << 40, -ERANGE, 0);
	size("1.5", 1ull << 40, -EINVAL, 0);  /* a fraction of a byte */
	size("0.1k", 1ull << 40, -EINVAL, 0); /* 102.4 bytes */
	size("0x10", 1ull << 40, -EINVAL, 0);
	size("1e3", 1ull << 40, -EINVAL, 0);
	size("1..5k", 1ull << 40, -EINVAL, 0);
	size(".", 1ull << 40, -EINVAL, 0);
	size("k", 1ull << 40, -EINVAL, 0);
	size("", 1ull << 40, -EINVAL, 0);
	size("-1", 1ull << 40, -EINVAL, 0);
	size("1X", 1ull << 40, -EINVAL, 0);
	size("1 k", 1ull << 40, -EINVAL, 0);
	size("1k ", 1ull << 40, -EINVAL, 0);
	size("1T", 1ull << 40, -EINVAL, 0);

	dur("10ms", 0, 10000000);
	dur("2s", 0, 2000000000ull);
	dur("1.5s", 0, 1500000000ull);
	dur("0.1s", 0, 100000000ull);
	dur("500us", 0, 500000);
	dur("100ns", 0, 100);
	dur("3m", 0, 180000000000ull);
	dur("3min", 0, 180000000000ull);
	dur("1h", 0, 3600000000000ull);
	dur("250", 0, 250000000ull); /* bare number: ms */
	dur("0", 0, 0);
	dur("1S", 0, 1000000000ull);
	dur("0.5ns", -EINVAL, 0);
	dur("1d", -EINVAL, 0);
	dur("", -EINVAL, 0);
	dur("-1s", -EINVAL, 0);
	dur("s", -EINVAL, 0);
	dur("1e3ms", -EINVAL, 0);
	dur("inf", -EINVAL, 0);
	dur("nan", -EINVAL, 0);
	dur("99999999999h", -ERANGE, 0);

	uid("0", 1, 0);
	uid("65534", 1, 65534);
	uid("4294967294", 1, 4294967294u);
	uid("root", 1, 0);
	if (passwd_user(user, sizeof(user), &id) == 0)
		uid(user, 1, id);
	uid("psx-no-such-user", 0, 0);
	uid("", 0, 0);
	uid("a:b", 0, 0);
	uid("root:x", 0, 0);
	uid("-1", 0, 0);
	uid("4294967295", 0, 0); /* (uid_t)-1 means "no change" to the kernel */

	test_usage_error();
	return TEST_EXIT();
}
