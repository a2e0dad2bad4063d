// SPDX-License-Identifier: GPL-2.0
/* /proc/PID/stat parsing (src/lib/procstat.c): hostile comms, cut lines. */
#include <string.h>
#include "lib/procstat.h"
#include "ps_test.h"

#define TAIL " 1 2 3 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 987654 1000 200 0 0\n"

static void ok(const char *name, const char *line, char want_state)
{
	unsigned long long start = 0;
	char state = 0;
	int r = ps_proc_stat_parse(line, strlen(line), &state, &start);

	CHECK(name, r == 0 && state == want_state && start == 987654, "rc %d state %c start %llu",
	      r, state ? state : '-', start);
}

static void bad(const char *name, const char *line, size_t n)
{
	unsigned long long start = 0;
	char state = 0;

	CHECK(name, ps_proc_stat_parse(line, n, &state, &start) != 0, "accepted");
}

int main(void)
{
	static const char cut[] = "42 (sh) S 1 2 3 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 98";

	ok("plain comm", "42 (sh) S" TAIL, 'S');
	ok("comm with spaces", "42 (a b  c) R" TAIL, 'R');
	ok("comm with ')' and a fake line", "42 (x) Z 1 2 3) S" TAIL, 'S');
	ok("comm with a newline", "42 (a\nb) D" TAIL, 'D');
	ok("comm of only ')'", "42 ()))) T" TAIL, 'T');
	bad("no ')'", "42 (sh S 1 2", 12);
	bad("nothing after ')'", "42 (sh)", 7);
	bad("cut before field 22", cut, strlen(cut) - 21);
	bad("empty", "", 0);
	bad("two spaces", "42 (sh)  S" TAIL, strlen("42 (sh)  S" TAIL));
	/* field 22 cut in its digits is taken as what is there: the read is whole
	 * (one read() of a stat file is atomic), so only a short buffer cuts it */
	return TEST_EXIT();
}
