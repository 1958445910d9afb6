/* SPDX-License-Identifier: MIT */
/*
 * cmd_proxy.c - `clawsec-traffic proxy`: run the explicit proxy alone in the
 * foreground. The proxy serves on its own thread; this thread handles
 * signals (SIGHUP reload, SIGTERM/SIGINT stop) and writes the state file
 * once a second.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli_config.h"
#include "commands.h"
#include "jsonl.h"
#include "metrics.h"
#include "ship.h"
#include "proxy_host.h"
#include "state.h"

#define PROG "clawsec-traffic proxy"

struct opts {
	const char *config, *listen, *log_dir, *state_file;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: clawsec-traffic proxy [--config FILE] [--listen HOST:PORT] [--log-dir "
		     "DIR]\n"
		     "                             [--state-file FILE]\n\n"
		     "Run the explicit HTTP/1.1 proxy alone in the foreground: containers pointed "
		     "at it\n"
		     "with HTTP_PROXY/HTTPS_PROXY have their requests and responses scanned, and\n"
		     "redacted findings go to DIR/findings.jsonl. Traffic is always forwarded "
		     "unchanged.\n"
		     "HTTPS is tunnelled opaque unless proxy.https_inspection is on (see "
		     "`clawsec-traffic\n"
		     "setup`). Its state goes to <home>/" CS_PROXY_STATE_NAME " (not state.json, "
		     "which\n"
		     "belongs to the agent or serve; `status` shows both). SIGHUP reloads the\n"
		     "configuration, SIGTERM/SIGINT stop. To run the proxy inside the agent or "
		     "serve\n"
		     "instead, set proxy.enabled in the configuration.\n");
}

static int load(const struct opts *o, struct cs_config *c)
{
	if (cli_load_config(PROG, o->config, c))
		return -1;
	if (o->listen)
		snprintf(c->proxy_listen, sizeof(c->proxy_listen), "%s", o->listen);
	if (o->log_dir)
		snprintf(c->log_dir, sizeof(c->log_dir), "%s", o->log_dir);
	/* Not state.json: the agent or serve running beside us owns that one. */
	if (o->state_file)
		snprintf(c->state_file, sizeof(c->state_file), "%s", o->state_file);
	else
		cs_proxy_state_path(c, c->state_file, sizeof(c->state_file));
	c->proxy_enabled = true;
	return 0;
}

/* On success cur becomes the new configuration (state file, config_sha256). */
static void reload(const struct opts *o, struct proxy_host *h, struct cs_config *cur)
{
	struct cs_config *c = calloc(1, sizeof(*c));
	char err[256];

	if (!c || load(o, c))
		fprintf(stderr,
			PROG ": reload refused: configuration invalid, keeping the old one\n");
	else if (proxy_host_apply(h, c, err, sizeof(err)))
		fprintf(stderr, PROG ": %s: %s\n", h->px ? "reload refused" : "restart failed",
			err);
	else {
		*cur = *c;
		fprintf(stderr, PROG ": configuration reloaded\n");
	}
	free(c);
}

static void write_state(struct proxy_host *h, const struct cs_config *c, uint64_t started)
{
	cJSON *st = cs_state_new(c, started);

	if (!st)
		return;
	proxy_host_state(h, st);
	cs_state_write(c->state_file, st);
	cJSON_Delete(st);
}

static int serve(const struct opts *o, struct cs_config *c)
{
	struct timespec second = {.tv_sec = 1};
	uint64_t started = cs_now_ms();
	struct proxy_host h;
	char err[512];
	sigset_t set;
	int sig, rc;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* the proxy threads inherit the mask */
	proxy_host_init(&h);
	if (proxy_host_start(&h, c, err, sizeof(err))) {
		fprintf(stderr, PROG ": %s\n", err);
		proxy_host_destroy(&h);
		return CS_EXIT_ERROR;
	}
	fprintf(stderr, PROG ": listening on %s, https inspection %s, findings to %s\n",
		cs_proxy_listen_addr(h.px), c->https_inspection ? "on" : "off",
		cs_jsonl_path(h.log));
	if (cs_metrics_start(c->metrics_proxy_listen, "proxy", cs_jsonl_path(h.log), err,
			     sizeof(err)))
		fprintf(stderr, PROG ": metrics off: %s\n", err);
	if (cs_ship_start(c, err, sizeof(err)))
		fprintf(stderr, PROG ": shipping off: %s\n", err);
	/* A failed restart on reload leaves nothing serving: then stop too. */
	while (h.px) {
		write_state(&h, c, started);
		sig = sigtimedwait(&set, NULL, &second);
		if (sig == SIGHUP)
			reload(o, &h, c);
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	rc = h.px ? CS_EXIT_OK : CS_EXIT_ERROR;
	proxy_host_stop(&h);
	write_state(&h, c, started); /* the last word: proxy off */
	cs_metrics_stop();
	cs_ship_stop();
	proxy_host_destroy(&h);
	fprintf(stderr, PROG ": stopped\n");
	return rc;
}

int cmd_proxy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"listen", required_argument, NULL, 'L'},
		{"log-dir", required_argument, NULL, 'l'},
		{"state-file", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	struct cs_config *c;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:L:l:s:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config = optarg;
			break;
		case 'L':
			o.listen = optarg;
			break;
		case 'l':
			o.log_dir = optarg;
			break;
		case 's':
			o.state_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return CS_EXIT_OK;
		default:
			usage(stderr);
			return CS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return CS_EXIT_USAGE;
	}
	c = calloc(1, sizeof(*c));
	if (!c || load(&o, c)) {
		free(c);
		return CS_EXIT_ERROR;
	}
	rc = serve(&o, c);
	free(c);
	return rc;
}
