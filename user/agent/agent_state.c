/* SPDX-License-Identifier: MIT */
/* agent_state.c - the live state file, clawsec-traffic-state/v1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cjson/cJSON.h>

#include "agent_internal.h"
#include "ipc.h"
#include "state.h"

static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
	if (s[0])
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

/*
 * What watching costs: this process's CPU (all its threads: capture,
 * decoding, IPC, proxy) and the BPF programs' run time in the traced
 * processes, counted by the kernel only with bpf_stats (or the sysctl).
 */
static void add_cost(cJSON *c, const struct agent *a)
{
	struct rusage ru;
	double cpu = 0;

	if (!getrusage(RUSAGE_SELF, &ru))
		cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	cJSON_AddNumberToObject(c, "agent_cpu_seconds", cpu);
	cJSON_AddBoolToObject(c, "bpf_run_time_counted", a->bpf_cost.counted);
	cJSON_AddNumberToObject(c, "bpf_runs", (double)a->bpf_cost.runs);
	cJSON_AddNumberToObject(c, "bpf_run_seconds", (double)a->bpf_cost.run_ns / 1e9);
}

/* The hold at exec (docs/capture.md, "No cold start"): how often, how long. */
static cJSON *hold_json(const struct agent *a)
{
	const struct cs_hold_stats *h = &a->hold_stats;
	uint64_t n = h->released + h->released_late + h->released_exit + h->left_stopped +
		     h->resumed_other + h->gone;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "enabled", a->holds && a->conf->cfg.hold_exec);
	cJSON_AddNumberToObject(o, "holds", (double)n);
	cJSON_AddNumberToObject(o, "released", (double)h->released);
	cJSON_AddNumberToObject(o, "released_late", (double)h->released_late);
	cJSON_AddNumberToObject(o, "released_at_exit", (double)h->released_exit);
	cJSON_AddNumberToObject(o, "left_to_other_stopper", (double)h->left_stopped);
	cJSON_AddNumberToObject(o, "resumed_by_other", (double)h->resumed_other);
	cJSON_AddNumberToObject(o, "gone", (double)h->gone);
	cJSON_AddNumberToObject(o, "not_held", (double)a->stats[CS_STAT_HOLD_FAIL]);
	cJSON_AddNumberToObject(o, "ms_max", (double)h->max_ns / 1e6);
	cJSON_AddNumberToObject(o, "ms_avg", n ? (double)h->total_ns / 1e6 / (double)n : 0);
	return o;
}

/* The capture thread's CPU class (cpu_yield.h): how often it had to be raised. */
static cJSON *yield_json(const struct agent *a)
{
	const struct cs_cpu_yield_stats *y = &a->yield_stats;
	cJSON *o = cJSON_CreateObject(), *why = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "enabled", y->enabled);
	cJSON_AddNumberToObject(o, "raises", (double)y->raises);
	cJSON_AddNumberToObject(why, "backlog", (double)y->by_why[CS_YIELD_BACKLOG]);
	cJSON_AddNumberToObject(why, "long_pass", (double)y->by_why[CS_YIELD_LONG_PASS]);
	cJSON_AddNumberToObject(why, "starved", (double)y->by_why[CS_YIELD_STARVED]);
	cJSON_AddItemToObject(o, "raised_because", why);
	cJSON_AddNumberToObject(o, "raised_seconds", (double)y->raised_ns / 1e9);
	return o;
}

static cJSON *capture_json(const struct agent *a)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddBoolToObject(c, "enabled", a->probes != NULL);
	cJSON_AddNumberToObject(c, "events", (double)a->stats[CS_STAT_EVENTS]);
	cJSON_AddNumberToObject(c, "events_per_sec", (double)a->events_per_sec);
	cJSON_AddNumberToObject(c, "bytes", (double)a->stats[CS_STAT_BYTES]);
	cJSON_AddNumberToObject(c, "ringbuf_full", (double)a->stats[CS_STAT_RB_FULL]);
	cJSON_AddNumberToObject(c, "bytes_cut", (double)a->stats[CS_STAT_BYTES_CUT]);
	cJSON_AddNumberToObject(c, "bytes_lost", (double)a->stats[CS_STAT_BYTES_LOST]);
	cJSON_AddNumberToObject(c, "missed_returns", (double)a->stats[CS_STAT_MISSED_RET]);
	cJSON_AddNumberToObject(c, "read_failures", (double)a->stats[CS_STAT_READ_FAIL]);
	add_cost(c, a);
	cJSON_AddItemToObject(c, "hold_exec", hold_json(a));
	cJSON_AddItemToObject(c, "yield_cpu", yield_json(a));
	return c;
}

