/* SPDX-License-Identifier: MIT */
#include "tasks.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings_cache.h"
#include "logstore.h"
#include "state.h"

static const char *const task_types[] = {
	"clawsec_traffic_status",
	"clawsec_traffic_findings",
	"clawsec_traffic_check_config",
};

static const char *const task_keys[] = {
	"type", "requestId", "groupFolder", "timestamp", "timeout_ms", "args",
};

bool cs_request_id_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= CS_TASK_ID_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static bool known_key(const char *k, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

static const char *invalid(char *msg, size_t msglen, const char *fmt, const char *arg)
{
	snprintf(msg, msglen, fmt, arg);
	return CS_ERR_INVALID_TASK;
}

static const char *parse_findings_args(const cJSON *args, struct cs_task *t, char *msg,
				       size_t msglen)
{
	static const char *const keys[] = {"since", "severity", "pattern", "limit"};
	const cJSON *it;

	cJSON_ArrayForEach(it, args) {
		if (!known_key(it->string, keys, 4))
			return invalid(msg, msglen, "unknown argument \"%.40s\"", it->string);
	}
	it = cJSON_GetObjectItemCaseSensitive(args, "since");
	if (it && (!cJSON_IsString(it) || cs_parse_timestamp(it->valuestring, &t->since_ms)))
		return invalid(msg, msglen, "%s",
			       "args.since must be a timestamp like "
			       "2026-01-01T00:00:00.000Z");
	it = cJSON_GetObjectItemCaseSensitive(args, "severity");
	if (it) {
		if (!cJSON_IsString(it) || cs_severity_parse(it->valuestring, &t->severity))
			return invalid(msg, msglen, "%s",
				       "args.severity must be low, medium, high or critical");
		t->has_severity = true;
	}
	it = cJSON_GetObjectItemCaseSensitive(args, "pattern");
	if (it && (!cJSON_IsString(it) || !it->valuestring[0] ||
		   strlen(it->valuestring) >= sizeof(t->pattern) ||
		   strspn(it->valuestring, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
			   strlen(it->valuestring)))
		return invalid(msg, msglen, "%s",
			       "args.pattern must be a family id [a-z0-9_]{1,31}");
	if (it)
		snprintf(t->pattern, sizeof(t->pattern), "%s", it->valuestring);
	it = cJSON_GetObjectItemCaseSensitive(args, "limit");
	if (it && (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
		   it->valuedouble < 1 || it->valuedouble > CS_FINDINGS_LIMIT_MAX))
		return invalid(msg, msglen, "%s", "args.limit must be an integer 1..500");
	if (it)
		t->limit = (unsigned)it->valuedouble;
	return NULL;
}

static const char *parse_args(const cJSON *args, struct cs_task *t, char *msg, size_t msglen)
{
	if (!args)
		return NULL;
	if (!cJSON_IsObject(args))
		return invalid(msg, msglen, "%s", "args must be an object");
	if (!strcmp(t->type, "clawsec_traffic_findings"))
		return parse_findings_args(args, t, msg, msglen);
	if (args->child)
		return invalid(msg, msglen, "%s takes no arguments", t->type);
	return NULL;
}

/*
 * The first name that appears twice in an object (cJSON keeps both, and a
 * lookup silently takes the first), or NULL. Only the first max + 1 members
 * are compared (bounded work): an object of `max` known names that has more
 * members repeats one of them among those, or holds an unknown name, which
 * check_fields() refuses.
 */
static const char *duplicate_key(const cJSON *obj, size_t max)
{
	size_t n = 0;

	for (const cJSON *a = obj->child; a; a = a->next, n++) {
		if (n > max)
			return NULL;
		for (const cJSON *b = obj->child; b != a; b = b->next)
			if (!strcmp(a->string, b->string))
				return a->string;
	}
	return NULL;
}

/*
 * Does a string of this (valid) JSON text hold the escape \u0000? cJSON
 * would hand it over cut at the NUL, e.g. a requestId "a\u0000b" as "a".
 */
static bool has_escaped_nul(const char *text, size_t len)
{
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		if (text[i] == '"') {
			in_string = !in_string;
		} else if (in_string && text[i] == '\\' && i + 1 < len) {
			i++;
			if (text[i] == 'u' && i + 4 < len && !memcmp(text + i + 1, "0000", 4))
				return true;
		}
	}
	return false;
}

/*
 * Structural refusals: a repeated field, a NUL in a string. The requestId
 * is kept for the answer only when it is beyond doubt: not itself repeated,
 * and, with a NUL about, exactly what the raw text says.
 */
static const char *check_structure(const cJSON *doc, const char *text, size_t len,
				   struct cs_task *t, char *msg, size_t msglen)
{
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(doc, "args");
	const char *dup = duplicate_key(doc, sizeof(task_keys) / sizeof(task_keys[0]));
	char raw_id[CS_TASK_ID_MAX + 1];

	if (!dup && cJSON_IsObject(args))
		dup = duplicate_key(args, 4);
	if (dup) {
		if (!strcmp(dup, "requestId"))
			t->request_id[0] = '\0';
		return invalid(msg, msglen, "duplicate field \"%.40s\"", dup);
	}
	if (has_escaped_nul(text, len)) {
		if (!cs_task_scan_request_id(text, len, raw_id) || strcmp(raw_id, t->request_id))
			t->request_id[0] = '\0';
		return invalid(msg, msglen, "%s", "a string holds \\u0000 (NUL)");
	}
	return NULL;
}

/* requestId and type first, so that every later error can be answered. */
static void read_identity(const cJSON *doc, struct cs_task *t)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "requestId");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "type");

	if (cJSON_IsString(id) && cs_request_id_valid(id->valuestring))
		snprintf(t->request_id, sizeof(t->request_id), "%s", id->valuestring);
	if (cJSON_IsString(type) && strlen(type->valuestring) <= CS_TASK_ID_MAX &&
	    strspn(type->valuestring, "abcdefghijklmnopqrstuvwxyz_") == strlen(type->valuestring))
		snprintf(t->type, sizeof(t->type), "%s", type->valuestring);
}

