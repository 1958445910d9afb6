/* SPDX-License-Identifier: MIT */
#include "state.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "logstore.h"
#include "metrics.h"
#include "ship.h"

#define STATE_MAX_BYTES (4u << 20)

static const char *const capture_counters[] = {
	"events",     "bytes",		"ringbuf_full",	 "bytes_cut",
	"bytes_lost", "missed_returns", "read_failures",
};

static const char *const proxy_counters[] = {
	"connections", "active",    "bytes_up",	       "bytes_down",
	"inspected",   "tunnelled", "upstream_errors",
};

static void add_ts(cJSON *o, const char *key, uint64_t ms)
{
	char ts[CS_TIMESTAMP_LEN];

	cs_format_timestamp(ms, ts);
	cJSON_AddStringToObject(o, key, ts);
}

static cJSON *zero_block(const char *const *names, size_t n)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < n; i++)
		cJSON_AddNumberToObject(o, names[i], 0);
	return o;
}

static cJSON *default_capture(void)
{
	cJSON *o = zero_block(capture_counters, sizeof(capture_counters) / sizeof(char *));

	cJSON_AddBoolToObject(o, "enabled", false);
	cJSON_AddNumberToObject(o, "events_per_sec", 0);
	return o;
}

static cJSON *default_proxy(const struct cs_config *c)
{
	cJSON *o = zero_block(proxy_counters, sizeof(proxy_counters) / sizeof(char *));

	cJSON_AddBoolToObject(o, "enabled", false);
	cJSON_AddStringToObject(o, "listen", c->proxy_listen);
	cJSON_AddBoolToObject(o, "https_inspection", c->https_inspection);
	return o;
}

cJSON *cs_state_detector_json(const struct cs_detector_stats *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "bytes_in", (double)s->bytes_in);
	cJSON_AddNumberToObject(o, "bytes_scanned", (double)s->bytes_scanned);
	cJSON_AddNumberToObject(o, "bytes_unscanned", (double)s->bytes_unscanned);
	cJSON_AddNumberToObject(o, "messages", (double)s->messages);
	cJSON_AddNumberToObject(o, "decode_errors", (double)s->decode_errors);
	cJSON_AddNumberToObject(o, "decode_truncated", (double)s->decode_truncated);
	cJSON_AddNumberToObject(o, "regex_limit_hits", (double)s->regex_limit_hits);
	cJSON_AddNumberToObject(o, "findings", (double)s->findings);
	cJSON_AddNumberToObject(o, "findings_suppressed", (double)s->findings_suppressed);
	cJSON_AddNumberToObject(o, "fold_summaries", (double)s->fold_summaries);
	cJSON_AddNumberToObject(o, "flows_open", (double)s->flows_open);
	return o;
}

cJSON *cs_state_writer_json(const struct cs_jsonl_stats *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "lines", (double)s->lines);
	cJSON_AddNumberToObject(o, "write_failures", (double)s->write_failures);
	cJSON_AddNumberToObject(o, "rotations", (double)s->rotations);
	cJSON_AddNumberToObject(o, "torn_tails", (double)s->torn_tails);
	cJSON_AddNumberToObject(o, "space_reclaims", (double)s->space_reclaims);
	return o;
}

void cs_state_set(cJSON *state, const char *key, cJSON *value)
{
	if (!value)
		return;
	if (cJSON_GetObjectItemCaseSensitive(state, key))
		cJSON_ReplaceItemInObjectCaseSensitive(state, key, value);
	else
		cJSON_AddItemToObject(state, key, value);
}

cJSON *cs_state_new(const struct cs_config *c, uint64_t started_at_ms)
{
	struct cs_detector_stats ds = {0};
	struct cs_jsonl_stats ws = {0};
	char log_file[PATH_MAX + 32];
	cJSON *s = cJSON_CreateObject();

	if (!s)
		return NULL;
	cs_logstore_path(c->log_dir, log_file, sizeof(log_file));
	cJSON_AddStringToObject(s, "schema", CS_STATE_SCHEMA);
	cJSON_AddNumberToObject(s, "pid", getpid());
	add_ts(s, "started_at", started_at_ms);
	add_ts(s, "updated_at", started_at_ms);
	cJSON_AddStringToObject(s, "mode", "detect");
	cJSON_AddStringToObject(s, "config_path", c->config_path);
	cJSON_AddStringToObject(s, "config_sha256", c->config_sha256);
	cJSON_AddStringToObject(s, "log_file", log_file);
	cJSON_AddItemToObject(s, "capture", default_capture());
	cJSON_AddItemToObject(s, "detector", cs_state_detector_json(&ds));
	cJSON_AddItemToObject(s, "writer", cs_state_writer_json(&ws));
	cJSON_AddItemToObject(s, "targets", cJSON_CreateArray());
	cJSON_AddItemToObject(s, "findings_by_pattern", cJSON_CreateObject());
	cJSON_AddItemToObject(s, "findings_by_severity", cJSON_CreateObject());
	cJSON_AddItemToObject(s, "proxy", default_proxy(c));
	return s;
}

char *cs_state_render(cJSON *state)
{
	cJSON *ship = cs_ship_state_json();
	char ts[CS_TIMESTAMP_LEN];

	if (ship) /* syslog/journald delivery, drops included */
		cs_state_set(state, "ship", ship);
	cs_metrics_publish(state); /* /metrics shows what the state file says */
	cs_format_timestamp(cs_now_ms(), ts);
	cs_state_set(state, "updated_at", cJSON_CreateString(ts));
	return cJSON_PrintUnformatted(state);
}

