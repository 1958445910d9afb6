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

bool cs_fold_record(const struct cJSON *obj)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, "schema_version");

	return cJSON_IsString(s) && strcmp(s->valuestring, CS_FOLD_SCHEMA) == 0;
}