static const char *check_fields(const cJSON *doc, uint64_t now_ms, struct cs_task *t, char *msg,
				size_t msglen)
{
	const cJSON *it;
	bool known = false;

	cJSON_ArrayForEach(it, doc) {
		if (!known_key(it->string, task_keys, sizeof(task_keys) / sizeof(task_keys[0])))
			return invalid(msg, msglen, "unknown field \"%.40s\"", it->string);
	}
	if (!t->request_id[0])
		return invalid(msg, msglen, "%s", "requestId missing or not [A-Za-z0-9_-]{1,64}");
	it = cJSON_GetObjectItemCaseSensitive(doc, "type");
	if (!cJSON_IsString(it))
		return invalid(msg, msglen, "%s", "type missing or not a string");
	for (size_t i = 0; i < sizeof(task_types) / sizeof(task_types[0]); i++)
		known |= !strcmp(it->valuestring, task_types[i]);
	if (!known) {
		snprintf(msg, msglen, "unknown task type \"%.64s\"", it->valuestring);
		return CS_ERR_UNKNOWN_TYPE;
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "groupFolder");
	if (!cJSON_IsString(it) || strlen(it->valuestring) > 256)
		return invalid(msg, msglen, "%s", "groupFolder missing or not a string");
	it = cJSON_GetObjectItemCaseSensitive(doc, "timestamp");
	if (!cJSON_IsString(it) || cs_parse_timestamp(it->valuestring, &t->timestamp_ms))
		return invalid(msg, msglen, "%s",
			       "timestamp missing or not like "
			       "2026-01-01T00:00:00.000Z");
	if (t->timestamp_ms > now_ms + CS_TASK_FUTURE_SLACK_MS)
		return invalid(msg, msglen, "%s", "timestamp is in the future");
	it = cJSON_GetObjectItemCaseSensitive(doc, "timeout_ms");
	if (it && (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
		   it->valuedouble < 1 || it->valuedouble > 600000))
		return invalid(msg, msglen, "%s", "timeout_ms must be an integer 1..600000");
	if (it)
		t->timeout_ms = (uint32_t)it->valuedouble;
	return parse_args(cJSON_GetObjectItemCaseSensitive(doc, "args"), t, msg, msglen);
}

/*
 * The JSON document, or NULL when anything but white space follows it: cJSON
 * stops at the end of the first value, and a task is exactly one object (what
 * follows it would be read by no check, and could hide a second requestId).
 */
static cJSON *parse_one_document(const char *text, size_t len)
{
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, false);

	if (!doc || !end)
		return doc;
	for (const char *p = end; p < text + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			cJSON_Delete(doc);
			return NULL;
		}
	}
	return doc;
}

