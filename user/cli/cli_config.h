/* SPDX-License-Identifier: MIT */
/* cli_config.h - load the configuration for a subcommand, reporting every problem. */
#ifndef CLAWSEC_CLI_CONFIG_H
#define CLAWSEC_CLI_CONFIG_H

#include <stdio.h>

#include "config.h"

/* 0, or -1 after printing each problem as "<prog>: config $.path: reason" on stderr. */
int cli_load_config(const char *prog, const char *path, struct cs_config *c);

/* A configuration loaded as above into fresh memory (free() it); NULL after saying why. */
struct cs_config *cli_config_new(const char *prog, const char *path);

/*
 * The options of a subcommand that takes only --config FILE and --help:
 * sets *config; operands start at optind. CLI_GO_ON to carry on, else the
 * exit code after printing usage (--help: CS_EXIT_OK, on stdout; a bad
 * option: CS_EXIT_USAGE, on stderr, after getopt's own message).
 */
#define CLI_GO_ON (-1)
int cli_config_opts(int argc, char **argv, void (*usage)(FILE *out), const char **config);

#endif
