/* SPDX-License-Identifier: MIT */
/*
 * test_ipc.c - the host side of the IPC protocol: answers validate against
 * docs/ipc-response.schema.json, every malformed task is refused the way
 * docs/ipc.md says, groups see only their own findings, and a task claimed
 * by a run that died is answered by the next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"
#include "findings_cache.h"
#include "fsutil.h"
#include "ipc.h"
#include "schema_check.h"
#include "state.h"
#include "tasks.h"

static char tmp[256];
static struct cs_config *cfg;
static cJSON *schema;
static uint64_t clock_ms;

static void pathf(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void pathf(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(out, size, "%s/", tmp);
	va_start(ap, fmt);
	vsnprintf(out + n, size - (size_t)n, fmt, ap);
	va_end(ap);
}

static int setup(void **state)
{
	char p[512], err[256];

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/cs-test-ipc-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	cfg = malloc(sizeof(*cfg));
	assert_non_null(cfg);
	unsetenv("NANOCLAW_TRAFFIC_GUARDIAN_HOME");
	cs_config_defaults(cfg);
	pathf(cfg->home, sizeof(cfg->home), "home");
	pathf(cfg->log_dir, sizeof(cfg->log_dir), "home/logs");
	pathf(cfg->state_file, sizeof(cfg->state_file), "home/state.json");
	pathf(cfg->ca_bundle, sizeof(cfg->ca_bundle), "home/ca/ca.crt");
	pathf(cfg->ipc_roots[0], sizeof(cfg->ipc_roots[0]), "ipc/*");
	cfg->n_ipc_roots = 1;
	for (int i = 0; i < 2; i++) {
		pathf(p, sizeof(p), "ipc/%s/clawsec_tasks", i ? "other" : "main");
		assert_int_equal(cs_mkdir_p(p, 0755), 0);
	}
	assert_int_equal(cs_mkdir_p(cfg->log_dir, 0700), 0);
	snprintf(p, sizeof(p), "%s/docs/ipc-response.schema.json", CS_SOURCE_DIR);
	schema = cs_schema_load(p, err, sizeof(err));
	assert_non_null(schema);
	clock_ms = cs_now_ms();
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	cJSON_Delete(schema);
	free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd);
}

/* Each call is far enough ahead to force a rescan. */
static int run(struct cs_ipc *ipc)
{
	clock_ms += 100000;
	return cs_ipc_process(ipc, clock_ms);
}

/* Run until nothing is pending (groups get CS_IPC_GROUP_TURN tasks per call). */
static int run_all(struct cs_ipc *ipc)
{
	int total = run(ipc);

	for (int calls = 0; cs_ipc_timeout_ms(ipc, clock_ms) == 0 && calls < 1000; calls++)
		total += cs_ipc_process(ipc, clock_ms);
	return total;
}

static void write_raw(const char *group, const char *name, const char *text, size_t len)
{
	char tmpname[512], final[512];

	pathf(tmpname, sizeof(tmpname), "ipc/%s/clawsec_tasks/%s.tmp", group, name);
	pathf(final, sizeof(final), "ipc/%s/clawsec_tasks/%s", group, name);
	assert_int_equal(cs_write_file_atomic(tmpname, text, len, 0644), 0);
	assert_int_equal(rename(tmpname, final), 0);
}

static void write_task(const char *group, const char *id, const char *type, const char *extra)
{
	char ts[CS_TIMESTAMP_LEN], text[2048], name[128];

	cs_format_timestamp(cs_now_ms(), ts);
	snprintf(text, sizeof(text),
		 "{\"type\":\"%s\",\"requestId\":\"%s\",\"groupFolder\":\"%s\",\"timestamp\":\"%"
		 "s\"%s}",
		 type, id, group, ts, extra ? extra : "");
	snprintf(name, sizeof(name), "%llu-%s.json", (unsigned long long)cs_now_ms(), id);
	write_raw(group, name, text, strlen(text));
}

static cJSON *result_of(const char *group, const char *id)
{
	char p[512];
	char *text;
	cJSON *doc;

	pathf(p, sizeof(p), "ipc/%s/clawsec_results/%s.json", group, id);
	text = cs_read_file(p, 1 << 22, NULL);
	if (!text)
		return NULL;
	doc = cJSON_Parse(text);
	free(text);
	return doc;
}

/* The response, checked against the schema and, when ok, its result against $defs. */
static cJSON *checked_result(const char *group, const char *id)
{
	cJSON *doc = result_of(group, id), *ok, *type, *def;
	char err[512], name[64];

	assert_non_null(doc);
	if (cs_schema_check(schema, doc, err, sizeof(err)))
		fail_msg("response %s does not validate: %s", id, err);
	ok = cJSON_GetObjectItem(doc, "ok");
	type = cJSON_GetObjectItem(doc, "type");
	assert_string_equal(cJSON_GetObjectItem(doc, "requestId")->valuestring, id);
	if (cJSON_IsTrue(ok)) {
		snprintf(name, sizeof(name), "%s_result",
			 type->valuestring + strlen("clawsec_traffic_"));
		def = cJSON_GetObjectItem(cJSON_GetObjectItem(schema, "$defs"), name);
		assert_non_null(def);
		if (cs_schema_check(def, cJSON_GetObjectItem(doc, "result"), err, sizeof(err)))
			fail_msg("result of %s does not validate: %s", id, err);
	}
	return doc;
}

