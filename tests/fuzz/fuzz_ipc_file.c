// SPDX-License-Identifier: MIT
/*
 * fuzz_ipc_file.c - a container drops arbitrary bytes as a task file in its
 * group's clawsec_tasks/, and the host service (cs_ipc_process, the public
 * API of user/service/ipc.h) handles it: never a crash, the task is claimed
 * and gone, and the answer is exactly what the protocol promises for what
 * cs_task_parse() makes of the bytes: a well-formed response for a task
 * with a readable requestId (ok, or the parser's error code), nothing
 * otherwise, and a quarantined copy counted for every rejected task.
 *
 * One temp tree and one service serve every run: a home, a small findings
 * log with entries of group "main" to query, and a config loaded from a
 * file (so check_config really reloads it). The group directory is a
 * session of group main (ipc_roots <root>/groups/(*)/(*), as NanoClaw v2
 * lays them out) renamed after every run: the service sees a new directory,
 * so a requestId used by an earlier run is never a duplicate and every run
 * is answered the same way. (A fresh service per run would also do that,
 * but closing its inotify instance costs 10-20 ms.) The literal @NOW@ in
 * the input becomes the current timestamp, so seeds reach the tools
 * instead of expiring.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "finding.h"
#include "fsutil.h"
#include "fuzz_env.h"
#include "ipc.h"
#include "logstore.h"
#include "tasks.h"

#define TASK_NAME "1800000000000-fuzz.json"
#define NOW_MARK "@NOW@"

static char root[PATH_MAX], group[PATH_MAX];
static unsigned long session;
static struct cs_config cfg;
static struct cs_ipc *svc;
static char *buf;
static size_t buf_cap;

static void pathf(char *out, const char *fmt, const char *a)
{
	CHECK((size_t)snprintf(out, PATH_MAX, fmt, root, a) < PATH_MAX);
}

/* A path inside the current group directory. */
static void gpath(char *out, const char *name)
{
	CHECK((size_t)snprintf(out, PATH_MAX, "%s/%s", group, name) < PATH_MAX);
}

static void set_group(void)
{
	CHECK((size_t)snprintf(group, sizeof(group), "%s/groups/main/s%lu", root, session) <
	      sizeof(group));
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	CHECK(fd >= 0);
	CHECK(len == 0 || write(fd, data, len) == (ssize_t)len);
	close(fd);
}

/* Entries of a directory other than . and ..; each one removed when asked. */
static size_t drain_dir(const char *path, bool remove)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (remove)
			CHECK(unlinkat(dirfd(d), e->d_name, 0) == 0);
	}
	closedir(d);
	return n;
}

/* Three findings, two of them from group main's containers. */
static void write_findings_log(void)
{
	static const char *const sources[] = {"nanoclaw-main-1700000000000/node/42",
					      "nanoclaw-other-1700000000000/node/7",
					      "nanoclaw-main-1700000000001/curl/43"};
	char path[PATH_MAX];
	FILE *f;

	pathf(path, "%s/home/logs/%s", CS_FINDINGS_FILE);
	f = fopen(path, "w");
	CHECK(f);
	for (size_t i = 0; i < 3; i++) {
		struct cs_finding fd = {
			.direction = i == 1 ? CS_DIR_INBOUND : CS_DIR_OUTBOUND,
			.threat = i == 1 ? CS_THREAT_INJECTION : CS_THREAT_EXFIL,
			.severity = (enum cs_severity)(i + 1),
			.timestamp_ms = 1790000000000ull + i * 1000,
		};
		char *line;

		snprintf(fd.protocol, sizeof(fd.protocol), "https");
		snprintf(fd.pattern, sizeof(fd.pattern), "%s",
			 i == 1 ? "pipe_to_shell" : "ai_api_key");
		snprintf(fd.source, sizeof(fd.source), "%s", sources[i]);
		snprintf(fd.dest, sizeof(fd.dest), "api.example.com:443");
		snprintf(fd.snippet, sizeof(fd.snippet), "Authorization: Bearer sk-ant-***");
		line = cs_finding_to_line(&fd);
		CHECK(line);
		fprintf(f, "%s\n", line);
		free(line);
	}
	CHECK(fclose(f) == 0);
	CHECK(chmod(path, 0600) == 0);
}

