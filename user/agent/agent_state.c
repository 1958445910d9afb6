/* SPDX-License-Identifier: MIT */
/* agent_state.c - the live state file, clawsec-traffic-state/v1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent_internal.h"
#include "fsutil.h"

#define STATE_SCHEMA "clawsec-traffic-state/v1"

static void add_ts(cJSON *o, const char *key, uint64_t ms)
{
	char ts[CS_TIMESTAMP_LEN];

	cs_format_timestamp(ms, ts);
	cJSON_AddStringToObject(o, key, ts);
}

static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
	if (s[0])
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
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
	return c;
}

static cJSON *detector_json(const struct agent *a)
{
	struct cs_detector_stats s = {0};
	cJSON *d = cJSON_CreateObject();

	if (a->det)
		cs_detector_get_stats(a->det, &s);
	cJSON_AddNumberToObject(d, "bytes_in", (double)s.bytes_in);
	cJSON_AddNumberToObject(d, "bytes_scanned", (double)s.bytes_scanned);
	cJSON_AddNumberToObject(d, "bytes_unscanned", (double)s.bytes_unscanned);
	cJSON_AddNumberToObject(d, "messages", (double)s.messages);
	cJSON_AddNumberToObject(d, "decode_errors", (double)s.decode_errors);
	cJSON_AddNumberToObject(d, "decode_truncated", (double)s.decode_truncated);
	cJSON_AddNumberToObject(d, "regex_limit_hits", (double)s.regex_limit_hits);
	cJSON_AddNumberToObject(d, "findings", (double)s.findings);
	cJSON_AddNumberToObject(d, "findings_suppressed", (double)s.findings_suppressed);
	cJSON_AddNumberToObject(d, "flows_open", (double)s.flows_open);
	return d;
}

static cJSON *writer_json(const struct agent *a)
{
	struct cs_jsonl_stats s = {0};
	cJSON *w = cJSON_CreateObject();

	if (a->log)
		cs_jsonl_get_stats(a->log, &s);
	cJSON_AddNumberToObject(w, "lines", (double)s.lines);
	cJSON_AddNumberToObject(w, "write_failures", (double)s.write_failures);
	cJSON_AddNumberToObject(w, "rotations", (double)s.rotations);
	return w;
}

static cJSON *target_json(const struct cs_target *t)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "pid", t->pid);
	cJSON_AddStringToObject(o, "comm", t->comm);
	add_str_or_null(o, "container", t->container);
	add_str_or_null(o, "group", t->group);
	cJSON_AddStringToObject(o, "tls_path", cs_tls_path_name(t->tls));
	cJSON_AddStringToObject(o, "binary", t->binary_shown);
	cJSON_AddBoolToObject(o, "attached", t->attached);
	cJSON_AddBoolToObject(o, "tls_visible", t->tls != CS_TLS_NONE && t->attached);
	cJSON_AddStringToObject(o, "note", t->note);
	return o;
}

static cJSON *targets_json(struct agent *a)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < cs_targets_count(a->targets); i++)
		cJSON_AddItemToArray(arr, target_json(cs_targets_at(a->targets, i)));
	return arr;
}

static cJSON *findings_json(const struct agent *a, bool by_family)
{
	cJSON *o = cJSON_CreateObject();

	if (by_family) {
		for (size_t i = 0; i < cs_family_count() && i < CS_AGENT_MAX_FAMILIES; i++)
			if (a->by_family[i])
				cJSON_AddNumberToObject(o, cs_family_id(i),
							(double)a->by_family[i]);
		return o;
	}
	for (int s = CS_SEV_LOW; s <= CS_SEV_CRITICAL; s++)
		cJSON_AddNumberToObject(o, cs_severity_name(s), (double)a->by_severity[s]);
	return o;
}

/* The agent runs no proxy; the section says so with zero counters. */
static cJSON *proxy_json(const struct agent *a)
{
	cJSON *p = cJSON_CreateObject();
	static const char *const zero[] = {"connections",    "active",	  "bytes_up",
					   "bytes_down",     "inspected", "tunnelled",
					   "upstream_errors"};

	cJSON_AddBoolToObject(p, "enabled", false);
	cJSON_AddStringToObject(p, "listen", a->conf->cfg.proxy_listen);
	cJSON_AddBoolToObject(p, "https_inspection", false);
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		cJSON_AddNumberToObject(p, zero[i], 0);
	return p;
}

static cJSON *state_json(struct agent *a)
{
	cJSON *s = cJSON_CreateObject();

	cJSON_AddStringToObject(s, "schema", STATE_SCHEMA);
	cJSON_AddNumberToObject(s, "pid", getpid());
	add_ts(s, "started_at", a->started_ms);
	add_ts(s, "updated_at", cs_now_ms());
	cJSON_AddStringToObject(s, "mode", "detect");
	cJSON_AddStringToObject(s, "config_path", a->conf->cfg.config_path);
	cJSON_AddStringToObject(s, "config_sha256", a->conf->cfg.config_sha256);
	cJSON_AddStringToObject(s, "log_file", a->log ? cs_jsonl_path(a->log) : "");
	cJSON_AddItemToObject(s, "capture", capture_json(a));
	cJSON_AddItemToObject(s, "detector", detector_json(a));
	cJSON_AddItemToObject(s, "writer", writer_json(a));
	cJSON_AddItemToObject(s, "targets", targets_json(a));
	cJSON_AddItemToObject(s, "findings_by_pattern", findings_json(a, true));
	cJSON_AddItemToObject(s, "findings_by_severity", findings_json(a, false));
	cJSON_AddItemToObject(s, "proxy", proxy_json(a));
	return s;
}

int cs_agent_write_state(struct agent *a)
{
	cJSON *s = state_json(a);
	char *text = cJSON_PrintUnformatted(s);
	int rc = -ENOMEM;

	cJSON_Delete(s);
	if (text) {
		rc = cs_write_file_atomic(a->conf->cfg.state_file, text, strlen(text), 0600);
		free(text);
	}
	return rc;
}
