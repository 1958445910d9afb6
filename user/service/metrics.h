/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - the Prometheus /metrics endpoint of the agent, `serve` or a
 * standalone `proxy` (one per process). It runs on its own thread with its
 * own listening socket: capture and the state writer only ever hand it a
 * copy of the state document (cs_metrics_publish, O(1) under a lock) and
 * count findings, so a slow or hostile scraper can never stall them. Each
 * connection has a deadline and at most CS_METRICS_MAX_CONNS are open;
 * more are refused and counted. Read-only: GET /metrics, nothing else.
 */
#ifndef CLAWSEC_METRICS_H
#define CLAWSEC_METRICS_H

#include <stddef.h>

#include "finding.h"

#define CS_METRICS_MAX_CONNS 8
#define CS_METRICS_DEADLINE_MS 3000 /* a whole exchange, request to last byte */

struct cJSON;

/*
 * Serve /metrics on listen ("host:port"; "" = off: returns 0 and does
 * nothing) for `process` ("agent", "serve", "proxy"). log_file is the
 * findings log to hash for the info metric. 0, or -1 with a reason in err.
 */
int cs_metrics_start(const char *listen, const char *process, const char *log_file, char *err,
		     size_t errlen);
/* Stop the thread and close the socket; a no-op when not started. */
void cs_metrics_stop(void);
/* The address actually bound ("127.0.0.1:9477"), or "" when off. */
const char *cs_metrics_address(void);
/* The next scrape shows a copy of this state document. Any thread; cheap when off. */
void cs_metrics_publish(const struct cJSON *state);
/* Count one finding (not fold summaries) by pattern, severity and direction. */
void cs_metrics_count_finding(const struct cs_finding *f);

#endif
