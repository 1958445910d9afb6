/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the subcommands of `clawsec-traffic`. Each takes the
 * arguments after its name (argv[0] is the subcommand) and returns the
 * process exit status: 0 success, 1 runtime/I-O error, 2 usage error.
 */
#ifndef CLAWSEC_COMMANDS_H
#define CLAWSEC_COMMANDS_H

#define CS_EXIT_OK 0
#define CS_EXIT_ERROR 1
#define CS_EXIT_USAGE 2

struct cs_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

int cmd_scan(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_setup(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_findings(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