static void assert_error(const char *group, const char *id, const char *code)
{
	cJSON *doc = checked_result(group, id);

	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(doc, "ok")));
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "error"), "code")->valuestring, code);
	cJSON_Delete(doc);
}

static size_t count_dir(const char *rel)
{
	char p[512];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	pathf(p, sizeof(p), "%s", rel);
	d = opendir(p);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static struct cs_ipc *new_ipc(void)
{
	char err[256];
	struct cs_ipc *ipc = cs_ipc_new(cfg, err, sizeof(err));

	if (!ipc)
		fail_msg("cs_ipc_new: %s", err);
	return ipc;
}

static void add_finding(FILE *f, const char *source, const char *pattern, enum cs_severity sev,
			uint64_t ts)
{
	struct cs_finding x = {0};
	char *line;

	x.direction = CS_DIR_OUTBOUND;
	x.threat = CS_THREAT_EXFIL;
	x.severity = sev;
	snprintf(x.protocol, sizeof(x.protocol), "https");
	snprintf(x.pattern, sizeof(x.pattern), "%s", pattern);
	snprintf(x.source, sizeof(x.source), "%s", source);
	snprintf(x.dest, sizeof(x.dest), "api.example.com:443");
	snprintf(x.snippet, sizeof(x.snippet), "x-api-key: sk-ant-api03-[REDACTED]");
	x.timestamp_ms = ts;
	line = cs_finding_to_line(&x);
	assert_non_null(line);
	fprintf(f, "%s\n", line);
	free(line);
}

static void write_findings(void)
{
	char p[512];
	FILE *f;
	uint64_t t0 = cs_now_ms() - 60000;

	pathf(p, sizeof(p), "home/logs/findings.jsonl");
	f = fopen(p, "w");
	assert_non_null(f);
	add_finding(f, "nanoclaw-main-1700000000000/node/12", "ai_api_key", CS_SEV_HIGH, t0 + 1);
	add_finding(f, "nanoclaw-other-1700000000001/node/13", "ai_api_key", CS_SEV_CRITICAL,
		    t0 + 2);
	add_finding(f, "proxy/127.0.0.1:5000", "aws_access_key", CS_SEV_CRITICAL, t0 + 3);
	add_finding(f, "nanoclaw-main-1700000000000/curl/14", "pipe_to_shell", CS_SEV_MEDIUM,
		    t0 + 4);
	add_finding(f, "nanoclaw-mainx-1700000000000/node/15", "ai_api_key", CS_SEV_HIGH, t0 + 5);
	add_finding(f, "nanoclaw-main-1700000000000/node/16", "ai_api_key", CS_SEV_LOW, t0 + 6);
	fclose(f);
}

static void test_status_and_isolation(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	cJSON *st, *doc, *res, *targets;
	char err[128];

	(void)state;
	/* Nothing running: agent down, posture stopped, still schema-valid. */
	write_task("main", "s1", "clawsec_traffic_status", NULL);
	assert_int_equal(run(ipc), 1);
	doc = checked_result("main", "s1");
	res = cJSON_GetObjectItem(doc, "result");
	assert_string_equal(cJSON_GetObjectItem(res, "agent")->valuestring, "down");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetObjectItem(res, "posture"), "monitor_status")
			->valuestring,
		"stopped");
	cJSON_Delete(doc);

	/* A live state with targets of two groups: main sees only its own. */
	st = cs_state_new(cfg, cs_now_ms());
	targets = cJSON_CreateArray();
	for (int i = 0; i < 2; i++) {
		cJSON *t = cJSON_CreateObject();

		cJSON_AddNumberToObject(t, "pid", 100 + i);
		cJSON_AddStringToObject(t, "comm", "node");
		cJSON_AddStringToObject(t, "container", i ? "nanoclaw-other-1" : "nanoclaw-main-1");
		cJSON_AddStringToObject(t, "group", i ? "other" : "main");
		cJSON_AddStringToObject(t, "tls_path", "libssl");
		cJSON_AddStringToObject(t, "binary", "/usr/bin/node");
		cJSON_AddBoolToObject(t, "attached", i == 0);
		cJSON_AddBoolToObject(t, "tls_visible", i == 0);
		cJSON_AddStringToObject(t, "note", i ? "no uprobes" : "");
		cJSON_AddItemToArray(targets, t);
	}
	cs_state_set(st, "targets", targets);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(st, "capture"), "enabled",
				  cJSON_CreateTrue());
	assert_int_equal(cs_state_write(cfg->state_file, st), 0);
	cJSON_Delete(st);

	write_task("main", "s2", "clawsec_traffic_status", ",\"args\":{}");
	write_task("other", "s3", "clawsec_traffic_status", NULL);
	assert_int_equal(run(ipc), 2);
	doc = checked_result("main", "s2");
	res = cJSON_GetObjectItem(doc, "result");
	assert_string_equal(cJSON_GetObjectItem(res, "agent")->valuestring, "up");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetObjectItem(res, "posture"), "monitor_status")
			->valuestring,
		"running");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "targets")), 1);
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "targets"), 0),
				    "group")
			->valuestring,
		"main");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "not_visible")), 0);
	cJSON_Delete(doc);
	doc = checked_result("other", "s3");
	res = cJSON_GetObjectItem(doc, "result");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "not_visible")), 1);
	cJSON_Delete(doc);

	/* The host view (no group) sees both. */
	res = cs_status_result(cfg, NULL);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "targets")), 2);
	if (cs_schema_check(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(schema, "$defs"), "status_result"), res,
		    err, sizeof(err)))
		fail_msg("host status: %s", err);
	cJSON_Delete(res);
	cs_ipc_free(ipc);
}

