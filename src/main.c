// SPDX-License-Identifier: GPL-2.0
/*
 * procsnoop: one binary, several tools. "procsnoop TOOL ARGS..." or,
 * busybox style, a link named after the tool ("execsnoop ARGS...").
 */
#include <stdio.h>
#include <string.h>
#include "cmds.h"

static const struct ps_cmd cmds[] = {
	{ "exec", "execsnoop", cmd_exec, "trace every exec attempt: full argv, parent, result" },
	{ "exit", "exitsnoop", cmd_exit, "trace every process exit: status, lifetime, CPU, RSS" },
	{ "probe", NULL, cmd_probe, "trace calls in user programs through uprobes and USDT" },
	{ "bashreadline", "bashreadline", cmd_bashreadline, "print commands typed into interactive bash" },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: procsnoop TOOL [OPTIONS...]\n"
		   "       procsnoop --version | --help\n\n"
		   "See what processes do over their whole life, with eBPF.\n\nTools:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-14s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'procsnoop TOOL --help' describes a tool. Each tool also runs as a link\n"
		   "named after it (execsnoop, exitsnoop, bashreadline).\n"
		   "Exit status: 0 ok, 1 runtime failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	for (size_t i = 0; i < NCMDS; i++)
		if (cmds[i].link && !strcmp(self, cmds[i].link))
			return cmds[i].fn(argc, argv, cmds[i].link);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("procsnoop %s\n", PS_VERSION);
		return 0;
	}
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1, cmds[i].link ? cmds[i].link : "procsnoop probe");
	fprintf(stderr, "procsnoop: unknown tool '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
