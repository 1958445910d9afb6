/* SPDX-License-Identifier: MIT */
/* cli_config.c - shared config loading for the proxy, ca and setup subcommands. */
#include "cli_config.h"

#include <stdio.h>
#include <stdlib.h>

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