static void test_findings_filtered_to_group(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	cJSON *doc, *res, *arr;
	char *text;

	(void)state;
	write_findings();
	/* groupFolder lies: the directory decides. */
	write_task("main", "f1", "clawsec_traffic_findings", ",\"args\":{}");
	write_task("other", "f2", "clawsec_traffic_findings",
		   ",\"args\":{\"severity\":\"high\",\"limit\":1}");
	write_task("main", "f3", "clawsec_traffic_findings",
		   ",\"args\":{\"pattern\":\"ai_api_key\",\"limit\":1}");
	assert_int_equal(run(ipc), 3);

	doc = checked_result("main", "f1");
	res = cJSON_GetObjectItem(doc, "result");
	arr = cJSON_GetObjectItem(res, "findings");
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	assert_int_equal(cJSON_GetObjectItem(res, "count")->valueint, 3);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(res, "truncated")));
	/* Newest first; nanoclaw-mainx- and proxy/ are not main's. */
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "source")->valuestring,
			    "nanoclaw-main-1700000000000/node/16");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 2), "source")->valuestring,
			    "nanoclaw-main-1700000000000/node/12");
	text = cJSON_PrintUnformatted(doc);
	assert_null(strstr(text, "nanoclaw-other-"));
	assert_null(strstr(text, "proxy/"));
	free(text);
	cJSON_Delete(doc);

	doc = checked_result("other", "f2");
	res = cJSON_GetObjectItem(doc, "result");
	assert_int_equal(cJSON_GetObjectItem(res, "count")->valueint, 1);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(res, "truncated")));
	cJSON_Delete(doc);

	doc = checked_result("main", "f3");
	res = cJSON_GetObjectItem(doc, "result");
	assert_int_equal(cJSON_GetObjectItem(res, "count")->valueint, 1);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(res, "truncated")));
	cJSON_Delete(doc);
	cs_ipc_free(ipc);
}

/* Group names may contain '-': "main" must not see the findings of "main-chat". */
static int findings_count(const char *group, const char *id)
{
	cJSON *doc = checked_result(group, id);
	int n = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "result"), "count")->valueint;

	cJSON_Delete(doc);
	return n;
}

/* The same question again is answered from the cache, until the log changes. */
static void test_findings_cache(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	uint64_t hits0, misses0, hits, misses;
	char p[512];
	FILE *f;

	(void)state;
	write_findings();
	cs_fcache_counts(&hits0, &misses0);
	write_task("main", "c1", "clawsec_traffic_findings", ",\"args\":{}");
	assert_int_equal(run(ipc), 1);
	write_task("main", "c2", "clawsec_traffic_findings", ",\"args\":{}");
	assert_int_equal(run(ipc), 1);
	assert_int_equal(findings_count("main", "c1"), 3);
	assert_int_equal(findings_count("main", "c2"), 3);
	cs_fcache_counts(&hits, &misses);
	assert_int_equal(hits - hits0, 1);
	assert_int_equal(misses - misses0, 1);
	/* Another group, or other arguments: another question. */
	write_task("other", "c3", "clawsec_traffic_findings", ",\"args\":{}");
	write_task("main", "c4", "clawsec_traffic_findings", ",\"args\":{\"limit\":2}");
	assert_int_equal(run(ipc), 2);
	assert_int_equal(findings_count("other", "c3"), 1);
	assert_int_equal(findings_count("main", "c4"), 2);
	/* A new finding in the log: the cached answer is not used. */
	pathf(p, sizeof(p), "home/logs/findings.jsonl");
	f = fopen(p, "a");
	assert_non_null(f);
	add_finding(f, "nanoclaw-main-1700000000000/node/17", "ai_api_key", CS_SEV_HIGH,
		    cs_now_ms());
	fclose(f);
	write_task("main", "c5", "clawsec_traffic_findings", ",\"args\":{}");
	assert_int_equal(run(ipc), 1);
	assert_int_equal(findings_count("main", "c5"), 4);
	cs_fcache_counts(&hits, &misses);
	assert_int_equal(hits - hits0, 1);
	cs_ipc_free(ipc);
}

