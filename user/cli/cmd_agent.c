/* SPDX-License-Identifier: MIT */
/* cmd_agent.c - `clawsec-traffic agent`: run the eBPF capture in the foreground. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: clawsec-traffic agent [--config FILE] [--pid N]... [--log-dir DIR]\n"
		"                             [--state-file FILE] [--ringbuf-bytes N]\n"
		"                             [--capture-cap N]\n\n"
		"Capture the plaintext traffic of NanoClaw's processes with eBPF (TLS included)\n"
		"and write redacted findings to DIR/findings.jsonl. Runs in the foreground and\n"
		"logs to stderr; SIGTERM/SIGINT detach and exit, SIGHUP reloads the config.\n"
		"Targets: --pid, the config's target_pids and target_cmdline (default: NanoClaw's\n"
		"`node ... dist/index.js`), and processes of containers named nanoclaw-*.\n"
		"A --pid that does not exist is reported and ignored; exit 2 if none exists.\n"
		"Needs root (or CAP_BPF and CAP_PERFMON).\n");
}

static int parse_u32(const char *s, const char *what, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s || v == 0 || v > UINT32_MAX) {
		fprintf(stderr, "clawsec-traffic agent: bad %s '%s'\n", what, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int add_pid(struct cs_agent_opts *o, const char *s)
{
	uint32_t pid;

	if (parse_u32(s, "pid", &pid) || pid > INT_MAX)
		return -1;
	if (o->n_pids == CS_CFG_MAX_LIST) {
		fprintf(stderr, "clawsec-traffic agent: at most %d --pid\n", CS_CFG_MAX_LIST);
		return -1;
	}
	o->pids[o->n_pids++] = (int)pid;
	return 0;
}

/*
 * Drop --pid targets that do not exist, saying so for each: a typo must not
 * look like a quiet, healthy agent. -1 when pids were named and none exists.
 */
static int keep_live_pids(struct cs_agent_opts *o)
{
	size_t given = o->n_pids, n = 0;

	for (size_t i = 0; i < given; i++) {
		if (kill(o->pids[i], 0) && errno == ESRCH) {
			fprintf(stderr, "clawsec-traffic agent: pid %d not found\n", o->pids[i]);
			continue;
		}
		o->pids[n++] = o->pids[i];
	}
	o->n_pids = n;
	if (given && !n) {
		fprintf(stderr, "clawsec-traffic agent: none of the --pid targets exists\n");
		return -1;
	}
	return 0;
}

int cmd_agent(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"pid", required_argument, NULL, 'p'},
		{"log-dir", required_argument, NULL, 'l'},
		{"state-file", required_argument, NULL, 's'},
		{"ringbuf-bytes", required_argument, NULL, 'r'},
		{"capture-cap", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cs_agent_opts o = {0};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:p:l:s:r:C:h", longopts, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'p':
			bad = add_pid(&o, optarg);
			break;
		case 'l':
			o.log_dir = optarg;
			break;
		case 's':
			o.state_file = optarg;
			break;
		case 'r':
			bad = parse_u32(optarg, "ring buffer size", &o.ringbuf_bytes);
			break;
		case 'C':
			bad = parse_u32(optarg, "capture cap", &o.capture_cap);
			break;
		case 'h':
			usage(stdout);
			return CS_EXIT_OK;
		default:
			bad = 1;
		}
		if (bad) {
			usage(stderr);
			return CS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "clawsec-traffic agent: unexpected argument '%s'\n", argv[optind]);
		return CS_EXIT_USAGE;
	}
	if (keep_live_pids(&o))
		return CS_EXIT_USAGE;
	return cs_agent_run(&o);
}