static void load_config(void)
{
	char path[PATH_MAX], text[4 * PATH_MAX];
	struct cs_config_problems *p = malloc(sizeof(*p));
	int n;

	CHECK(p);
	n = snprintf(text, sizeof(text),
		     "{\"home\":\"%s/home\",\"nanoclaw_dir\":\"%s/nanoclaw\","
		     "\"ipc_roots\":[\"%s/groups/*/*\"],\"docker_containers_dir\":\"%s/docker\"}",
		     root, root, root, root);
	CHECK(n > 0 && (size_t)n < sizeof(text));
	pathf(path, "%s/%s", "config.json");
	write_file(path, text, (size_t)n, 0600);
	if (cs_config_load(path, &cfg, p)) {
		for (size_t i = 0; i < p->n && i < 64; i++)
			fprintf(stderr, "config %s: %s\n", p->items[i].path, p->items[i].reason);
		abort();
	}
	free(p);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Only ever our own mkdtemp() directory, symlinks not followed. */
static void remove_tree(void)
{
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[PATH_MAX], err[256];

	(void)argc;
	(void)argv;
	fuzz_clear_env();
	fuzz_temp_dir("cs-fuzz-ipc", root);
	atexit(remove_tree);
	set_group();
	gpath(path, "clawsec_tasks");
	CHECK(cs_mkdir_p(path, 0755) == 0);
	pathf(path, "%s/%s", "home/logs");
	CHECK(cs_mkdir_p(path, 0700) == 0);
	write_findings_log();
	load_config();
	svc = cs_ipc_new(&cfg, err, sizeof(err));
	CHECK(svc);
	return 0;
}

/* The input with every @NOW@ replaced by the current time. */
static size_t expand_now(const uint8_t *data, size_t size)
{
	char now[CS_TIMESTAMP_LEN];
	size_t out = 0, tlen;

	cs_format_timestamp(cs_now_ms(), now);
	tlen = strlen(now);
	if (buf_cap < size * 6 + 1) {
		buf_cap = size * 6 + 1;
		buf = realloc(buf, buf_cap);
		CHECK(buf);
	}
	for (size_t i = 0; i < size;) {
		if (size - i >= 5 && !memcmp(data + i, NOW_MARK, 5)) {
			memcpy(buf + out, now, tlen);
			out += tlen;
			i += 5;
		} else {
			buf[out++] = (char)data[i++];
		}
	}
	buf[out] = '\0';
	return out;
}

static bool is_code(const char *s)
{
	static const char *const codes[] = {
		CS_ERR_INVALID_JSON, CS_ERR_INVALID_TASK, CS_ERR_TOO_LARGE,   CS_ERR_UNKNOWN_TYPE,
		CS_ERR_DUPLICATE,    CS_ERR_TIMEOUT,	  CS_ERR_UNAVAILABLE, CS_ERR_INTERNAL,
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(s, codes[i]))
			return true;
	return false;
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A group sees its own findings only, never more than it asked for. */
static void check_group_findings(const struct cs_task *t, const cJSON *result)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(result, "findings"), *f;
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(result, "count");

	if (strcmp(t->type, "clawsec_traffic_findings"))
		return;
	CHECK(cJSON_IsArray(list) && cJSON_IsNumber(count));
	CHECK(count->valueint == cJSON_GetArraySize(list));
	CHECK((unsigned)count->valueint <= t->limit);
	cJSON_ArrayForEach(f, list) {
		const char *src = str_of(f, "source");

		CHECK(src && !strncmp(src, "nanoclaw-main-", 14));
	}
}

/*
 * The answer the service wrote for task t (parser verdict `code`): the
 * envelope is right and it carries the same verdict. Returns ok.
 */
static bool check_answer(const struct cs_task *t, const char *code)
{
	char path[PATH_MAX], name[CS_TASK_ID_MAX + 8];
	size_t len = 0;
	char *text;
	cJSON *r;
	const cJSON *ok, *err;
	bool is_ok;

	snprintf(name, sizeof(name), "%s.json", t->request_id);
	gpath(path, "clawsec_results");
	CHECK(strlen(path) + 1 + strlen(name) < sizeof(path));
	strcat(strcat(path, "/"), name);
	text = cs_read_file(path, 8u << 20, &len);
	CHECK(text);
	r = cJSON_ParseWithLength(text, len);
	free(text);
	CHECK(cJSON_IsObject(r));
	CHECK(str_of(r, "schema") && !strcmp(str_of(r, "schema"), CS_IPC_RESPONSE_SCHEMA));
	CHECK(str_of(r, "requestId") && !strcmp(str_of(r, "requestId"), t->request_id));
	CHECK(str_of(r, "type") && !strcmp(str_of(r, "type"), t->type));
	ok = cJSON_GetObjectItemCaseSensitive(r, "ok");
	err = cJSON_GetObjectItemCaseSensitive(r, "error");
	CHECK(cJSON_IsBool(ok));
	is_ok = cJSON_IsTrue(ok);
	if (is_ok) {
		CHECK(!code && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "result")));
		CHECK(!err);
		check_group_findings(t, cJSON_GetObjectItemCaseSensitive(r, "result"));
	} else {
		CHECK(cJSON_IsObject(err) && str_of(err, "code") && str_of(err, "message"));
		CHECK(is_code(str_of(err, "code")));
		/* A task the parser accepts can still time out or find the log unreadable. */
		CHECK(code ? !strcmp(str_of(err, "code"), code)
			   : !strcmp(str_of(err, "code"), CS_ERR_TIMEOUT) ||
				      !strcmp(str_of(err, "code"), CS_ERR_UNAVAILABLE));
	}
	cJSON_Delete(r);
	return is_ok;
}