static void test_findings_hyphenated_group(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	cJSON *doc, *arr;
	char p[512];
	FILE *f;
	uint64_t t0 = cs_now_ms() - 60000;

	(void)state;
	pathf(p, sizeof(p), "ipc/main-chat/clawsec_tasks");
	assert_int_equal(cs_mkdir_p(p, 0755), 0);
	pathf(p, sizeof(p), "home/logs/findings.jsonl");
	f = fopen(p, "w");
	assert_non_null(f);
	add_finding(f, "nanoclaw-main-1700000000000/node/12", "ai_api_key", CS_SEV_HIGH, t0 + 1);
	add_finding(f, "nanoclaw-main-chat-1700000000002/node/44", "ai_api_key", CS_SEV_HIGH,
		    t0 + 2);
	/* Not a container name of either group: digits must run up to the '/'. */
	add_finding(f, "nanoclaw-main-17x/node/45", "ai_api_key", CS_SEV_HIGH, t0 + 3);
	add_finding(f, "nanoclaw-main-/node/46", "ai_api_key", CS_SEV_HIGH, t0 + 4);
	fclose(f);
	write_task("main", "h1", "clawsec_traffic_findings", NULL);
	write_task("main-chat", "h2", "clawsec_traffic_findings", NULL);
	assert_int_equal(run(ipc), 2);

	doc = checked_result("main", "h1");
	arr = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "result"), "findings");
	assert_int_equal(cJSON_GetArraySize(arr), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "source")->valuestring,
			    "nanoclaw-main-1700000000000/node/12");
	cJSON_Delete(doc);
	doc = checked_result("main-chat", "h2");
	arr = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "result"), "findings");
	assert_int_equal(cJSON_GetArraySize(arr), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "source")->valuestring,
			    "nanoclaw-main-chat-1700000000002/node/44");
	cJSON_Delete(doc);
	cs_ipc_free(ipc);
}

static void test_check_config(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	cJSON *doc, *res;
	char p[512];

	(void)state;
	pathf(p, sizeof(p), "home/config.json");
	assert_int_equal(cs_write_file_atomic(p, "{\"mode\":\"block\"}", 16, 0600), 0);
	snprintf(cfg->config_path, sizeof(cfg->config_path), "%s", p);
	cs_ipc_set_config(ipc, cfg);
	write_task("main", "c1", "clawsec_traffic_check_config", NULL);
	assert_int_equal(run(ipc), 1);
	doc = checked_result("main", "c1");
	res = cJSON_GetObjectItem(doc, "result");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(res, "valid")));
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "problems"), 0),
				    "path")
			->valuestring,
		"$.mode");
	assert_int_equal(strlen(cJSON_GetObjectItem(res, "config_sha256")->valuestring), 64);
	cJSON_Delete(doc);
	cs_ipc_free(ipc);
}

static void test_malformed(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	struct cs_ipc_stats st;
	cJSON *doc;
	char big[70000], p[512], target[512];
	char ts[CS_TIMESTAMP_LEN];
	int n;

	(void)state;
	cs_format_timestamp(cs_now_ms(), ts);
	/* Not JSON: no requestId to answer to, and one that still names its requestId. */
	write_raw("main", "1-a.json", "{not json", 9);
	write_raw("main", "1-b.json", "{\"requestId\": \"m0\", \"type\":", 27);
	/* Wrong types / missing fields: answered. */
	n = snprintf(big, sizeof(big),
		     "{\"type\":\"clawsec_traffic_status\",\"requestId\":\"m1\",\"groupFolder\":"
		     "\"main\","
		     "\"timestamp\":12}");
	write_raw("main", "2-a.json", big, (size_t)n);
	n = snprintf(big, sizeof(big),
		     "{\"type\":\"clawsec_traffic_status\",\"requestId\":\"m2\"}");
	write_raw("main", "3-a.json", big, (size_t)n);
	write_task("main", "m3", "clawsec_traffic_findings", ",\"args\":{\"limit\":501}");
	write_task("main", "m4", "clawsec_traffic_status", ",\"extra\":1");
	/* Unknown type. */
	write_task("main", "m5", "schedule_task", NULL);
	/* Over 64 KiB, requestId near the start. */
	n = snprintf(big, sizeof(big),
		     "{\"requestId\":\"m6\",\"type\":\"clawsec_traffic_status\",\"pad\":\"");
	memset(big + n, 'x', 66000);
	memcpy(big + n + 66000, "\"}", 2);
	write_raw("main", "4-a.json", big, (size_t)n + 66002);
	/* A name with "..": answered as invalid_task. */
	n = snprintf(big, sizeof(big),
		     "{\"type\":\"clawsec_traffic_status\",\"requestId\":\"m7\",\"groupFolder\":"
		     "\"main\","
		     "\"timestamp\":\"%s\"}",
		     ts);
	write_raw("main", "5..a.json", big, (size_t)n);
	/* Expired. */
	write_raw(
		"main", "6-a.json",
		"{\"type\":\"clawsec_traffic_status\",\"requestId\":\"m8\",\"groupFolder\":"
		"\"main\","
		"\"timestamp\":\"2020-01-01T00:00:00.000Z\"}",
		strlen("{\"type\":\"clawsec_traffic_status\",\"requestId\":\"m8\",\"groupFolder\":"
		       "\"main\",\"timestamp\":\"2020-01-01T00:00:00.000Z\"}"));
	/* A symlink to a host file: moved aside unread, the file untouched. */
	pathf(target, sizeof(target), "host-secret.json");
	assert_int_equal(cs_write_file_atomic(target, "{\"requestId\":\"m9\"}", 18, 0600), 0);
	pathf(p, sizeof(p), "ipc/main/clawsec_tasks/7-a.json");
	assert_int_equal(symlink(target, p), 0);
	/* A file still being written is left alone. */
	pathf(p, sizeof(p), "ipc/main/clawsec_tasks/8-a.json.tmp");
	assert_int_equal(cs_write_file_atomic(p, "{", 1, 0644), 0);
	/* A valid task with a second document after it: not one object. */
	n = snprintf(big, sizeof(big),
		     "{\"type\":\"clawsec_traffic_status\",\"requestId\":\"m10\",\"groupFolder\":"
		     "\"main\",\"timestamp\":\"%s\"} \n{\"requestId\":\"m11\"}",
		     ts);
	write_raw("main", "9-a.json", big, (size_t)n);

	assert_int_equal(run_all(ipc), 12);
	assert_error("main", "m0", "invalid_json");
	assert_error("main", "m1", "invalid_task");
	assert_error("main", "m2", "invalid_task");
	assert_error("main", "m3", "invalid_task");
	assert_error("main", "m4", "invalid_task");
	assert_error("main", "m5", "unknown_type");
	assert_error("main", "m6", "too_large");
	/* The service reads one byte past the limit: that is no size to report. */
	doc = result_of("main", "m6");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "error"), "message")->valuestring,
		"task is larger than 65536 bytes");
	cJSON_Delete(doc);
	assert_error("main", "m7", "invalid_task");
	assert_error("main", "m8", "timeout");
	assert_error("main", "m10", "invalid_json");
	assert_null(result_of("main", "m11"));
	assert_null(result_of("main", "m9"));
	assert_true(access(target, F_OK) == 0);

	cs_ipc_get_stats(ipc, &st);
	assert_int_equal(st.tasks, 12);
	assert_int_equal(st.answered_error, 10);
	assert_int_equal(st.unanswered, 2);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.invalid, 11);
	assert_int_equal(st.quarantined, 11); /* all but the timeout */
	assert_int_equal(count_dir("home/quarantine/main"), 11);
	/* Only the .tmp file is left in the tasks directory. */
	assert_int_equal(count_dir("ipc/main/clawsec_tasks"), 1);
	cs_ipc_free(ipc);
}

