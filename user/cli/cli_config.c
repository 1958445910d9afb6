/* SPDX-License-Identifier: MIT */
/* cli_config.c - config options and loading shared by the subcommands. */
#include "cli_config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"

int cli_load_config(const char *prog, const char *path, struct cs_config *c)
{
	struct cs_config_problems *p = calloc(1, sizeof(*p));
	size_t shown;

	if (!p) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return -1;
	}
	if (!cs_config_load(path, c, p)) {
		free(p);
		return 0;
	}
	shown = p->n < 64 ? p->n : 64;
	for (size_t i = 0; i < shown; i++)
		fprintf(stderr, "%s: config %s: %s\n", prog, p->items[i].path, p->items[i].reason);
	if (p->n > shown)
		fprintf(stderr, "%s: config: %zu more problems\n", prog, p->n - shown);
	free(p);
	return -1;
}

struct cs_config *cli_config_new(const char *prog, const char *path)
{
	struct cs_config *c = calloc(1, sizeof(*c));

	if (!c)
		fprintf(stderr, "%s: out of memory\n", prog);
	if (!c || cli_load_config(prog, path, c)) {
		free(c);
		return NULL;
	}
	return c;
}

int cli_config_opts(int argc, char **argv, void (*usage)(FILE *out), const char **config)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		if (ch == 'c') {
			*config = optarg;
		} else if (ch == 'h') {
			usage(stdout);
			return CS_EXIT_OK;
		} else {
			usage(stderr);
			return CS_EXIT_USAGE;
		}
	}
	return CLI_GO_ON;
}