static void check_outcome(const char *text, size_t len, const struct cs_ipc_stats *st)
{
	char path[PATH_MAX], msg[256];
	struct cs_task t;
	const char *code = cs_task_parse(text, len, cs_now_ms(), &t, msg, sizeof(msg));
	size_t results, quarantined;

	CHECK(st->tasks == 1 && st->claim_failures == 0 && st->answer_failures == 0);
	gpath(path, "clawsec_tasks");
	CHECK(drain_dir(path, false) == 0);
	gpath(path, "clawsec_results");
	results = drain_dir(path, false);
	CHECK(results == (t.request_id[0] ? 1u : 0u));
	CHECK(st->answered_ok + st->answered_error == results);
	CHECK(st->unanswered == 1 - results);
	if (results)
		CHECK(check_answer(&t, code) == (st->answered_ok == 1));
	drain_dir(path, true);
	/* Rejected tasks are kept for the operator; accepted ones are deleted. */
	pathf(path, "%s/%s", "home/quarantine/main");
	quarantined = drain_dir(path, true);
	CHECK(quarantined == st->quarantined && st->dropped == 0);
	CHECK(quarantined == (code ? 1u : 0u));
}

/*
 * Nothing stays in the private processing directory of a group under
 * <home>/ipc; each is removed, as this run's directory is never seen again.
 */
static void check_nothing_claimed(void)
{
	char path[PATH_MAX], sub[PATH_MAX * 2];
	struct dirent *e;
	DIR *d;

	pathf(path, "%s/%s", "home/ipc");
	d = opendir(path);
	CHECK(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s/processing", path, e->d_name);
		CHECK(rmdir(sub) == 0);
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		CHECK(rmdir(sub) == 0);
	}
	closedir(d);
}

/* The counters of this run only. */
static void stats_delta(const struct cs_ipc_stats *a, struct cs_ipc_stats *b)
{
#define D(f) b->f -= a->f
	D(tasks);
	D(claim_failures);
	D(answer_failures);
	D(answered_ok);
	D(answered_error);
	D(unanswered);
	D(quarantined);
	D(dropped);
#undef D
}

/* Move the group directory to a new session path for the next run. */
static void next_session(void)
{
	char old[PATH_MAX];

	memcpy(old, group, sizeof(old));
	session++;
	set_group();
	CHECK(rename(old, group) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[PATH_MAX];
	size_t len = expand_now(data, size);
	struct cs_ipc_stats before, st;

	gpath(path, "clawsec_tasks/" TASK_NAME);
	write_file(path, buf, len, 0644);
	cs_ipc_get_stats(svc, &before);
	/* Forget the group list: the next call rescans and finds this run's directory. */
	cs_ipc_set_config(svc, &cfg);
	CHECK(cs_ipc_process(svc, cs_now_ms()) == 1);
	cs_ipc_get_stats(svc, &st);
	stats_delta(&before, &st);
	check_outcome(buf, len, &st);
	check_nothing_claimed();
	next_session();
	return 0;
}