/* A NUL in a string and a repeated field: refused, answered only to an id beyond doubt. */
static void test_nul_and_duplicate_keys(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	char ts[CS_TIMESTAMP_LEN], text[512];
	struct cs_ipc_stats st;
	cJSON *doc;
	int n;

	(void)state;
	cs_format_timestamp(cs_now_ms(), ts);
#define BODY(id, more)                                                                            \
	"{\"type\":\"clawsec_traffic_status\",\"requestId\":\"" id "\",\"groupFolder\":\"main\"," \
	"\"timestamp\":\"%s\"" more "}"
	/* requestId "n1\u0000evil" would be cut to "n1": no answer at all. */
	n = snprintf(text, sizeof(text), BODY("n1\\u0000evil", ""), ts);
	write_raw("main", "1-n.json", text, (size_t)n);
	/* A NUL elsewhere: the requestId is intact, answered invalid_task. */
	n = snprintf(text, sizeof(text),
		     "{\"type\":\"clawsec_traffic_status\",\"requestId\":\"n2\",\"groupFolder\":"
		     "\"ma\\u0000in\",\"timestamp\":\"%s\"}",
		     ts);
	write_raw("main", "2-n.json", text, (size_t)n);
	/* An escaped backslash before u0000 is no NUL: accepted. */
	n = snprintf(text, sizeof(text),
		     "{\"type\":\"clawsec_traffic_status\",\"requestId\":\"n3\",\"groupFolder\":"
		     "\"a\\\\u0000\",\"timestamp\":\"%s\"}",
		     ts);
	write_raw("main", "3-n.json", text, (size_t)n);
	/* Repeated fields: at top level, in args, and the requestId itself. */
	n = snprintf(text, sizeof(text), BODY("k1", ",\"type\":\"clawsec_traffic_findings\""), ts);
	write_raw("main", "4-k.json", text, (size_t)n);
	n = snprintf(text, sizeof(text),
		     "{\"type\":\"clawsec_traffic_findings\",\"requestId\":\"k2\",\"groupFolder\":"
		     "\"main\",\"timestamp\":\"%s\",\"args\":{\"limit\":1,\"limit\":500}}",
		     ts);
	write_raw("main", "5-k.json", text, (size_t)n);
	n = snprintf(text, sizeof(text), BODY("k3", ",\"requestId\":\"k4\""), ts);
	write_raw("main", "6-k.json", text, (size_t)n);
#undef BODY
	assert_int_equal(run_all(ipc), 6);
	assert_null(result_of("main", "n1"));
	assert_int_equal(count_dir("ipc/main/clawsec_results"), 4);
	assert_error("main", "n2", "invalid_task");
	doc = result_of("main", "n2");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "error"), "message")->valuestring,
		"a string holds \\u0000 (NUL)");
	cJSON_Delete(doc);
	doc = checked_result("main", "n3");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "ok")));
	cJSON_Delete(doc);
	assert_error("main", "k1", "invalid_task");
	doc = result_of("main", "k1");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "error"), "message")->valuestring,
		"duplicate field \"type\"");
	cJSON_Delete(doc);
	assert_error("main", "k2", "invalid_task");
	assert_null(result_of("main", "k3"));
	assert_null(result_of("main", "k4"));
	cs_ipc_get_stats(ipc, &st);
	assert_int_equal(st.invalid, 5);
	assert_int_equal(st.unanswered, 2);
	assert_int_equal(st.quarantined, 5);
	cs_ipc_free(ipc);
}

