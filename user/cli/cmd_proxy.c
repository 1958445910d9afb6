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
#include "logstore.h"
#include "proxy.h"
#include "state.h"

#define PROG "clawsec-traffic proxy"
#define MAX_FAMILIES 64

struct sink {
	struct cs_jsonl *log;
	pthread_mutex_t mu;
	uint64_t by_severity[CS_SEV_CRITICAL + 1];
	char families[MAX_FAMILIES][32];
	uint64_t by_family[MAX_FAMILIES];
	size_t nfam;
};

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
		     "setup`). SIGHUP reloads the configuration, SIGTERM/SIGINT stop.\n");
}

/* Loop thread: log the finding and count it for the state file. */
static void on_finding(void *ctx, const struct cs_finding *f)
{
	struct sink *s = ctx;
	size_t i;

	cs_jsonl_append_finding(s->log, f);
	pthread_mutex_lock(&s->mu);
	s->by_severity[f->severity]++;
	for (i = 0; i < s->nfam && strcmp(s->families[i], f->pattern); i++)
		;
	if (i == s->nfam && s->nfam < MAX_FAMILIES)
		snprintf(s->families[s->nfam++], sizeof(s->families[0]), "%s", f->pattern);
	if (i < s->nfam)
		s->by_family[i]++;
	pthread_mutex_unlock(&s->mu);
}

static int load(const struct opts *o, struct cs_config *c)
{
	if (cli_load_config(PROG, o->config, c))
		return -1;
	if (o->listen)
		snprintf(c->proxy_listen, sizeof(c->proxy_listen), "%s", o->listen);
	if (o->log_dir)
		snprintf(c->log_dir, sizeof(c->log_dir), "%s", o->log_dir);
	if (o->state_file)
		snprintf(c->state_file, sizeof(c->state_file), "%s", o->state_file);
	c->proxy_enabled = true;
	return 0;
}

/* Same log store as the agent and serve: 0700 dir checks, retention, rotation. */
static struct cs_jsonl *open_log(const struct cs_config *c)
{
	char err[512];
	struct cs_jsonl *w = cs_logstore_open(c, err, sizeof(err));

	if (!w)
		fprintf(stderr, PROG ": %s\n", err);
	return w;
}

static cJSON *counts_json(struct sink *s, bool by_family)
{
	cJSON *o = cJSON_CreateObject();

	pthread_mutex_lock(&s->mu);
	if (by_family) {
		for (size_t i = 0; i < s->nfam; i++)
			cJSON_AddNumberToObject(o, s->families[i], (double)s->by_family[i]);
	} else {
		for (int v = CS_SEV_LOW; v <= CS_SEV_CRITICAL; v++)
			cJSON_AddNumberToObject(o, cs_severity_name(v), (double)s->by_severity[v]);
	}
	pthread_mutex_unlock(&s->mu);
	return o;
}

static void write_state(cJSON *st, struct cs_proxy *px, struct sink *s, const char *path)
{
	struct cs_proxy_stats ps;
	struct cs_jsonl_stats js;

	cs_proxy_get_stats(px, &ps);
	cs_jsonl_get_stats(s->log, &js);
	cs_state_set(st, "proxy", cs_proxy_state_json(px));
	cs_state_set(st, "detector", cs_state_detector_json(&ps.detector));
	cs_state_set(st, "writer", cs_state_writer_json(&js));
	cs_state_set(st, "findings_by_pattern", counts_json(s, true));
	cs_state_set(st, "findings_by_severity", counts_json(s, false));
	cs_state_write(path, st);
}

static void reload(const struct opts *o, struct cs_proxy *px)
{
	struct cs_config *c = calloc(1, sizeof(*c));
	char err[256];

	if (!c || load(o, c))
		fprintf(stderr,
			PROG ": reload refused: configuration invalid, keeping the old one\n");
	else if (cs_proxy_reload(px, c, err, sizeof(err)))
		fprintf(stderr, PROG ": reload refused: %s\n", err);
	else
		fprintf(stderr, PROG ": configuration reloaded\n");
	free(c);
}

static int serve(const struct opts *o, struct cs_config *c, struct sink *s)
{
	struct timespec second = {.tv_sec = 1};
	uint64_t started = cs_now_ms();
	char err[256];
	sigset_t set;
	struct cs_proxy *px;
	cJSON *st;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* the proxy thread inherits the mask */
	px = cs_proxy_new(c, on_finding, s, err, sizeof(err));
	if (!px) {
		fprintf(stderr, PROG ": %s\n", err);
		return CS_EXIT_ERROR;
	}
	if (cs_proxy_start(px)) {
		fprintf(stderr, PROG ": cannot start the proxy thread\n");
		cs_proxy_free(px);
		return CS_EXIT_ERROR;
	}
	fprintf(stderr, PROG ": listening on %s, https inspection %s, findings to %s\n",
		cs_proxy_listen_addr(px), c->https_inspection ? "on" : "off",
		cs_jsonl_path(s->log));
	st = cs_state_new(c, started);
	for (;;) {
		if (st)
			write_state(st, px, s, c->state_file);
		sig = sigtimedwait(&set, NULL, &second);
		if (sig == SIGHUP)
			reload(o, px);
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	cs_proxy_free(px);
	cJSON_Delete(st);
	fprintf(stderr, PROG ": stopped\n");
	return CS_EXIT_OK;
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
	struct sink s = {0};
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
	s.log = open_log(c);
	if (!s.log) {
		free(c);
		return CS_EXIT_ERROR;
	}
	pthread_mutex_init(&s.mu, NULL);
	rc = serve(&o, c, &s);
	cs_jsonl_close(s.log);
	pthread_mutex_destroy(&s.mu);
	free(c);
	return rc;
}