static cJSON *target_json(const struct cs_target *t)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "pid", t->pid);
	cJSON_AddStringToObject(o, "comm", t->comm);
	add_str_or_null(o, "container", t->container);
	add_str_or_null(o, "group", t->group);
	add_str_or_null(o, "session", t->session);
	add_str_or_null(o, "folder", t->folder);
	cJSON_AddStringToObject(o, "tls_path", cs_tls_path_name(t->tls));
	cJSON_AddStringToObject(o, "binary", t->binary_shown);
	cJSON_AddBoolToObject(o, "attached", t->attached);
	cJSON_AddBoolToObject(o, "tls_visible", t->tls != CS_TLS_NONE && t->attached);
	cJSON_AddBoolToObject(o, "net_io", t->net_io);
	cJSON_AddStringToObject(o, "note", t->note);
	return o;
}

static cJSON *targets_json(struct agent *a)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; a->targets && i < cs_targets_count(a->targets); i++)
		cJSON_AddItemToArray(arr, target_json(cs_targets_at(a->targets, i)));
	return arr;
}

static cJSON *findings_json(struct agent *a, bool by_family)
{
	cJSON *o = cJSON_CreateObject();

	pthread_mutex_lock(&a->mu);
	if (by_family) {
		for (size_t i = 0; i < cs_family_count() && i < CS_AGENT_MAX_FAMILIES; i++)
			if (a->by_family[i])
				cJSON_AddNumberToObject(o, cs_family_id(i),
							(double)a->by_family[i]);
	} else {
		for (int s = CS_SEV_LOW; s <= CS_SEV_CRITICAL; s++)
			cJSON_AddNumberToObject(o, cs_severity_name(s), (double)a->by_severity[s]);
	}
	pthread_mutex_unlock(&a->mu);
	return o;
}

/* The capture's and the proxy's detectors together: one "detector" block. */
static void add_proxy_detector(struct agent *a, struct cs_detector_stats *ds)
{
	struct cs_proxy_stats ps;
	const struct cs_detector_stats *p = &ps.detector;

	cs_proxy_get_stats(a->proxy, &ps);
	ds->bytes_in += p->bytes_in;
	ds->bytes_scanned += p->bytes_scanned;
	ds->bytes_unscanned += p->bytes_unscanned;
	ds->messages += p->messages;
	ds->decode_errors += p->decode_errors;
	ds->decode_truncated += p->decode_truncated;
	ds->regex_limit_hits += p->regex_limit_hits;
	ds->findings += p->findings;
	ds->findings_suppressed += p->findings_suppressed;
	ds->fold_summaries += p->fold_summaries;
	ds->flows_open += p->flows_open;
}

static cJSON *state_json(struct agent *a)
{
	struct cs_detector_stats ds = {0};
	struct cs_jsonl_stats ws = {0};
	struct cs_ipc_stats is;
	cJSON *s = cs_state_new(&a->conf->cfg, a->started_ms);

	if (!s)
		return NULL;
	if (a->det) {
		cs_detector_sweep_folds(a->det, false); /* folds end in the log, not in memory */
		cs_detector_get_stats(a->det, &ds);
	}
	if (a->proxy)
		add_proxy_detector(a, &ds);
	if (a->log)
		cs_jsonl_get_stats(a->log, &ws);
	cs_state_set(s, "capture", capture_json(a));
	cs_state_set(s, "detector", cs_state_detector_json(&ds));
	cs_state_set(s, "writer", cs_state_writer_json(&ws));
	cs_state_set(s, "targets", targets_json(a));
	cs_state_set(s, "findings_by_pattern", findings_json(a, true));
	cs_state_set(s, "findings_by_severity", findings_json(a, false));
	if (a->proxy)
		cs_state_set(s, "proxy", cs_proxy_state_json(a->proxy));
	if (a->ipc) {
		cs_ipc_thread_get_stats(a->ipc, &is);
		cs_state_set(s, "ipc", cs_ipc_stats_json(&is));
	}
	return s;
}

int cs_agent_write_state(struct agent *a)
{
	cJSON *s = state_json(a);
	char *text;
	int rc;

	if (!a->state_writer) {
		rc = s ? cs_state_write(a->conf->cfg.state_file, s) : -ENOMEM;
		cJSON_Delete(s);
		return rc;
	}
	text = s ? cs_state_render(s) : NULL;
	cJSON_Delete(s);
	if (!text)
		return -ENOMEM;
	return cs_state_file_writer_submit(a->state_writer, a->conf->cfg.state_file, text);
}
