/* SPDX-License-Identifier: MIT */
/* cli_config.h - load the configuration for a subcommand, reporting every problem. */
#ifndef CLAWSEC_CLI_CONFIG_H
#define CLAWSEC_CLI_CONFIG_H

#include "config.h"

/* 0, or -1 after printing each problem as "<prog>: config $.path: reason" on stderr. */
int cli_load_config(const char *prog, const char *path, struct cs_config *c);

#endif
