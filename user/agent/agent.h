/* SPDX-License-Identifier: MIT */
/*
 * agent.h - the eBPF host agent: targets -> probes -> flows -> detector ->
 * findings.jsonl, in one foreground event loop.
 *
 * The loop waits (epoll) on the ring buffer, a signalfd and a timer.
 * SIGTERM/SIGINT detach every probe and exit 0; SIGHUP reloads the config
 * (a bad one is refused and the running one kept). About once a second the
 * live state goes to state.json (the `clawsec-traffic-state/v1` format read
 * by `clawsec-traffic status`). Only redacted findings are ever logged.
 */
#ifndef CLAWSEC_AGENT_H
#define CLAWSEC_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define CS_AGENT_EXIT_ERROR 1

struct cs_agent_opts {
	const char *config_path;   /* NULL: the usual lookup (see config.h) */
	int pids[CS_CFG_MAX_LIST]; /* --pid, added to the config's */
	size_t n_pids;
	const char *log_dir;	/* overrides log_dir */
	const char *state_file; /* overrides state_file */
	uint32_t ringbuf_bytes; /* 0: from the config */
	uint32_t capture_cap;	/* 0: from the config */
};

/* Runs until SIGTERM/SIGINT; returns the process exit status. */
int cs_agent_run(const struct cs_agent_opts *o);

/* Why this process cannot load BPF programs, or NULL when it can. */
const char *cs_agent_privilege_problem(void);

#endif