/* Quarantine keeps the first 64 KiB of a file, at most 4 MiB per group, no directories. */
static void test_quarantine_bounded(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	struct cs_ipc_stats st;
	struct stat sb;
	char p[512], name[64];
	char *big = malloc(1 << 20);
	glob_t g;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 1 << 20);
	/* 1 MiB of garbage: invalid_json, its first 64 KiB kept. */
	write_raw("main", "1-big.json", big, 1 << 20);
	assert_int_equal(run(ipc), 1);
	pathf(p, sizeof(p), "home/quarantine/main/*-1-big.json");
	assert_int_equal(glob(p, 0, NULL, &g), 0);
	assert_int_equal(stat(g.gl_pathv[0], &sb), 0);
	globfree(&g);
	assert_int_equal(sb.st_size, 65536);
	cs_ipc_get_stats(ipc, &st);
	assert_int_equal(st.quarantine_bytes_cut, (1 << 20) - 65536);
	/* A directory named like a task, with a file inside: deleted, not kept. */
	pathf(p, sizeof(p), "ipc/main/clawsec_tasks/2-dir.json");
	assert_int_equal(mkdir(p, 0755), 0);
	pathf(p, sizeof(p), "ipc/main/clawsec_tasks/2-dir.json/inner");
	assert_int_equal(cs_write_file_atomic(p, big, 4096, 0644), 0);
	assert_int_equal(run(ipc), 1);
	assert_int_equal(count_dir("home/quarantine/main"), 1);
	assert_int_equal(count_dir("ipc/main/clawsec_tasks"), 0);
	/* 4 MiB per group: 63 more files of 64 KiB fit, then files are dropped. */
	for (int i = 0; i < 70; i++) {
		snprintf(name, sizeof(name), "%d-fill.json", 10 + i);
		write_raw("main", name, big, 65536);
	}
	assert_int_equal(run_all(ipc), 70);
	cs_ipc_get_stats(ipc, &st);
	assert_int_equal(st.quarantined, 64);
	assert_int_equal(st.dropped, 1 + 7);
	assert_int_equal(count_dir("home/quarantine/main"), 64);
	pathf(p, sizeof(p), "home/ipc/main-*/processing");
	assert_int_equal(glob(p, 0, NULL, &g), 0);
	assert_int_equal(count_dir(g.gl_pathv[0] + strlen(tmp) + 1), 0);
	globfree(&g);
	free(big);
	cs_ipc_free(ipc);
}