const char *cs_task_parse(const char *text, size_t len, uint64_t now_ms, struct cs_task *t,
			  char *msg, size_t msglen)
{
	cJSON *doc;
	const char *code;

	memset(t, 0, sizeof(*t));
	t->limit = CS_FINDINGS_LIMIT_DEFAULT;
	if (len > CS_TASK_MAX_BYTES) {
		cs_task_scan_request_id(text, len, t->request_id);
		snprintf(msg, msglen, "task is larger than %u bytes", CS_TASK_MAX_BYTES);
		return CS_ERR_TOO_LARGE;
	}
	doc = parse_one_document(text, len);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		/* A truncated or broken task can still name its requestId: answer it. */
		cs_task_scan_request_id(text, len, t->request_id);
		snprintf(msg, msglen, "task is not one JSON object");
		return CS_ERR_INVALID_JSON;
	}
	read_identity(doc, t);
	code = check_structure(doc, text, len, t, msg, msglen);
	if (!code)
		code = check_fields(doc, now_ms, t, msg, msglen);
	cJSON_Delete(doc);
	return code;
}

bool cs_task_scan_request_id(const char *text, size_t len, char out[CS_TASK_ID_MAX + 1])
{
	static const char key[] = "\"requestId\"";
	size_t end = len < CS_TASK_MAX_BYTES ? len : CS_TASK_MAX_BYTES;
	const char *p = memmem(text, end, key, sizeof(key) - 1);
	size_t n;

	out[0] = '\0';
	if (!p)
		return false;
	p += sizeof(key) - 1;
	while (p < text + end && (*p == ' ' || *p == ':' || *p == '\t'))
		p++;
	if (p >= text + end || *p++ != '"')
		return false;
	for (n = 0; p + n < text + end && n <= CS_TASK_ID_MAX && p[n] != '"'; n++)
		;
	if (p + n >= text + end || n == 0 || n > CS_TASK_ID_MAX)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	if (!cs_request_id_valid(out)) {
		out[0] = '\0';
		return false;
	}
	return true;
}

uint64_t cs_task_deadline(const struct cs_task *t, const struct cs_config *c)
{
	return t->timestamp_ms + (t->timeout_ms ? t->timeout_ms : c->task_timeout_ms);
}

/* ---- responses ---- */

static cJSON *response_base(const struct cs_task *t, bool ok)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "schema", CS_IPC_RESPONSE_SCHEMA);
	cJSON_AddStringToObject(r, "requestId", t->request_id);
	cJSON_AddStringToObject(r, "type", t->type);
	cJSON_AddBoolToObject(r, "ok", ok);
	return r;
}

cJSON *cs_task_response_ok(const struct cs_task *t, cJSON *result)
{
	cJSON *r = response_base(t, true);

	cJSON_AddItemToObject(r, "result", result);
	return r;
}

cJSON *cs_task_response_error(const struct cs_task *t, const char *code, const char *msg)
{
	cJSON *r = response_base(t, false), *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddItemToObject(r, "error", e);
	return r;
}

/* ---- status ---- */

static void copy_number(cJSON *dst, const cJSON *src, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, key);

	cJSON_AddNumberToObject(dst, key,
				cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : 0);
}

static void copy_string_or_null(cJSON *dst, const cJSON *src, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, key);

	if (cJSON_IsString(v))
		cJSON_AddStringToObject(dst, key, v->valuestring);
	else
		cJSON_AddNullToObject(dst, key);
}

static void copy_string(cJSON *dst, const cJSON *src, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, key);

	cJSON_AddStringToObject(dst, key, cJSON_IsString(v) ? v->valuestring : dflt);
}

static void copy_bool(cJSON *dst, const cJSON *src, const char *key)
{
	cJSON_AddBoolToObject(dst, key, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(src, key)));
}

/* A block with exactly the given counters (and an "enabled" flag when asked). */
static cJSON *project(const cJSON *src, const char *const *nums, size_t n)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; i < n; i++)
		copy_number(o, src, nums[i]);
	return o;
}

static const char *const capture_keys[] = {
	"events",    "events_per_sec", "bytes",		 "ringbuf_full",
	"bytes_cut", "bytes_lost",     "missed_returns", "read_failures",
};
static const char *const detector_keys[] = {
	"bytes_in",	    "bytes_scanned", "bytes_unscanned",
	"messages",	    "decode_errors", "decode_truncated",
	"regex_limit_hits", "findings",	     "findings_suppressed",
	"flows_open",
};
static const char *const proxy_keys[] = {
	"connections", "active",    "bytes_up",	       "bytes_down",
	"inspected",   "tunnelled", "upstream_errors",
};
static const char *const severity_keys[] = {"low", "medium", "high", "critical"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool target_in_group(const cJSON *t, const char *group)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(t, "group");

	return !group || (cJSON_IsString(g) && !strcmp(g->valuestring, group));
}

