/* SPDX-License-Identifier: GPL-2.0 */
/* The tools: one cmd_*.c file each. fn(argc, argv, progname) returns the exit status. */
#ifndef PROCSNOOP_CMDS_H
#define PROCSNOOP_CMDS_H

struct ps_cmd {
	const char *name;	/* procsnoop NAME */
	const char *link;	/* busybox-style link name, or NULL */
	int (*fn)(int argc, char **argv, const char *prog);
	const char *summary;
};

int cmd_exec(int argc, char **argv, const char *prog);
int cmd_exit(int argc, char **argv, const char *prog);
int cmd_probe(int argc, char **argv, const char *prog);
int cmd_bashreadline(int argc, char **argv, const char *prog);

#endif
