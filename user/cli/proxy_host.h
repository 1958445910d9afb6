/* SPDX-License-Identifier: MIT */
/*
 * proxy_host.h - the explicit proxy as run by a CLI process (`proxy` alone,
 * or `serve` with proxy.enabled): the proxy on its own thread, the findings
 * log it writes to, and the finding counts for the state file.
 *
 * Start it only once SIGTERM/SIGINT/SIGHUP are blocked in the calling
 * thread: its threads inherit the mask, so signals reach the owner's loop.
 */
#ifndef CLAWSEC_PROXY_HOST_H
#define CLAWSEC_PROXY_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "finding.h"
#include "jsonl.h"
#include "proxy.h"

#define PROXY_HOST_MAX_FAMILIES 64

struct proxy_host {
	struct cs_proxy *px; /* NULL when not running */
	struct cs_jsonl *log;
	struct cs_config log_cfg; /* the settings log was opened with */
	pthread_mutex_t mu;	  /* the counts: written on the proxy thread */
	uint64_t by_severity[CS_SEV_CRITICAL + 1];
	char families[PROXY_HOST_MAX_FAMILIES][32];
	uint64_t by_family[PROXY_HOST_MAX_FAMILIES];
	size_t nfam;
};

void proxy_host_init(struct proxy_host *h);
/* Open the findings log and start serving on c->proxy_listen; 0 or -1 with err. */
int proxy_host_start(struct proxy_host *h, const struct cs_config *c, char *err, size_t errlen);
/*
 * Apply a new configuration: start, stop, reload in place, or restart when
 * the findings log settings changed. A refused reload in place keeps the
 * running proxy; a failed (re)start leaves it stopped. 0 or -1 with err.
 */
int proxy_host_apply(struct proxy_host *h, const struct cs_config *c, char *err, size_t errlen);
/* Fill the "proxy", "detector", "writer" and findings_by_* blocks of a state document. */
void proxy_host_state(struct proxy_host *h, struct cJSON *st);
/* Stop serving (the port is free on return) and close the log. */
void proxy_host_stop(struct proxy_host *h);
void proxy_host_destroy(struct proxy_host *h);

#endif
