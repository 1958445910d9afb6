/* SPDX-License-Identifier: MIT */
/* test_logstore.c - findings read back newest first across rotated files, with filters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"
#include "fsutil.h"
#include "logstore.h"

static char tmp[256];
static struct cs_config *cfg;

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/cs-test-logstore-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	cfg = malloc(sizeof(*cfg));
	assert_non_null(cfg);
	cs_config_defaults(cfg);
	snprintf(cfg->log_dir, sizeof(cfg->log_dir), "%s/logs", tmp);
	cfg->rotate_bytes = 65536;
	cfg->rotate_keep = 50;
	cfg->fsync = CS_FSYNC_NEVER;
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd);
}

static void make_finding(struct cs_finding *f, unsigned i, uint64_t ts)
{
	static const char *const patterns[] = {"ai_api_key", "aws_access_key", "pipe_to_shell"};

	memset(f, 0, sizeof(*f));
	f->direction = CS_DIR_OUTBOUND;
	f->threat = CS_THREAT_EXFIL;
	f->severity = (enum cs_severity)(i % 4);
	snprintf(f->protocol, sizeof(f->protocol), "https");
	snprintf(f->pattern, sizeof(f->pattern), "%s", patterns[i % 3]);
	snprintf(f->source, sizeof(f->source), "nanoclaw-g%u-1700000000000/node/%u", i % 2, i);
	snprintf(f->dest, sizeof(f->dest), "api.example.com:443");
	snprintf(f->snippet, sizeof(f->snippet), "line %u key=[REDACTED] %.*s", i, (int)(i % 200),
		 "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
		 "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
		 "pppppppppppppppppppppppppppppppppppppppp");
	f->timestamp_ms = ts;
}

struct seen {
	uint64_t last_ts;
	unsigned n;
	bool ordered;
	unsigned stop_at;
};

static int visit(void *ctx, const struct cs_finding *f)
{
	struct seen *s = ctx;

	if (s->n && f->timestamp_ms >= s->last_ts)
		s->ordered = false;
	s->last_ts = f->timestamp_ms;
	s->n++;
	return s->stop_at && s->n == s->stop_at;
}

/* Writes n findings through the real writer; returns the first timestamp. */
static uint64_t write_n(unsigned n)
{
	char err[256];
	struct cs_jsonl *w = cs_logstore_open(cfg, err, sizeof(err));
	struct cs_finding f;
	uint64_t t0 = 1700000000000ull;

	if (!w)
		fail_msg("cs_logstore_open: %s", err);
	for (unsigned i = 0; i < n; i++) {
		make_finding(&f, i, t0 + i);
		assert_int_equal(cs_jsonl_append_finding(w, &f), 0);
	}
	cs_jsonl_close(w);
	return t0;
}