int cs_state_write(const char *path, cJSON *state)
{
	char *text = cs_state_render(state);
	int rc;

	if (!text)
		return -ENOMEM;
	rc = cs_write_file_atomic(path, text, strlen(text), 0600);
	cJSON_free(text);
	return rc;
}

bool cs_state_alive(const cJSON *state, uint64_t now_ms)
{
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(state, "pid");
	const cJSON *upd = cJSON_GetObjectItemCaseSensitive(state, "updated_at");
	uint64_t t;

	if (!cJSON_IsNumber(pid) || pid->valuedouble < 1 || pid->valuedouble > 4194304)
		return false;
	if (kill((pid_t)pid->valuedouble, 0) && errno != EPERM)
		return false;
	if (!cJSON_IsString(upd) || cs_parse_timestamp(upd->valuestring, &t))
		return false;
	return t <= now_ms + 1000 && now_ms - t <= CS_STATE_STALE_MS;
}

cJSON *cs_state_read(const char *path, bool *alive, char *err, size_t errlen)
{
	char *text = cs_read_file(path, STATE_MAX_BYTES, NULL);
	cJSON *s;

	*alive = false;
	if (!text) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	s = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(s)) {
		snprintf(err, errlen, "%s is not a JSON object", path);
		cJSON_Delete(s);
		return NULL;
	}
	*alive = cs_state_alive(s, cs_now_ms());
	return s;
}

void cs_proxy_state_path(const struct cs_config *c, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", c->home, CS_PROXY_STATE_NAME);
}

static bool runs_proxy(const cJSON *state)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(state, "proxy");

	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "enabled"));
}

void cs_state_merge_proxy(cJSON **state, bool *alive, const char *proxy_path)
{
	char err[256];
	bool px_alive = false;
	cJSON *px = cs_state_read(proxy_path, &px_alive, err, sizeof(err));
	cJSON *block;

	if (!px || !px_alive || !runs_proxy(px)) {
		cJSON_Delete(px);
		return;
	}
	if (!*state || !*alive) {
		cJSON_Delete(*state);
		*state = px;
		*alive = true;
		return;
	}
	if (!runs_proxy(*state)) {
		block = cJSON_DetachItemFromObjectCaseSensitive(px, "proxy");
		cs_state_set(*state, "proxy", block);
	}
	cJSON_Delete(px);
}

int cs_cert_fingerprint(const char *path, char out[65])
{
	FILE *f = fopen(path, "re");
	X509 *x;
	unsigned char *der = NULL;
	int len, rc = -1;

	if (!f)
		return -1;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		return -1;
	len = i2d_X509(x, &der);
	if (len > 0)
		rc = cs_sha256_hex(der, (size_t)len, out);
	OPENSSL_free(der);
	X509_free(x);
	return rc;
}

static bool block_flag(const cJSON *state, const char *block, const char *key)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(state, block);

	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, key));
}

static double block_number(const cJSON *state, const char *block, const char *key)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(state, block);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *monitor_status(const cJSON *state, bool alive)
{
	if (!alive)
		return "stopped";
	if (!block_flag(state, "capture", "enabled") && !block_flag(state, "proxy", "enabled"))
		return "degraded";
	if (block_number(state, "writer", "write_failures") > 0)
		return "degraded";
	return "running";
}

static bool is_hex64(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

cJSON *cs_posture_json(const struct cs_config *c, const cJSON *state, bool alive)
{
	char log_file[PATH_MAX + 32], hex[65], cfg_hex[65];
	const cJSON *sha = cJSON_GetObjectItemCaseSensitive(state, "config_sha256");
	bool inspect = alive ? block_flag(state, "proxy", "https_inspection") : c->https_inspection;
	cJSON *p = cJSON_CreateObject();

	if (!p)
		return NULL;
	/* The running process's config is what is enforced; fall back to ours. */
	if (alive && cJSON_IsString(sha) && is_hex64(sha->valuestring))
		snprintf(cfg_hex, sizeof(cfg_hex), "%s", sha->valuestring);
	else if (is_hex64(c->config_sha256))
		snprintf(cfg_hex, sizeof(cfg_hex), "%s", c->config_sha256);
	else
		cs_sha256_hex("", 0, cfg_hex);
	cJSON_AddStringToObject(p, "schema", CS_POSTURE_SCHEMA);
	cJSON_AddStringToObject(p, "monitor_status", monitor_status(state, alive));
	cJSON_AddStringToObject(p, "mode", "detect");
	cJSON_AddBoolToObject(p, "https_inspection", inspect);
	if (cs_cert_fingerprint(c->ca_bundle, hex) == 0)
		cJSON_AddStringToObject(p, "ca_fingerprint_sha256", hex);
	else
		cJSON_AddNullToObject(p, "ca_fingerprint_sha256");
	cJSON_AddStringToObject(p, "config_sha256", cfg_hex);
	cs_logstore_path(c->log_dir, log_file, sizeof(log_file));
	if (cs_sha256_file_hex(log_file, hex) == 0)
		cJSON_AddStringToObject(p, "finding_log_sha256", hex);
	else
		cJSON_AddNullToObject(p, "finding_log_sha256");
	add_ts(p, "generated_at", cs_now_ms());
	return p;
}
