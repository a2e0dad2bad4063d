// SPDX-License-Identifier: GPL-2.0
/*
 * procsnoop: one binary, several tools. "procsnoop TOOL ARGS..." or,
 * busybox style, a link named after the tool ("execsnoop ARGS...").
 */
#include <stdio.h>
#include <string.h>
#include "tools/tools.h"

static const struct ps_cmd cmds[] = {
#define TOOL(name, link, summary) { #name, link, cmd_##name, summary },
#include "tools/tools.def"
#undef TOOL
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: procsnoop TOOL [OPTIONS...]\n"
		   "       procsnoop --version | --help\n\n"
		   "See what processes do over their whole life, with eBPF.\n\nTools:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-14s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'procsnoop TOOL --help' describes a tool. A tool also runs as a link\nnamed after it:");
	for (size_t i = 0; i < NCMDS; i++)
		if (cmds[i].link)
			fprintf(f, " %s", cmds[i].link);
	fprintf(f, ".\nExit status: 0 ok, 1 runtime failure, 2 usage error.\n");
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
			{
			char prog[64];

			snprintf(prog, sizeof(prog), "procsnoop %s", cmds[i].name);
			return cmds[i].fn(argc - 1, argv + 1, cmds[i].link ? cmds[i].link : prog);
		}
	fprintf(stderr, "procsnoop: unknown tool '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
