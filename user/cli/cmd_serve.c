/* SPDX-License-Identifier: MIT */
/*
 * cmd_serve.c - `clawsec-traffic serve`: the host service without eBPF
 * capture (IPC tasks and state.json), with the explicit proxy on its own
 * thread when proxy.enabled is set: for hosts that run only the proxy, and
 * for tests. Foreground; SIGTERM/SIGINT stop it cleanly (the proxy's port
 * is free when it exits), SIGHUP reloads the config, starting, stopping or
 * reloading the proxy to match, and keeps the old one when the new one has
 * problems.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli_config.h"
#include "commands.h"
#include "ipc_thread.h"
#include "lock.h"
#include "logstore.h"
#include "metrics.h"
#include "ship.h"
#include "proxy_host.h"
#include "state.h"

#define PROG "clawsec-traffic serve"
#define STATE_INTERVAL_MS 1000
#define PRUNE_INTERVAL_MS 3600000

struct serve {
	const char *config_arg;
	struct cs_config *cfg;
	struct cs_ipc_thread *ipc; /* tasks answered on their own thread */
	struct cs_lock lock;
	struct proxy_host proxy; /* serving when proxy.enabled */
	uint64_t started_ms, next_state_ms, next_prune_ms;
	int sfd;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: clawsec-traffic serve [--config FILE]\n\n"
		     "Run the host service in the foreground: answer the NanoClaw IPC tasks\n"
		     "of every group directory matched by ipc_roots and keep state.json\n"
		     "current, and delete rotated findings files past retention_days.\n"
		     "With proxy.enabled, also run the explicit proxy (findings to the\n"
		     "same findings.jsonl, counters in state.json).\n"
		     "One instance per pid_file. SIGHUP reloads, SIGTERM stops.\n");
}

static void write_state(struct serve *s)
{
	struct cs_ipc_stats st;
	cJSON *doc = cs_state_new(s->cfg, s->started_ms);
	int rc;

	if (!doc)
		return;
	cs_ipc_thread_get_stats(s->ipc, &st);
	cs_state_set(doc, "ipc", cs_ipc_stats_json(&st));
	proxy_host_state(&s->proxy, doc);
	rc = cs_state_write(s->cfg->state_file, doc);
	if (rc)
		fprintf(stderr, PROG ": cannot write %s: %s\n", s->cfg->state_file, strerror(-rc));
	cJSON_Delete(doc);
}

static void reload(struct serve *s)
{
	struct cs_config *next = malloc(sizeof(*next));
	char err[512];

	if (!next || cli_load_config(PROG, s->config_arg, next)) {
		fprintf(stderr, PROG ": reload refused, keeping the running configuration\n");
		free(next);
		return;
	}
	if (strcmp(next->pid_file, s->cfg->pid_file))
		fprintf(stderr, PROG ": pid_file changes need a restart; keeping %s\n",
			s->cfg->pid_file);
	if (proxy_host_apply(&s->proxy, next, err, sizeof(err)))
		fprintf(stderr, PROG ": proxy: %s%s\n", err,
			s->proxy.px ? " (still running with the old settings)" : "");
	free(s->cfg);
	s->cfg = next;
	cs_ipc_thread_set_config(s->ipc, s->cfg);
	fprintf(stderr, PROG ": configuration reloaded (sha256 %s)\n", s->cfg->config_sha256);
}

/* 1 to go on, 0 to stop. */
static int handle_signals(struct serve *s)
{
	struct signalfd_siginfo si;

	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(s);
		else
			return 0;
	}
	return 1;
}

/* Signals, state.json and pruning; the IPC thread answers tasks meanwhile. */
static int loop(struct serve *s)
{
	for (;;) {
		uint64_t now = cs_now_ms();
		int timeout = s->next_state_ms > now ? (int)(s->next_state_ms - now) : 0;
		struct pollfd pfd = {.fd = s->sfd, .events = POLLIN};

		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
			return CS_EXIT_ERROR;
		}
		if ((pfd.revents & POLLIN) && !handle_signals(s))
			return CS_EXIT_OK;
		if (cs_now_ms() >= s->next_state_ms) {
			write_state(s);
			s->next_state_ms = cs_now_ms() + STATE_INTERVAL_MS;
		}
		/* Retention by age, for logs written by a proxy running beside us. */
		if (cs_now_ms() >= s->next_prune_ms) {
			cs_logstore_prune(s->cfg);
			s->next_prune_ms = cs_now_ms() + PRUNE_INTERVAL_MS;
		}
	}
}

static int start(struct serve *s)
{
	char err[512], log_file[PATH_MAX];
	sigset_t set;

	if (cs_lock_acquire(&s->lock, s->cfg->pid_file, err, sizeof(err))) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	if (s->lock.took_over)
		fprintf(stderr, PROG ": took over the stale pid file of pid %d\n",
			s->lock.stale_pid);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sfd < 0) {
		fprintf(stderr, PROG ": signalfd: %s\n", strerror(errno));
		return -1;
	}
	/* After the mask: the IPC and proxy threads must not take our signals. */
	s->ipc = cs_ipc_thread_start(s->cfg, err, sizeof(err));
	if (!s->ipc) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	if (s->cfg->proxy_enabled) {
		if (proxy_host_start(&s->proxy, s->cfg, err, sizeof(err))) {
			fprintf(stderr, PROG ": proxy: %s\n", err);
			return -1;
		}
		fprintf(stderr, PROG ": proxy listening on %s, https inspection %s\n",
			cs_proxy_listen_addr(s->proxy.px), s->cfg->https_inspection ? "on" : "off");
	}
	cs_logstore_path(s->cfg->log_dir, log_file, sizeof(log_file));
	if (cs_metrics_start(s->cfg->metrics_listen, "serve", log_file, err, sizeof(err)))
		fprintf(stderr, PROG ": metrics off: %s\n", err);
	if (cs_ship_start(s->cfg, err, sizeof(err)))
		fprintf(stderr, PROG ": shipping off: %s\n", err);
	fprintf(stderr, PROG ": pid %d, %zu IPC root glob(s), state %s\n", (int)getpid(),
		s->cfg->n_ipc_roots, s->cfg->state_file);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct serve s = {.sfd = -1};
	int opt, rc = CS_EXIT_ERROR;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (opt == 'c') {
			s.config_arg = optarg;
		} else {
			usage(opt == 'h' ? stdout : stderr);
			return opt == 'h' ? CS_EXIT_OK : CS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return CS_EXIT_USAGE;
	}
	s.cfg = malloc(sizeof(*s.cfg));
	if (!s.cfg || cli_load_config(PROG, s.config_arg, s.cfg)) {
		free(s.cfg);
		return CS_EXIT_ERROR;
	}
	s.lock.fd = -1;
	proxy_host_init(&s.proxy);
	s.started_ms = cs_now_ms();
	if (!start(&s)) {
		rc = loop(&s);
		proxy_host_stop(&s.proxy);
		write_state(&s); /* the last word: proxy off */
		cs_metrics_stop();
		cs_ship_stop();
		fprintf(stderr, PROG ": stopped\n");
	}
	if (s.sfd >= 0)
		close(s.sfd);
	proxy_host_destroy(&s.proxy);
	cs_ipc_thread_stop(s.ipc);
	cs_lock_release(&s.lock);
	free(s.cfg);
	return rc;
}
