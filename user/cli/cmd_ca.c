/* SPDX-License-Identifier: MIT */
/*
 * cmd_ca.c - `clawsec-traffic ca init|show|rotate`: the host-held CA for
 * HTTPS inspection. Only the certificate path and fingerprint are ever
 * printed; the key stays in its 0600 file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cli_config.h"
#include "commands.h"

#define PROG "clawsec-traffic ca"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: clawsec-traffic ca init|show|rotate [--config FILE]\n\n"
		"  init    create the inspection CA (ECDSA P-256) in proxy.ca_dir (default "
		"<home>/ca):\n"
		"          key 0600 in a 0700 directory no container can see\n"
		"  show    print the certificate path and its SHA-256 fingerprint\n"
		"  rotate  replace the CA; running proxies pick it up on SIGHUP, and every client\n"
		"          must trust the new certificate\n\n"
		"Nothing here changes any trust store: `clawsec-traffic setup` prints the "
		"commands.\n");
}

static int show(const struct cs_config *c)
{
	struct cs_ca_paths p;
	char colon[CS_FP_COLON_LEN], hex[CS_FP_HEX_LEN];

	if (cs_ca_paths(c, &p) || cs_ca_fingerprint_file(p.cert, colon, hex)) {
		fprintf(stderr, PROG ": no CA certificate at %s (run `clawsec-traffic ca init`)\n",
			p.cert);
		return CS_EXIT_ERROR;
	}
	printf("certificate: %s\n", p.cert);
	printf("sha256 Fingerprint=%s\n", colon);
	return CS_EXIT_OK;
}

int cmd_ca(int argc, char **argv)
{
	const char *config = NULL, *action;
	struct cs_config *c;
	char err[512];
	int rc = cli_config_opts(argc, argv, usage, &config);

	if (rc != CLI_GO_ON)
		return rc;
	if (optind + 1 != argc) {
		usage(stderr);
		return CS_EXIT_USAGE;
	}
	action = argv[optind];
	if (strcmp(action, "init") && strcmp(action, "show") && strcmp(action, "rotate")) {
		usage(stderr);
		return CS_EXIT_USAGE;
	}
	c = cli_config_new(PROG, config);
	if (!c)
		return CS_EXIT_ERROR;
	if (!strcmp(action, "show")) {
		rc = show(c);
	} else if (cs_ca_create(c, !strcmp(action, "rotate"), err, sizeof(err))) {
		fprintf(stderr, PROG ": %s\n", err);
		rc = CS_EXIT_ERROR;
	} else {
		printf("%s: CA %s\n", action, !strcmp(action, "init") ? "created" : "replaced");
		rc = show(c);
	}
	free(c);
	return rc;
}