/* Not attached, or doing network I/O no probe decodes; a wrapper with no sockets is neither. */
static bool not_visible(const cJSON *t)
{
	bool attached = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "attached"));

	return !attached || (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "net_io")) &&
			     !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "tls_visible")));
}

/* The agent's note says why; without one, the state's flags do. */
static const char *not_visible_reason(const cJSON *t)
{
	const cJSON *note = cJSON_GetObjectItemCaseSensitive(t, "note");

	if (cJSON_IsString(note) && note->valuestring[0])
		return note->valuestring;
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "attached")) ? "TLS not visible"
									     : "not attached";
}

static void add_targets(cJSON *res, const cJSON *state, const char *group)
{
	cJSON *targets = cJSON_AddArrayToObject(res, "targets");
	cJSON *hidden = cJSON_AddArrayToObject(res, "not_visible");
	const cJSON *t;
	int n = 0;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(state, "targets")) {
		cJSON *o;

		if (!cJSON_IsObject(t) || !target_in_group(t, group) || n++ >= 1024)
			continue;
		o = cJSON_CreateObject();
		copy_number(o, t, "pid");
		copy_string(o, t, "comm", "");
		copy_string_or_null(o, t, "container");
		copy_string_or_null(o, t, "group");
		copy_string(o, t, "tls_path", "none");
		copy_string(o, t, "binary", "");
		copy_bool(o, t, "attached");
		copy_bool(o, t, "tls_visible");
		copy_string(o, t, "note", "");
		cJSON_AddItemToArray(targets, o);
		if (!not_visible(t))
			continue;
		o = cJSON_CreateObject();
		copy_number(o, t, "pid");
		copy_string(o, t, "comm", "");
		copy_string_or_null(o, t, "container");
		cJSON_AddStringToObject(o, "reason", not_visible_reason(t));
		cJSON_AddItemToArray(hidden, o);
	}
}

static void add_counts(cJSON *res, const cJSON *state)
{
	const cJSON *sev = cJSON_GetObjectItemCaseSensitive(state, "findings_by_severity");
	const cJSON *pat = cJSON_GetObjectItemCaseSensitive(state, "findings_by_pattern"), *it;
	cJSON *bysev = cJSON_AddObjectToObject(res, "findings_by_severity");
	cJSON *bypat = cJSON_AddObjectToObject(res, "findings_by_pattern");

	for (size_t i = 0; i < N(severity_keys); i++)
		if (cJSON_GetObjectItemCaseSensitive(sev, severity_keys[i]))
			copy_number(bysev, sev, severity_keys[i]);
	cJSON_ArrayForEach(it, pat) {
		if (cJSON_IsNumber(it) && it->valuedouble >= 0 && strlen(it->string) < 32)
			cJSON_AddNumberToObject(bypat, it->string, it->valuedouble);
	}
}

static void add_proxy(cJSON *res, const cJSON *state)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(state, "proxy");
	cJSON *o;

	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "enabled"))) {
		cJSON_AddNullToObject(res, "proxy");
		return;
	}
	o = project(p, proxy_keys, N(proxy_keys));
	cJSON_AddBoolToObject(o, "enabled", true);
	copy_string(o, p, "listen", "");
	copy_bool(o, p, "https_inspection");
	cJSON_AddItemToObject(res, "proxy", o);
}

cJSON *cs_status_result(const struct cs_config *c, const char *group)
{
	char err[256];
	bool alive = false;
	char px_path[PATH_MAX];
	cJSON *state = cs_state_read(c->state_file, &alive, err, sizeof(err));
	const cJSON *live;
	cJSON *res = cJSON_CreateObject(), *cap;

	/* A standalone `clawsec-traffic proxy` writes its own file. */
	cs_proxy_state_path(c, px_path, sizeof(px_path));
	cs_state_merge_proxy(&state, &alive, px_path);
	/* Counters of a process that is gone are not shown as if current. */
	live = alive ? state : NULL;

	cJSON_AddStringToObject(res, "agent", alive ? "up" : "down");
	cJSON_AddStringToObject(res, "mode", "detect");
	add_targets(res, live, group);
	cap = project(cJSON_GetObjectItemCaseSensitive(live, "capture"), capture_keys,
		      N(capture_keys));
	copy_bool(cap, cJSON_GetObjectItemCaseSensitive(live, "capture"), "enabled");
	cJSON_AddItemToObject(res, "capture", cap);
	cJSON_AddItemToObject(res, "detector",
			      project(cJSON_GetObjectItemCaseSensitive(live, "detector"),
				      detector_keys, N(detector_keys)));
	add_counts(res, live);
	add_proxy(res, live);
	cJSON_AddItemToObject(res, "posture", cs_posture_json(c, live, alive));
	cJSON_Delete(state);
	return res;
}

