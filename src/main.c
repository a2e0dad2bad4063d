// SPDX-License-Identifier: GPL-2.0
/*
 * procsnoop: one binary, several tools. "procsnoop TOOL ARGS..." or,
 * busybox style, a link named after the tool ("execsnoop ARGS...").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/out.h"
#include "tools/tools.h"

static const struct ps_cmd cmds[] = {
#define TOOL(name, link, summary) { #name, link, cmd_##name, summary },
#include "tools/tools.def"
#undef TOOL
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char *tool_name = "procsnoop";

static void usage(FILE *f)
{
	fprintf(f, "Usage: procsnoop TOOL [OPTIONS...]\n"
		   "       procsnoop --version | --help\n\n"
		   "See what processes do over their whole life, with eBPF.\n\nTools:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-14s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
		"\n'procsnoop TOOL --help' describes a tool. A tool also runs as a link\nnamed after it:");
	for (size_t i = 0; i < NCMDS; i++)
		if (cmds[i].link)
			fprintf(f, " %s", cmds[i].link);
	fprintf(f, ".\nExit status: 0 ok, 1 runtime failure, 2 usage error.\n");
}

/*
 * fds 0-2 closed at start (`procsnoop exec >&-`): the first files opened
 * would take their numbers, and the ready line or a message would be
 * written into a BPF object. Give them /dev/null, before anything opens
 * a file.
 */
static void std_fds_open(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nfd = open("/dev/null", O_RDWR); /* the lowest free number: fd */
		if (nfd != fd) {
			dprintf(2,
				"procsnoop: fd %d is closed and /dev/null cannot be opened: %s\n",
				fd, nfd < 0 ? strerror(errno) : "got another fd");
			_exit(1);
		}
	}
}

/*
 * At exit, whatever path leads there (--help, a tool's exit(0)): what is
 * still buffered is written, and output that could not be written makes
 * the status 1, with a message (out.c's own, or stdio's here).
 */
static void close_stdout(void)
{
	int err = fflush(stdout) ? errno : 0;

	out_flush();
	out_sync();
	if (err == EPIPE)
		_exit(0);
	if (err || ferror(stdout)) {
		out_msg("%s: write error%s%s\n", tool_name, err ? ": " : "",
			err ? strerror(err) : "");
		_exit(1);
	}
	/* stderr: stdio's messages too (a tool's fprintf), not only out_msg()'s */
	if (out_error() || out_msg_error() || ferror(stderr))
		_exit(1);
}

static int run(const struct ps_cmd *c, int argc, char **argv, const char *prog)
{
	tool_name = c->name;
	out_set_tool(c->name);
	return c->fn(argc, argv, prog);
}

int main(int argc, char **argv)
{
	const char *self;

	std_fds_open();
	atexit(close_stdout);
	self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	for (size_t i = 0; i < NCMDS; i++)
		if (cmds[i].link && !strcmp(self, cmds[i].link))
			return run(&cmds[i], argc, argv, cmds[i].link);
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
		if (!strcmp(argv[1], cmds[i].name)) {
			char prog[64];

			snprintf(prog, sizeof(prog), "procsnoop %s", cmds[i].name);
			return run(&cmds[i], argc - 1, argv + 1,
				   cmds[i].link ? cmds[i].link : prog);
		}
	fprintf(stderr, "procsnoop: unknown tool '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
