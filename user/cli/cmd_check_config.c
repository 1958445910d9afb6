/* SPDX-License-Identifier: MIT */
/*
 * cmd_check_config.c - `clawsec-traffic check-config [FILE]`: validate the
 * configuration and print every problem with its JSON path.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "config.h"
#include "proxy.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: clawsec-traffic check-config [FILE]\n\n"
		     "Validate the configuration (FILE, else $NANOCLAW_TRAFFIC_GUARDIAN_CONFIG,\n"
		     "else <home>/config.json, else the defaults) together with the\n"
		     "NANOCLAW_TRAFFIC_GUARDIAN_* environment. Prints every problem as\n"
		     "\"<json-path>: <reason>\". With the proxy enabled or HTTPS inspection on,\n"
		     "also what the proxy would refuse at start (the CA, the listen address).\n"
		     "Exit 0 when valid, 1 when not.\n");
}

/* A valid config can still hold what `proxy` refuses at start (a missing CA...): the same code says
 * so. */
static int proxy_preflight(const struct cs_config *c)
{
	char err[512];

	if (!c->proxy_enabled && !c->https_inspection)
		return CS_EXIT_OK;
	if (!cs_proxy_check(c, err, sizeof(err)))
		return CS_EXIT_OK;
	printf("$.proxy: the proxy would refuse to start: %s\n", err);
	fflush(stdout); /* before the summary on stderr, as for the other problems */
	fprintf(stderr, "%s: 1 problem\n", c->config_path[0] ? c->config_path : "defaults");
	return CS_EXIT_ERROR;
}

int cmd_check_config(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	struct cs_config *c = malloc(sizeof(*c));
	struct cs_config_problems *p = malloc(sizeof(*p));
	int opt, rc = CS_EXIT_ERROR;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			rc = CS_EXIT_OK;
		} else {
			usage(stderr);
			rc = CS_EXIT_USAGE;
		}
		goto out;
	}
	if (argc - optind > 1) {
		usage(stderr);
		rc = CS_EXIT_USAGE;
		goto out;
	}
	if (!c || !p) {
		fprintf(stderr, "clawsec-traffic check-config: out of memory\n");
		goto out;
	}
	if (!cs_config_load(optind < argc ? argv[optind] : NULL, c, p)) {
		rc = proxy_preflight(c);
		if (rc == CS_EXIT_OK)
			printf("%s: valid (sha256 %s)\n",
			       c->config_path[0] ? c->config_path : "defaults", c->config_sha256);
		goto out;
	}
	for (size_t i = 0; i < p->n && i < sizeof(p->items) / sizeof(p->items[0]); i++)
		printf("%s: %s\n", p->items[i].path, p->items[i].reason);
	if (p->n > sizeof(p->items) / sizeof(p->items[0]))
		printf("... and %zu more problems\n",
		       p->n - sizeof(p->items) / sizeof(p->items[0]));
	fprintf(stderr, "%s: %zu problem%s\n", c->config_path[0] ? c->config_path : "defaults",
		p->n, p->n == 1 ? "" : "s");
out:
	free(c);
	free(p);
	return rc;
}
