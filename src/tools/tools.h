/* SPDX-License-Identifier: GPL-2.0 */
/* The tools (tools.def): cmd_NAME(argc, argv, progname) returns the exit status. */
#ifndef PROCSNOOP_TOOLS_H
#define PROCSNOOP_TOOLS_H

struct ps_cmd {
	const char *name; /* procsnoop NAME */
	const char *link; /* busybox-style link name, or NULL */
	int (*fn)(int argc, char **argv, const char *prog);
	const char *summary;
};

#define TOOL(name, link, summary) int cmd_##name(int argc, char **argv, const char *prog);
#include "tools/tools.def"
#undef TOOL

#endif
