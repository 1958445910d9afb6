// SPDX-License-Identifier: MIT
/*
 * fold.c - serialising the summary of folded repeats. The strings were
 * copied whole from a finding the detector already cleaned, so they are
 * valid UTF-8 here too.
 */
#include "fold.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

/* Whole seconds from the reported finding to its last repeat, at least 1. */
static unsigned long long span_seconds(const struct cs_finding *f)
{
	uint64_t ms = f->fold_last_ms > f->fold_first_ms ? f->fold_last_ms - f->fold_first_ms : 0;

	return ms ? (unsigned long long)((ms + 999) / 1000) : 1;
}

void cs_fold_message(const struct cs_finding *f, char *out, size_t len)
{
	snprintf(out, len, "%llu more of pattern %s to %s in the last %llu s",
		 (unsigned long long)f->folded, f->pattern, f->dest, span_seconds(f));
}

static bool add_ts(cJSON *o, const char *key, uint64_t ms)
{
	char ts[CS_TIMESTAMP_LEN];

	cs_format_timestamp(ms, ts);
	return cJSON_AddStringToObject(o, key, ts) != NULL;
}

struct cJSON *cs_fold_to_json(const struct cs_finding *f)
{
	char msg[512];
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cs_fold_message(f, msg, sizeof(msg));
	if (!cJSON_AddStringToObject(o, "schema_version", CS_FOLD_SCHEMA) ||
	    !cJSON_AddStringToObject(o, "platform", CS_PLATFORM) ||
	    !cJSON_AddStringToObject(o, "direction", cs_direction_name(f->direction)) ||
	    !cJSON_AddStringToObject(o, "protocol", f->protocol) ||
	    !cJSON_AddStringToObject(o, "threat_type", cs_threat_name(f->threat)) ||
	    !cJSON_AddStringToObject(o, "pattern", f->pattern) ||
	    !cJSON_AddStringToObject(o, "severity", cs_severity_name(f->severity)) ||
	    !cJSON_AddStringToObject(o, "source", f->source) ||
	    !cJSON_AddStringToObject(o, "dest", f->dest) ||
	    !cJSON_AddNumberToObject(o, "count", (double)f->folded) ||
	    !add_ts(o, "first_seen", f->fold_first_ms) ||
	    !add_ts(o, "last_seen", f->fold_last_ms) ||
	    !cJSON_AddNumberToObject(o, "window_seconds", (double)f->fold_window_ms / 1000.0) ||
	    !cJSON_AddStringToObject(o, "message", msg) ||
	    !add_ts(o, "timestamp", f->timestamp_ms)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* A string member copied whole into dst (refused when missing or too long). */
static int take(const cJSON *obj, const char *key, char *dst, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
		return -1;
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

static int take_ts(const cJSON *obj, const char *key, uint64_t *ms)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? cs_parse_timestamp(v->valuestring, ms) : -1;
}

int cs_fold_from_json(const struct cJSON *obj, struct cs_finding *out)
{
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(obj, "count");
	const cJSON *win = cJSON_GetObjectItemCaseSensitive(obj, "window_seconds");
	char sev[16], dir[16], threat[16];
	struct cs_finding f;

	memset(&f, 0, sizeof(f));
	if (!cs_fold_record(obj) || !cJSON_IsNumber(count) || count->valuedouble < 1 ||
	    !cJSON_IsNumber(win) || win->valuedouble < 0 ||
	    take(obj, "pattern", f.pattern, sizeof(f.pattern)) ||
	    take(obj, "protocol", f.protocol, sizeof(f.protocol)) ||
	    take(obj, "source", f.source, sizeof(f.source)) ||
	    take(obj, "dest", f.dest, sizeof(f.dest)) || take(obj, "severity", sev, sizeof(sev)) ||
	    take(obj, "direction", dir, sizeof(dir)) ||
	    take(obj, "threat_type", threat, sizeof(threat)) ||
	    cs_severity_parse(sev, &f.severity) || cs_direction_parse(dir, &f.direction) ||
	    cs_threat_parse(threat, &f.threat) || take_ts(obj, "first_seen", &f.fold_first_ms) ||
	    take_ts(obj, "last_seen", &f.fold_last_ms) ||
	    take_ts(obj, "timestamp", &f.timestamp_ms))
		return -1;
	f.folded = (uint64_t)count->valuedouble;
	f.fold_window_ms = (uint64_t)(win->valuedouble * 1000);
	*out = f;
	return 0;
}

bool cs_fold_record(const struct cJSON *obj)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, "schema_version");

	return cJSON_IsString(s) && strcmp(s->valuestring, CS_FOLD_SCHEMA) == 0;
}
