// SPDX-License-Identifier: GPL-2.0
/* Test fixture for procsnoop exit: N children that exit at once; prints their pids. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;

	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		if (p < 0)
			return 1;
		printf("%d\n", p);
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
