// SPDX-License-Identifier: GPL-2.0
/* exitsnoop: placeholder until issue 3 lands. */
#include <stdio.h>
#include "cmds.h"

int cmd_exit(int argc, char **argv, const char *prog)
{
	fprintf(stderr, "%s: not implemented yet\n", prog);
	return 1;
}