/* ---- findings ---- */

struct collect {
	cJSON *arr;
	unsigned limit, count;
	bool truncated, oom;
};

static int collect_one(void *ctx, const struct cs_finding *f)
{
	struct collect *col = ctx;
	cJSON *o;

	if (col->count == col->limit) {
		col->truncated = true;
		return 1;
	}
	o = cs_finding_to_json(f);
	if (!o) {
		col->oom = true;
		return 1;
	}
	cJSON_AddItemToArray(col->arr, o);
	col->count++;
	return 0;
}

static cJSON *findings_result(const struct cs_config *c, const char *group, const struct cs_task *t,
			      const char **code, char *msg, size_t msglen)
{
	struct collect col = {.arr = cJSON_CreateArray(), .limit = t->limit};
	struct cs_findings_query q = {
		.since_ms = t->since_ms,
		.has_min_severity = t->has_severity,
		.min_severity = t->severity,
		.pattern = t->pattern[0] ? t->pattern : NULL,
		.group = group,
		.container_prefix = c->container_prefix,
		.limit = (size_t)t->limit + 1,
		.max_bytes = CS_FINDINGS_TASK_MAX_BYTES,
	};
	struct cs_findings_read_stats rs;
	struct cs_fcache_sig sig;
	long rc;
	cJSON *res = cs_fcache_get(c->log_dir, group, t, &sig);

	if (res) {
		cJSON_Delete(col.arr);
		return res;
	}
	rc = cs_logstore_query(c->log_dir, &q, collect_one, &col, &rs);
	if (rc < 0 || col.oom) {
		cJSON_Delete(col.arr);
		*code = rc < 0 ? CS_ERR_UNAVAILABLE : CS_ERR_INTERNAL;
		snprintf(msg, msglen, "%s",
			 rc < 0 ? "the findings log cannot be read" : "out of memory");
		return NULL;
	}
	res = cJSON_CreateObject();
	cJSON_AddItemToObject(res, "findings", col.arr);
	cJSON_AddNumberToObject(res, "count", col.count);
	cJSON_AddBoolToObject(res, "truncated", col.truncated || rs.byte_limited);
	cs_fcache_put(c->log_dir, group, t, &sig, res);
	return res;
}

/* ---- check_config ---- */

cJSON *cs_check_config_result(const struct cs_config *c)
{
	struct cs_config *fresh = malloc(sizeof(*fresh));
	struct cs_config_problems *p = malloc(sizeof(*p));
	cJSON *res = NULL, *arr;

	if (!fresh || !p)
		goto out;
	cs_config_load(c->config_path[0] ? c->config_path : NULL, fresh, p);
	res = cJSON_CreateObject();
	cJSON_AddBoolToObject(res, "valid", p->n == 0);
	cJSON_AddStringToObject(res, "config_path", fresh->config_path);
	if (fresh->config_sha256[0])
		cJSON_AddStringToObject(res, "config_sha256", fresh->config_sha256);
	else
		cJSON_AddNullToObject(res, "config_sha256");
	arr = cJSON_AddArrayToObject(res, "problems");
	for (size_t i = 0; i < p->n && i < N(p->items); i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "path", p->items[i].path);
		cJSON_AddStringToObject(o, "reason", p->items[i].reason);
		cJSON_AddItemToArray(arr, o);
	}
out:
	free(fresh);
	free(p);
	return res;
}

cJSON *cs_task_execute(const struct cs_config *c, const char *group, const struct cs_task *t,
		       const char **code, char *msg, size_t msglen)
{
	cJSON *res;

	if (!strcmp(t->type, "clawsec_traffic_findings"))
		return findings_result(c, group, t, code, msg, msglen);
	if (!strcmp(t->type, "clawsec_traffic_status"))
		res = cs_status_result(c, group);
	else
		res = cs_check_config_result(c);
	if (!res) {
		*code = CS_ERR_INTERNAL;
		snprintf(msg, msglen, "out of memory");
	}
	return res;
}
