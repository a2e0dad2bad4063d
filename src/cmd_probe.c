// SPDX-License-Identifier: GPL-2.0
/* procsnoop probe / bashreadline: placeholder until issue 4 lands. */
#include <stdio.h>
#include "cmds.h"

int cmd_probe(int argc, char **argv, const char *prog)
{
	fprintf(stderr, "%s: not implemented yet\n", prog);
	return 1;
}

int cmd_bashreadline(int argc, char **argv, const char *prog)
{
	fprintf(stderr, "%s: not implemented yet\n", prog);
	return 1;
}
