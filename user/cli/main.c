/* SPDX-License-Identifier: MIT */
/* main.c - `clawsec-traffic <command>`: dispatch to one subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct cs_command commands[] = {
	{"scan", "scan captured streams from files and print findings as JSONL", cmd_scan},
	{"agent", "capture NanoClaw's traffic with eBPF and log findings (root)", cmd_agent},
	{"status", "show the running agent's capture, targets and findings counts", cmd_status},
	{"proxy", "run the explicit HTTP/HTTPS proxy alone and log findings", cmd_proxy},
	{"ca", "create, show or rotate the CA used for HTTPS inspection", cmd_ca},
	{"setup", "print safe setup text for this machine (applies nothing)", cmd_setup},
	{"check-config", "validate the config; print every problem with its path",
	 cmd_check_config},
	{"findings", "print logged findings, newest first (table or --json)", cmd_findings},
	{"serve", "run the host service alone: IPC tasks and state.json", cmd_serve},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: clawsec-traffic <command> [options]\n\n"
		     "Detect-and-log monitor for NanoClaw traffic: secret exfiltration and\n"
		     "command injection. Nothing is ever blocked.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun `clawsec-traffic <command> --help` for the options of each.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CS_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("clawsec-traffic %s\n", CS_VERSION);
		return CS_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "clawsec-traffic: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CS_EXIT_USAGE;
}
