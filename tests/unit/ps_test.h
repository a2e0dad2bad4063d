/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal unit-test macros: each check prints "ok NAME" or "FAIL NAME: why". */
#ifndef PS_TEST_H
#define PS_TEST_H
#include <stdio.h>
#include <string.h>

static int ps_test_failed;

#define CHECK(name, cond, ...)                                    \
	do {                                                      \
		if (cond) {                                       \
			printf("ok %s\n", name);                  \
		} else {                                          \
			printf("FAIL %s: ", name);                \
			printf(__VA_ARGS__);                      \
			printf(" (%s:%d)\n", __FILE__, __LINE__); \
			ps_test_failed = 1;                       \
		}                                                 \
	} while (0)

/* Compare a produced buffer with an expected C string. */
#define CHECK_STR(name, got, gotlen, want)                                        \
	CHECK(name, (gotlen) == strlen(want) && !memcmp((got), (want), (gotlen)), \
	      "expected [%s] got [%.*s]", (want), (int)(gotlen), (const char *)(got))

#define TEST_EXIT() (ps_test_failed ? 1 : 0)
#endif