static void test_duplicates_uid_links(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	struct cs_ipc_stats st;
	char p[512], q[512];
	cJSON *doc;

	(void)state;
	write_task("main", "d1", "clawsec_traffic_status", NULL);
	assert_int_equal(run(ipc), 1);
	doc = checked_result("main", "d1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "ok")));
	cJSON_Delete(doc);

	/* Reused while the first answer exists: the answer is kept, not replaced. */
	write_task("main", "d1", "clawsec_traffic_check_config", NULL);
	assert_int_equal(run(ipc), 1);
	doc = checked_result("main", "d1");
	assert_string_equal(cJSON_GetObjectItem(doc, "type")->valuestring,
			    "clawsec_traffic_status");
	cJSON_Delete(doc);

	/* Reused after the client consumed the answer: duplicate_request. */
	pathf(p, sizeof(p), "ipc/main/clawsec_results/d1.json");
	assert_int_equal(unlink(p), 0);
	write_task("main", "d1", "clawsec_traffic_status", NULL);
	assert_int_equal(run(ipc), 1);
	assert_error("main", "d1", "duplicate_request");

	/* The same id in another group is another request. */
	write_task("other", "d1", "clawsec_traffic_status", NULL);
	assert_int_equal(run(ipc), 1);
	doc = checked_result("other", "d1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "ok")));
	cJSON_Delete(doc);

	/* Hard link: refused. */
	write_task("main", "h1", "clawsec_traffic_status", NULL);
	{
		glob_t g;

		pathf(p, sizeof(p), "ipc/main/clawsec_tasks/*-h1.json");
		assert_int_equal(glob(p, 0, NULL, &g), 0);
		pathf(q, sizeof(q), "hardlink.json");
		assert_int_equal(link(g.gl_pathv[0], q), 0);
		globfree(&g);
	}
	assert_int_equal(run(ipc), 1);
	assert_error("main", "h1", "invalid_task");

	/* Owned by an unexpected uid. */
	if (geteuid() == 0) {
		cfg->ipc_uid = 4242;
		cs_ipc_set_config(ipc, cfg);
		write_task("main", "u1", "clawsec_traffic_status", NULL);
		assert_int_equal(run(ipc), 1);
		assert_error("main", "u1", "invalid_task");
	}
	cs_ipc_get_stats(ipc, &st);
	assert_int_equal(st.duplicates, 2);
	cs_ipc_free(ipc);
}

static void test_restart_mid_task(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	struct cs_ipc_stats st;
	char ts[CS_TIMESTAMP_LEN], text[512], p[512];
	glob_t g;
	cJSON *doc;

	(void)state;
	assert_int_equal(run(ipc), 0); /* creates the group's work directory */
	cs_ipc_free(ipc);

	/* What a run that died right after claiming leaves behind. */
	cs_format_timestamp(cs_now_ms(), ts);
	snprintf(text, sizeof(text),
		 "{\"type\":\"clawsec_traffic_status\",\"requestId\":\"r1\",\"groupFolder\":"
		 "\"main\","
		 "\"timestamp\":\"%s\"}",
		 ts);
	pathf(p, sizeof(p), "home/ipc/main-*/processing");
	assert_int_equal(glob(p, 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 1);
	snprintf(p, sizeof(p), "%s/99-r1.json", g.gl_pathv[0]);
	globfree(&g);
	assert_int_equal(cs_write_file_atomic(p, text, strlen(text), 0600), 0);

	ipc = new_ipc();
	assert_int_equal(run(ipc), 1);
	doc = checked_result("main", "r1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "ok")));
	cJSON_Delete(doc);
	cs_ipc_get_stats(ipc, &st);
	assert_int_equal(st.recovered, 1);
	assert_int_equal(access(p, F_OK), -1);
	cs_ipc_free(ipc);
}

static void test_hostile_results_dir(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	struct cs_ipc_stats st;
	char p[512], elsewhere[512];

	(void)state;
	/* The container replaced clawsec_results with a symlink to a host directory. */
	pathf(elsewhere, sizeof(elsewhere), "elsewhere");
	assert_int_equal(mkdir(elsewhere, 0700), 0);
	pathf(p, sizeof(p), "ipc/main/clawsec_results");
	assert_int_equal(symlink(elsewhere, p), 0);
	write_task("main", "x1", "clawsec_traffic_status", NULL);
	/* A symlinked group directory is not a group. */
	pathf(p, sizeof(p), "ipc/evil");
	assert_int_equal(symlink(elsewhere, p), 0);
	/* Nor is a directory whose name NanoClaw would never give a group. */
	pathf(p, sizeof(p), "ipc/-x.y");
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(run(ipc), 1);
	assert_int_equal(count_dir("elsewhere"), 0);
	cs_ipc_get_stats(ipc, &st);
	assert_int_equal(st.answer_failures, 1);
	assert_int_equal(st.groups, 2);
	assert_int_equal(st.groups_refused, 1);
	/* A group directory that goes away takes its (empty) work directory with it. */
	snprintf(p, sizeof(p), "rm -rf '%s/ipc/other'", tmp);
	assert_int_equal(system(p), 0);
	assert_int_equal(run(ipc), 0);
	cs_ipc_get_stats(ipc, &st);
	assert_int_equal(st.groups, 1);
	assert_int_equal(count_dir("home/ipc"), 1);
	cs_ipc_get_stats(ipc, &st);
	assert_int_equal(st.groups_refused, 1);
	assert_int_equal(count_dir("home/quarantine/main"), 1);
	cs_ipc_free(ipc);
}

static void test_inotify_and_timeout(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	cJSON *doc;

	(void)state;
	assert_true(cs_ipc_fd(ipc) >= 0);
	assert_int_equal(run(ipc), 0);
	assert_true(cs_ipc_timeout_ms(ipc, clock_ms) > 0);
	/* Without a rescan due, the inotify event alone brings the task in. */
	write_task("main", "i1", "clawsec_traffic_status", NULL);
	assert_int_equal(cs_ipc_process(ipc, clock_ms + 1), 1);
	doc = checked_result("main", "i1");
	cJSON_Delete(doc);
	/* A task whose own timeout_ms has passed. */
	write_task("main", "i2", "clawsec_traffic_status", ",\"timeout_ms\":1");
	usleep(5000);
	assert_int_equal(cs_ipc_process(ipc, clock_ms + 2), 1);
	assert_error("main", "i2", "timeout");
	cs_ipc_free(ipc);
}

/* Home on another filesystem than the group directories: claim by copy. */
static void test_claim_across_filesystems(void **state)
{
	struct cs_ipc *ipc;
	struct cs_ipc_stats st;
	struct stat a, b;
	char shm[] = "/dev/shm/cs-test-ipc-XXXXXX", p[512], target[512], cmd[600];
	cJSON *doc;
	glob_t g;

	(void)state;
	if (stat("/dev/shm", &a) || stat(tmp, &b) || a.st_dev == b.st_dev || !mkdtemp(shm)) {
		skip(); /* needs /dev/shm on a filesystem other than /tmp */
		return;
	}
	snprintf(cfg->home, sizeof(cfg->home), "%s", shm);
	ipc = new_ipc();
	write_task("main", "e1", "clawsec_traffic_status", NULL);
	if (geteuid() == 0) {
		/* The copy keeps the owner, so the uid check still applies. */
		pathf(p, sizeof(p), "ipc/main/clawsec_tasks/*-e1.json");
		assert_int_equal(glob(p, 0, NULL, &g), 0);
		assert_int_equal(chown(g.gl_pathv[0], 4242, 4242), 0);
		globfree(&g);
		cfg->ipc_uid = 4242;
		cs_ipc_set_config(ipc, cfg);
	}
	pathf(target, sizeof(target), "host-file.json");
	assert_int_equal(cs_write_file_atomic(target, "{}", 2, 0600), 0);
	pathf(p, sizeof(p), "ipc/main/clawsec_tasks/2-link.json");
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(run(ipc), 1);
	doc = checked_result("main", "e1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "ok")));
	cJSON_Delete(doc);
	/* The symlink is removed unread; what it pointed to is untouched. */
	assert_int_equal(count_dir("ipc/main/clawsec_tasks"), 0);
	assert_int_equal(access(target, F_OK), 0);
	cs_ipc_get_stats(ipc, &st);
	assert_int_equal(st.answered_ok, 1);
	cs_ipc_free(ipc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", shm);
	assert_int_equal(system(cmd), 0);
}

/* A flood is handled in batches, the other group gets its turn, nothing is lost. */
static void test_batches(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	char id[32], group[16], p[512];
	int first, total, calls = 0;
	cJSON *doc;

	(void)state;
	for (int i = 0; i < CS_IPC_BATCH + 44; i++) {
		snprintf(id, sizeof(id), "b%d", i);
		write_task("main", id, "clawsec_traffic_status", NULL);
	}
	write_task("other", "o1", "clawsec_traffic_status", NULL);
	/* Groups take turns: a flood in main does not delay other's task. */
	first = run(ipc);
	assert_int_equal(first, CS_IPC_GROUP_TURN + 1);
	doc = result_of("other", "o1");
	assert_non_null(doc);
	cJSON_Delete(doc);
	total = first;
	while (cs_ipc_timeout_ms(ipc, clock_ms) == 0 && calls++ < 100)
		total += cs_ipc_process(ipc, clock_ms + 1);
	assert_int_equal(total, CS_IPC_BATCH + 45);
	assert_int_equal(count_dir("ipc/main/clawsec_results"), CS_IPC_BATCH + 44);
	assert_true(cs_ipc_timeout_ms(ipc, clock_ms + 1) > 0);
	/* One call handles at most CS_IPC_BATCH tasks, however many groups have some. */
	for (int g = 0; g < CS_IPC_BATCH / CS_IPC_GROUP_TURN + 2; g++) {
		snprintf(group, sizeof(group), "g%d", g);
		pathf(p, sizeof(p), "ipc/%s/clawsec_tasks", group);
		assert_int_equal(cs_mkdir_p(p, 0755), 0);
		for (int i = 0; i < CS_IPC_GROUP_TURN; i++) {
			snprintf(id, sizeof(id), "t%d", i);
			write_task(group, id, "clawsec_traffic_status", NULL);
		}
	}
	assert_int_equal(run(ipc), CS_IPC_BATCH);
	assert_int_equal(cs_ipc_process(ipc, clock_ms + 1), 2 * CS_IPC_GROUP_TURN);
	cs_ipc_free(ipc);
}

/* The results directory belongs to the client; uncollected answers expire. */
static void test_results_ownership_and_expiry(void **state)
{
	struct cs_ipc *ipc = new_ipc();
	struct cs_ipc_stats st;
	struct timeval old[2] = {{1000000000, 0}, {1000000000, 0}};
	struct stat sb;
	char p[512], q[512];

	(void)state;
	if (geteuid() == 0) {
		pathf(p, sizeof(p), "ipc/main/clawsec_tasks");
		assert_int_equal(chown(p, 4242, 4343), 0);
	}
	write_task("main", "o1", "clawsec_traffic_status", NULL);
	write_task("main", "o2", "clawsec_traffic_status", NULL);
	assert_int_equal(run(ipc), 2);
	pathf(p, sizeof(p), "ipc/main/clawsec_results");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	if (geteuid() == 0)
		assert_int_equal(sb.st_uid, 4242);
	pathf(p, sizeof(p), "ipc/main/clawsec_results/o1.json");
	assert_int_equal(utimes(p, old), 0);
	/* Not ours: never deleted, however old. */
	pathf(q, sizeof(q), "ipc/main/clawsec_results/theirs.json");
	assert_int_equal(cs_write_file_atomic(q, "{}", 2, 0644), 0);
	assert_int_equal(utimes(q, old), 0);
	if (geteuid() == 0)
		assert_int_equal(chown(q, 4242, 4343), 0);
	assert_int_equal(run(ipc), 0);
	assert_int_equal(access(p, F_OK), -1);
	pathf(p, sizeof(p), "ipc/main/clawsec_results/o2.json");
	assert_int_equal(access(p, F_OK), 0);
	if (geteuid() == 0)
		assert_int_equal(access(q, F_OK), 0);
	cs_ipc_get_stats(ipc, &st);
	assert_int_equal(st.results_expired, geteuid() == 0 ? 1 : 2);
	cs_ipc_free(ipc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_and_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_findings_filtered_to_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_findings_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_findings_hyphenated_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_and_duplicate_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_uid_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_mid_task, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_results_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inotify_and_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_across_filesystems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_ownership_and_expiry, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