static void test_newest_first_across_rotations(void **state)
{
	struct cs_findings_query q = {0};
	struct cs_findings_read_stats st;
	struct seen s = {.ordered = true};
	char p[PATH_MAX + 64];
	struct stat sb;

	(void)state;
	write_n(2000);
	snprintf(p, sizeof(p), "%s/findings.jsonl.3", cfg->log_dir);
	assert_int_equal(stat(p, &sb), 0); /* several rotations happened */
	assert_int_equal(stat(cfg->log_dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(cs_logstore_query(cfg->log_dir, &q, visit, &s, &st), 2000);
	assert_int_equal(s.n, 2000);
	assert_true(s.ordered);
	assert_int_equal(s.last_ts, 1700000000000ull);
	assert_int_equal(st.malformed, 0);
	assert_true(st.files > 3);
}

/* A query bounded in bytes reads only the newest part of the store, and says so. */
static void test_byte_bound(void **state)
{
	struct cs_findings_query q = {0};
	struct cs_findings_read_stats st;
	struct seen s = {.ordered = true};

	(void)state;
	write_n(2000);
	q.max_bytes = 256 << 10;
	cs_logstore_query(cfg->log_dir, &q, visit, &s, &st);
	assert_true(st.byte_limited);
	assert_true(st.bytes <= q.max_bytes);
	assert_true(s.n > 10 && s.n < 2000);
	assert_true(s.ordered);
	/* What it did read is the newest: the last finding written comes first. */
	s = (struct seen){.ordered = true, .stop_at = 1};
	cs_logstore_query(cfg->log_dir, &q, visit, &s, &st);
	assert_int_equal(s.last_ts, 1700000000000ull + 1999);
	/* Unbounded, the same store is read whole. */
	q.max_bytes = 0;
	s = (struct seen){.ordered = true};
	assert_int_equal(cs_logstore_query(cfg->log_dir, &q, visit, &s, &st), 2000);
	assert_false(st.byte_limited);
}

static void test_filters_and_limit(void **state)
{
	struct cs_findings_query q = {0};
	struct seen s = {.ordered = true};
	uint64_t t0;

	(void)state;
	t0 = write_n(400);
	q.has_min_severity = true;
	q.min_severity = CS_SEV_HIGH; /* i % 4 in {2, 3} */
	assert_int_equal(cs_logstore_query(cfg->log_dir, &q, visit, &s, NULL), 200);

	memset(&q, 0, sizeof(q));
	q.pattern = "aws_access_key"; /* i % 3 == 1 */
	assert_int_equal(cs_logstore_query(cfg->log_dir, &q, visit, &(struct seen){0}, NULL), 133);

	memset(&q, 0, sizeof(q));
	q.group = "g1";
	q.container_prefix = "nanoclaw-";
	assert_int_equal(cs_logstore_query(cfg->log_dir, &q, visit, &(struct seen){0}, NULL), 200);

	memset(&q, 0, sizeof(q));
	q.since_ms = t0 + 390;
	q.limit = 0;
	memset(&s, 0, sizeof(s));
	s.ordered = true;
	/* Files written now are newer than `since`, so the mtime shortcut keeps them. */
	assert_int_equal(cs_logstore_query(cfg->log_dir, &q, visit, &s, NULL), 10);
	assert_int_equal(s.last_ts, t0 + 390);

	memset(&q, 0, sizeof(q));
	q.limit = 7;
	memset(&s, 0, sizeof(s));
	assert_int_equal(cs_logstore_query(cfg->log_dir, &q, visit, &s, NULL), 7);
	assert_int_equal(s.last_ts, t0 + 393);

	/* The visitor can stop the walk too. */
	memset(&q, 0, sizeof(q));
	memset(&s, 0, sizeof(s));
	s.stop_at = 3;
	assert_int_equal(cs_logstore_query(cfg->log_dir, &q, visit, &s, NULL), 3);
}

static void test_source_in_group(void **state)
{
	(void)state;
	assert_true(cs_source_in_group("nanoclaw-main-1700000000000/node/12", "nanoclaw-", "main"));
	assert_true(cs_source_in_group("nanoclaw-main-chat-1700000000002/node/44", "nanoclaw-",
				       "main-chat"));
	/* The leak this guards against: "main" is a prefix of "main-chat". */
	assert_false(cs_source_in_group("nanoclaw-main-chat-1700000000002/node/44", "nanoclaw-",
					"main"));
	assert_false(
		cs_source_in_group("nanoclaw-mainx-1700000000000/node/15", "nanoclaw-", "main"));
	assert_false(cs_source_in_group("nanoclaw-main-17x/node/1", "nanoclaw-", "main"));
	assert_false(cs_source_in_group("nanoclaw-main-/node/1", "nanoclaw-", "main"));
	assert_false(cs_source_in_group("nanoclaw-main-1700000000000", "nanoclaw-", "main"));
	assert_false(cs_source_in_group("proxy/127.0.0.1:5000", "nanoclaw-", "main"));
	assert_false(cs_source_in_group("node/12", "nanoclaw-", "main"));
	assert_false(cs_source_in_group("nanoclaw--1/node/1", "nanoclaw-", ""));
}

/* NanoClaw v2: nanoclaw-v2/<agentGroupId>/<sessionId>/<comm>/<pid>, the group exactly. */
static void test_source_in_group_v2(void **state)
{
	const char *src = "nanoclaw-v2/ag-1-chat/sess-17/bun/87";

	(void)state;
	assert_true(cs_source_in_group(src, "nanoclaw-", "ag-1-chat"));
	assert_true(cs_source_in_group("nanoclaw-v2/ag-1/sess-2/node/9", "nanoclaw-", "ag-1"));
	/* "ag-1" is a prefix of "ag-1-chat": no leak either way. */
	assert_false(cs_source_in_group(src, "nanoclaw-", "ag-1"));
	assert_false(
		cs_source_in_group("nanoclaw-v2/ag-1/sess-2/node/9", "nanoclaw-", "ag-1-chat"));
	/* Not the session, not the folder of the container name, not "v2". */
	assert_false(cs_source_in_group(src, "nanoclaw-", "sess-17"));
	assert_false(cs_source_in_group(src, "nanoclaw-", "v2"));
	assert_false(
		cs_source_in_group("nanoclaw-v2-main-1777161600000/bun/87", "nanoclaw-", "main"));
	/* The whole shape, or nothing: a host process named "nanoclaw-v2" is not a container. */
	assert_false(cs_source_in_group("nanoclaw-v2/4242", "nanoclaw-", "4242"));
	assert_false(cs_source_in_group("nanoclaw-v2/ag-1/sess-2/87", "nanoclaw-", "ag-1"));
	assert_false(cs_source_in_group("nanoclaw-v2/ag-1//bun/87", "nanoclaw-", "ag-1"));
	assert_false(cs_source_in_group("nanoclaw-v2/ag-1/sess-2//87", "nanoclaw-", "ag-1"));
	assert_false(cs_source_in_group("nanoclaw-v2/ag-1/sess-2/bun/8x", "nanoclaw-", "ag-1"));
	assert_false(cs_source_in_group("nanoclaw-v2/ag-1/sess-2/bun/", "nanoclaw-", "ag-1"));
	assert_false(cs_source_in_group("nanoclaw-v2//sess-2/bun/87", "nanoclaw-", ""));
	assert_false(cs_source_in_group("nanoclaw-v2/-x/sess-2/bun/87", "nanoclaw-", "-x"));
}

static void test_malformed_and_long_lines(void **state)
{
	struct cs_findings_query q = {0};
	struct cs_findings_read_stats st;
	struct seen s = {.ordered = true};
	struct cs_finding f;
	char p[PATH_MAX + 64], *line;
	FILE *fp;
	size_t big = 200000;

	(void)state;
	assert_int_equal(cs_mkdir_p(cfg->log_dir, 0700), 0);
	snprintf(p, sizeof(p), "%s/findings.jsonl", cfg->log_dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	make_finding(&f, 1, 1000);
	line = cs_finding_to_line(&f);
	fprintf(fp, "%s\n{not a finding}\n", line);
	free(line);
	for (size_t i = 0; i < big; i++)
		fputc('x', fp);
	fputc('\n', fp);
	make_finding(&f, 2, 2000);
	line = cs_finding_to_line(&f);
	fprintf(fp, "{\"schema_version\":\"other\"}\n%s", line); /* no final newline */
	free(line);
	fclose(fp);
	assert_int_equal(cs_logstore_query(cfg->log_dir, &q, visit, &s, &st), 2);
	assert_int_equal(st.malformed, 3);
	assert_true(s.ordered);
	assert_int_equal(s.last_ts, 1000);
}

static void test_missing_and_unsafe_dirs(void **state)
{
	struct cs_findings_query q = {0};
	char err[256], p[PATH_MAX + 64];

	(void)state;
	assert_int_equal(cs_logstore_query(cfg->log_dir, &q, visit, &(struct seen){0}, NULL), 0);
	assert_int_equal(cs_logstore_prepare(cfg->log_dir, err, sizeof(err)), 0);
	assert_int_equal(chmod(cfg->log_dir, 0755), 0);
	assert_int_equal(cs_logstore_prepare(cfg->log_dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "must be 0700"));
	assert_null(cs_logstore_open(cfg, err, sizeof(err)));
	snprintf(p, sizeof(p), "%s/link", tmp);
	assert_int_equal(symlink(cfg->log_dir, p), 0);
	assert_int_equal(cs_logstore_prepare(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a directory"));
}

static void test_retention(void **state)
{
	char p[PATH_MAX + 64];
	struct timeval old[2] = {{1000000000, 0}, {1000000000, 0}};

	(void)state;
	write_n(2000);
	cfg->retention_days = 1;
	snprintf(p, sizeof(p), "%s/findings.jsonl.2", cfg->log_dir);
	assert_int_equal(utimes(p, old), 0);
	assert_true(cs_logstore_prune(cfg) >= 2);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/findings.jsonl.3", cfg->log_dir);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/findings.jsonl.1", cfg->log_dir);
	assert_int_equal(access(p, F_OK), 0);
	cfg->retention_days = 0;
	assert_int_equal(cs_logstore_prune(cfg), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_newest_first_across_rotations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_byte_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters_and_limit, setup, teardown),
		cmocka_unit_test(test_source_in_group),
		cmocka_unit_test(test_source_in_group_v2),
		cmocka_unit_test_setup_teardown(test_malformed_and_long_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_unsafe_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
