/* SPDX-License-Identifier: MIT */
/* proxy_host.c - run the proxy beside a CLI process's own loop. */
#include "proxy_host.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "logstore.h"
#include "metrics.h"
#include "ship.h"
#include "state.h"

void proxy_host_init(struct proxy_host *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
}

/* Proxy thread: log the finding and count it for the state file. */
static void on_finding(void *ctx, const struct cs_finding *f)
{
	struct proxy_host *h = ctx;
	size_t i;

	cs_jsonl_append_finding(h->log, f); /* thread-safe */
	cs_ship_finding(f);
	if (f->folded)
		return; /* a summary of repeats, counted by the detector */
	cs_metrics_count_finding(f);
	pthread_mutex_lock(&h->mu);
	if (f->severity <= CS_SEV_CRITICAL)
		h->by_severity[f->severity]++;
	for (i = 0; i < h->nfam && strcmp(h->families[i], f->pattern); i++)
		;
	if (i == h->nfam && h->nfam < PROXY_HOST_MAX_FAMILIES)
		snprintf(h->families[h->nfam++], sizeof(h->families[0]), "%s", f->pattern);
	if (i < h->nfam)
		h->by_family[i]++;
	pthread_mutex_unlock(&h->mu);
}

static bool same_log(const struct cs_config *x, const struct cs_config *y)
{
	return !strcmp(x->log_dir, y->log_dir) && x->rotate_bytes == y->rotate_bytes &&
	       x->rotate_keep == y->rotate_keep && x->fsync == y->fsync &&
	       x->fsync_interval_ms == y->fsync_interval_ms &&
	       x->retention_days == y->retention_days;
}

int proxy_host_start(struct proxy_host *h, const struct cs_config *c, char *err, size_t errlen)
{
	int rc;

	h->log = cs_logstore_open(c, err, errlen);
	if (!h->log)
		return -1;
	h->log_cfg = *c;
	h->px = cs_proxy_new(c, on_finding, h, err, errlen);
	if (!h->px) {
		proxy_host_stop(h);
		return -1;
	}
	rc = cs_proxy_start(h->px);
	if (rc) {
		snprintf(err, errlen, "cannot start the proxy thread: %s", strerror(-rc));
		proxy_host_stop(h);
		return -1;
	}
	return 0;
}

int proxy_host_apply(struct proxy_host *h, const struct cs_config *c, char *err, size_t errlen)
{
	if (!c->proxy_enabled) {
		proxy_host_stop(h);
		return 0;
	}
	if (!h->px)
		return proxy_host_start(h, c, err, errlen);
	if (same_log(c, &h->log_cfg))
		return cs_proxy_reload(h->px, c, err, errlen);
	/* A new log: free the port first, then bind again; on failure nothing runs. */
	proxy_host_stop(h);
	return proxy_host_start(h, c, err, errlen);
}

static cJSON *counts_json(struct proxy_host *h, bool by_family)
{
	cJSON *o = cJSON_CreateObject();

	pthread_mutex_lock(&h->mu);
	if (by_family) {
		for (size_t i = 0; i < h->nfam; i++)
			cJSON_AddNumberToObject(o, h->families[i], (double)h->by_family[i]);
	} else {
		for (int v = CS_SEV_LOW; v <= CS_SEV_CRITICAL; v++)
			cJSON_AddNumberToObject(o, cs_severity_name(v), (double)h->by_severity[v]);
	}
	pthread_mutex_unlock(&h->mu);
	return o;
}

void proxy_host_state(struct proxy_host *h, cJSON *st)
{
	struct cs_proxy_stats ps;
	struct cs_jsonl_stats js;

	cs_state_set(st, "findings_by_pattern", counts_json(h, true));
	cs_state_set(st, "findings_by_severity", counts_json(h, false));
	if (!h->px)
		return;
	cs_proxy_get_stats(h->px, &ps);
	cs_jsonl_get_stats(h->log, &js);
	cs_state_set(st, "proxy", cs_proxy_state_json(h->px));
	cs_state_set(st, "detector", cs_state_detector_json(&ps.detector));
	cs_state_set(st, "writer", cs_state_writer_json(&js));
}

void proxy_host_stop(struct proxy_host *h)
{
	cs_proxy_free(h->px); /* joins the thread: no finding arrives after this */
	h->px = NULL;
	cs_jsonl_close(h->log);
	h->log = NULL;
}

void proxy_host_destroy(struct proxy_host *h)
{
	proxy_host_stop(h);
	pthread_mutex_destroy(&h->mu);
}
