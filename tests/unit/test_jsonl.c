// SPDX-License-Identifier: MIT
/*
 * test_jsonl.c - the findings log: whole lines only, mode 0600, rotation and
 * retention, two processes appending at once, and a real full disk (a small
 * tmpfs; needs root, skipped outside CI without it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "finding.h"
#include "jsonl.h"
#include "schema_check.h"

static char dir[PATH_MAX];
static char path[PATH_MAX + 32];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cs-test-jsonl-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/findings.jsonl", dir);
	return 0;
}

static int remove_dir(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	/* A failed full-disk test may have left its tmpfs mounted. */
	snprintf(cmd, sizeof(cmd), "%s/tmpfs", dir);
	umount2(cmd, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/*
 * Every line of the file must be complete JSON; fn sees each parsed line.
 * Returns the number of lines.
 */
static size_t for_each_line(const char *p, void (*fn)(void *, const cJSON *), void *ctx)
{
	size_t len = 0, n = 0;
	char *buf = slurp(p, &len);

	if (!buf)
		return 0;
	if (len && buf[len - 1] != '\n')
		fail_msg("%s does not end with a newline (half line)", p);
	for (char *line = buf, *nl; line < buf + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(buf + len - line));
		*nl = '\0';
		cJSON *o = cJSON_Parse(line);
		if (!o)
			fail_msg("%s line %zu is not JSON: %.80s", p, n + 1, line);
		if (fn)
			fn(ctx, o);
		cJSON_Delete(o);
		n++;
	}
	free(buf);
	return n;
}

static void unlink_all(void)
{
	char p[PATH_MAX + 48];

	unlink(path);
	for (int i = 1; i <= 10; i++) {
		snprintf(p, sizeof(p), "%s.%d", path, i);
		unlink(p);
	}
}

static struct cs_jsonl *open_log(uint64_t rotate_bytes, unsigned keep, enum cs_fsync_policy fs)
{
	struct cs_jsonl_config cfg = {.path = path,
				      .rotate_bytes = rotate_bytes,
				      .rotate_keep = keep,
				      .fsync = fs,
				      .fsync_interval_ms = 10};
	char err[256];
	struct cs_jsonl *w = cs_jsonl_open(&cfg, err, sizeof(err));

	if (!w)
		fail_msg("open: %s", err);
	return w;
}

static struct cs_finding finding(unsigned i)
{
	struct cs_finding f;

	memset(&f, 0, sizeof(f));
	f.direction = i % 2 ? CS_DIR_INBOUND : CS_DIR_OUTBOUND;
	f.threat = i % 2 ? CS_THREAT_INJECTION : CS_THREAT_EXFIL;
	f.severity = CS_SEV_HIGH;
	snprintf(f.protocol, sizeof(f.protocol), "https");
	snprintf(f.pattern, sizeof(f.pattern), "%s", i % 2 ? "pipe_to_shell" : "ai_api_key");
	snprintf(f.source, sizeof(f.source), "node/%u", 1000 + i);
	snprintf(f.dest, sizeof(f.dest), "api.example.com:443");
	snprintf(f.snippet, sizeof(f.snippet), "seq %u [REDACTED]", i);
	f.timestamp_ms = 1777161600000ull + i;
	return f;
}

static void check_schema(void *ctx, const cJSON *o)
{
	char err[512];

	if (cs_schema_check(ctx, o, err, sizeof(err)))
		fail_msg("line fails the finding schema: %s", err);
}

static void test_findings_valid_and_0600(void **state)
{
	char err[256];
	struct stat st;
	struct cs_jsonl_stats s;
	cJSON *schema = cs_schema_load(CS_SOURCE_DIR "/docs/finding.schema.json", err, sizeof(err));

	(void)state;
	assert_non_null(schema);
	unlink_all();
	struct cs_jsonl *w = open_log(0, 0, CS_FSYNC_ALWAYS);
	for (unsigned i = 0; i < 50; i++) {
		struct cs_finding f = finding(i);

		assert_int_equal(cs_jsonl_append_finding(w, &f), 0);
	}
	cs_jsonl_get_stats(w, &s);
	assert_int_equal(s.lines, 50);
	assert_int_equal(s.write_failures, 0);
	assert_int_equal(s.fsync_failures, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal((uint64_t)st.st_size, s.bytes);
	assert_string_equal(cs_jsonl_path(w), path);
	cs_jsonl_close(w);
	assert_int_equal(for_each_line(path, check_schema, schema), 50);
	cJSON_Delete(schema);
}

static void test_existing_file_tightened_and_appended(void **state)
{
	struct stat st;
	int fd;

	(void)state;
	unlink_all();
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	assert_int_equal(write(fd, "{\"old\":1}\n", 10), 10);
	close(fd);
	struct cs_jsonl *w = open_log(0, 0, CS_FSYNC_INTERVAL);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(cs_jsonl_append(w, "{\"new\":2}", 9), 0);
	assert_int_equal(cs_jsonl_sync(w), 0);
	cs_jsonl_close(w);
	assert_int_equal(for_each_line(path, NULL, NULL), 2);
}

static void test_refuses_symlink_and_bad_lines(void **state)
{
	struct cs_jsonl_config cfg = {.path = path};
	struct cs_jsonl_stats s;
	char err[256], big[CS_JSONL_MAX_LINE + 2];
	size_t len;

	(void)state;
	unlink_all();
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_null(cs_jsonl_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open"));
	unlink(path);
	cfg.rotate_keep = CS_JSONL_MAX_KEEP + 1;
	assert_null(cs_jsonl_open(&cfg, err, sizeof(err)));

	struct cs_jsonl *w = open_log(0, 0, CS_FSYNC_NEVER);
	assert_int_equal(cs_jsonl_append(w, "{\"a\":1}\n{\"b\":2}", 15), -EINVAL);
	memset(big, 'x', sizeof(big));
	assert_int_equal(cs_jsonl_append(w, big, sizeof(big)), -E2BIG);
	assert_int_equal(cs_jsonl_append(w, "{\"ok\":1}", 8), 0);
	cs_jsonl_get_stats(w, &s);
	assert_int_equal(s.lines, 1);
	assert_int_equal(s.write_failures, 2);
	assert_int_equal(s.last_errno, E2BIG);
	cs_jsonl_close(w);
	char *buf = slurp(path, &len);
	assert_non_null(buf);
	assert_string_equal(buf, "{\"ok\":1}\n");
	free(buf);
}

struct seq_ctx {
	long next; /* expected seq, or -1 before the first line */
	long count;
};

/* Lines must be consecutive across .N ... .1, live (oldest to newest). */
static void check_seq(void *ctx, const cJSON *o)
{
	struct seq_ctx *c = ctx;
	long seq = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "seq"));

	if (c->next >= 0 && seq != c->next)
		fail_msg("expected seq %ld, found %ld", c->next, seq);
	c->next = seq + 1;
	c->count++;
}

static void test_rotation_and_retention(void **state)
{
	char line[128], p[PATH_MAX + 48];
	struct cs_jsonl_stats s;
	struct stat st;
	struct seq_ctx c = {.next = -1};

	(void)state;
	unlink_all();
	struct cs_jsonl *w = open_log(1000, 3, CS_FSYNC_NEVER);
	for (int i = 0; i < 200; i++) {
		int n = snprintf(line, sizeof(line), "{\"seq\":%d,\"pad\":\"%060d\"}", i, i);

		assert_int_equal(cs_jsonl_append(w, line, (size_t)n), 0);
	}
	cs_jsonl_get_stats(w, &s);
	assert_true(s.rotations >= 15);
	cs_jsonl_close(w);
	for (int i = 3; i >= 0; i--) {
		if (i)
			snprintf(p, sizeof(p), "%s.%d", path, i);
		else
			snprintf(p, sizeof(p), "%s", path);
		assert_int_equal(stat(p, &st), 0);
		assert_true(st.st_size <= 1000);
		assert_int_equal(st.st_mode & 07777, 0600);
		for_each_line(p, check_seq, &c);
	}
	snprintf(p, sizeof(p), "%s.4", path);
	assert_int_equal(stat(p, &st), -1);
	assert_int_equal(c.next, 200); /* the newest line is in the live file */
	assert_true(c.count > 30 && c.count < 60);
}

/* keep = 0 keeps no history; a lowered keep drops the now-surplus files. */
static void test_retention_zero_and_lowered(void **state)
{
	char p[PATH_MAX + 48];
	struct stat st;
	int fd;

	(void)state;
	unlink_all();
	for (int i = 1; i <= 5; i++) {
		snprintf(p, sizeof(p), "%s.%d", path, i);
		fd = open(p, O_WRONLY | O_CREAT, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	struct cs_jsonl *w = open_log(100, 2, CS_FSYNC_NEVER);
	for (int i = 0; i < 4; i++)
		assert_int_equal(
			cs_jsonl_append(w, "{\"pad\":\"0123456789012345678901234567890123456789\"}",
					50),
			0);
	cs_jsonl_close(w);
	for (int i = 3; i <= 5; i++) {
		snprintf(p, sizeof(p), "%s.%d", path, i);
		assert_int_equal(stat(p, &st), -1);
	}
	unlink_all();
	w = open_log(110, 0, CS_FSYNC_NEVER); /* two lines per file */
	for (int i = 0; i < 10; i++)
		assert_int_equal(
			cs_jsonl_append(w, "{\"pad\":\"0123456789012345678901234567890123456789\"}",
					50),
			0);
	cs_jsonl_close(w);
	snprintf(p, sizeof(p), "%s.1", path);
	assert_int_equal(stat(p, &st), -1);
	assert_int_equal(for_each_line(path, NULL, NULL), 2);
}

/* Someone renames the live file away (logrotate, an operator): we follow. */
static void test_follows_external_rename(void **state)
{
	char moved[PATH_MAX + 48];

	(void)state;
	unlink_all();
	snprintf(moved, sizeof(moved), "%s.moved", path);
	struct cs_jsonl *w = open_log(0, 0, CS_FSYNC_NEVER);
	assert_int_equal(cs_jsonl_append(w, "{\"n\":1}", 7), 0);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(cs_jsonl_append(w, "{\"n\":2}", 7), 0);
	cs_jsonl_close(w);
	assert_int_equal(for_each_line(moved, NULL, NULL), 1);
	assert_int_equal(for_each_line(path, NULL, NULL), 1);
	unlink(moved);
}

#define CHILD_LINES 3000

struct writer_counts {
	long seen[2];
	long max_seq[2];
};

static void count_writer(void *ctx, const cJSON *o)
{
	struct writer_counts *c = ctx;
	int who = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "w"));
	const char *pad = cJSON_GetStringValue(cJSON_GetObjectItem(o, "pad"));

	if ((who != 0 && who != 1) || !pad)
		fail_msg("a line lost its fields");
	for (const char *q = pad; *q; q++)
		if (*q != (who ? 'b' : 'a'))
			fail_msg("writer %d's line carries bytes of the other writer", who);
	c->seen[who]++;
}

static void child_writer(int who, uint64_t rotate_bytes)
{
	static char line[8192], pad[6000];
	struct cs_jsonl_config cfg = {
		.path = path, .rotate_bytes = rotate_bytes, .rotate_keep = 1000};
	char err[256];
	struct cs_jsonl *w = cs_jsonl_open(&cfg, err, sizeof(err));

	if (!w)
		_exit(2);
	for (int i = 0; i < CHILD_LINES; i++) {
		size_t plen = (size_t)(i * 37 % 5000) + 1;
		memset(pad, who ? 'b' : 'a', plen);
		pad[plen] = '\0';
		int n = snprintf(line, sizeof(line), "{\"w\":%d,\"seq\":%d,\"pad\":\"%s\"}", who, i,
				 pad);
		if (cs_jsonl_append(w, line, (size_t)n))
			_exit(3);
	}
	cs_jsonl_close(w);
	_exit(0);
}

static void run_two_writers(uint64_t rotate_bytes)
{
	struct writer_counts c = {{0, 0}, {0, 0}};
	char p[PATH_MAX + 48];
	pid_t pids[2];
	int status;

	unlink_all();
	for (unsigned i = 1; i <= CS_JSONL_MAX_KEEP; i++) {
		snprintf(p, sizeof(p), "%s.%u", path, i);
		if (unlink(p) < 0)
			break;
	}
	for (int who = 0; who < 2; who++) {
		pids[who] = fork();
		assert_true(pids[who] >= 0);
		if (pids[who] == 0)
			child_writer(who, rotate_bytes);
	}
	for (int who = 0; who < 2; who++) {
		assert_int_equal(waitpid(pids[who], &status, 0), pids[who]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	for_each_line(path, count_writer, &c);
	for (unsigned i = 1; i <= CS_JSONL_MAX_KEEP; i++) {
		snprintf(p, sizeof(p), "%s.%u", path, i);
		if (access(p, F_OK) < 0)
			break;
		for_each_line(p, count_writer, &c);
	}
	assert_int_equal(c.seen[0], CHILD_LINES);
	assert_int_equal(c.seen[1], CHILD_LINES);
}

static void test_two_processes_never_interleave(void **state)
{
	(void)state;
	run_two_writers(0);
}

static void test_two_processes_rotating(void **state)
{
	(void)state;
	run_two_writers(256 << 10);
}

/* A real full disk: lines fail whole, are counted, and writing resumes after. */
static void test_enospc_on_small_tmpfs(void **state)
{
	char mnt[PATH_MAX + 16], filler[PATH_MAX + 32], line[1100];
	struct cs_jsonl_stats s;
	struct stat st;
	int fd, failures_in_a_row = 0;

	(void)state;
	if (geteuid() != 0) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			fail_msg("CI=true: the full-disk test needs root (mount -t tmpfs)");
		fprintf(stderr, "skip: full-disk test needs root to mount a small tmpfs\n");
		skip();
	}
	snprintf(mnt, sizeof(mnt), "%s/tmpfs", dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0700") < 0) {
		int e = errno;

		rmdir(mnt);
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			fail_msg("CI=true: cannot mount tmpfs: %s", strerror(e));
		fprintf(stderr, "skip: cannot mount a tmpfs here: %s\n", strerror(e));
		skip();
	}
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	memset(line, 'f', sizeof(line));
	for (int i = 0; i < 16; i++)
		assert_int_equal(write(fd, line, 1024), 1024);
	close(fd);

	snprintf(path, sizeof(path), "%s/findings.jsonl", mnt);
	struct cs_jsonl *w = open_log(0, 0, CS_FSYNC_ALWAYS);
	/* Lines of varied length, so some straddle a page that cannot be allocated. */
	for (int i = 0; i < 400 && failures_in_a_row < 20; i++) {
		size_t plen = (size_t)(i * 131 % 900) + 50;
		memset(line, 'p', plen);
		line[plen] = '\0';
		char buf[1200];
		int n = snprintf(buf, sizeof(buf), "{\"seq\":%d,\"pad\":\"%s\"}", i, line);
		failures_in_a_row = cs_jsonl_append(w, buf, (size_t)n) ? failures_in_a_row + 1 : 0;
	}
	cs_jsonl_get_stats(w, &s);
	assert_true(s.lines > 10);
	assert_true(s.write_failures >= 20);
	assert_int_equal(s.last_errno, ENOSPC);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((uint64_t)st.st_size, s.bytes); /* no half line left behind */
	assert_int_equal(for_each_line(path, NULL, NULL), s.lines);

	/* Space comes back: the writer simply carries on. */
	assert_int_equal(unlink(filler), 0);
	assert_int_equal(cs_jsonl_append(w, "{\"after\":1}", 11), 0);
	cs_jsonl_close(w);
	assert_int_equal(for_each_line(path, NULL, NULL), s.lines + 1);
	assert_int_equal(umount(mnt), 0);
	rmdir(mnt);
	snprintf(path, sizeof(path), "%s/findings.jsonl", dir);
}

/* A crash mid-write left a torn last line: the next finding starts a line of its own. */
static void test_torn_tail_starts_fresh_line(void **state)
{
	struct cs_jsonl_stats s;
	size_t len = 0;
	char *buf;
	int fd;

	(void)state;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"ok\":1}\n{\"torn\":", 17), 17);
	close(fd);
	struct cs_jsonl *w = open_log(0, 0, CS_FSYNC_NEVER);
	assert_int_equal(cs_jsonl_append(w, "{\"next\":2}", 10), 0);
	assert_int_equal(cs_jsonl_append(w, "{\"next\":3}", 10), 0);
	cs_jsonl_get_stats(w, &s);
	cs_jsonl_close(w);
	assert_int_equal(s.torn_tails, 1);
	buf = slurp(path, &len);
	assert_non_null(buf);
	assert_string_equal(buf, "{\"ok\":1}\n{\"torn\":\n{\"next\":2}\n{\"next\":3}\n");
	free(buf);
	/* A clean file gets no extra newline when reopened. */
	w = open_log(0, 0, CS_FSYNC_NEVER);
	assert_int_equal(cs_jsonl_append(w, "{\"next\":4}", 10), 0);
	cs_jsonl_get_stats(w, &s);
	cs_jsonl_close(w);
	assert_int_equal(s.torn_tails, 0);
	buf = slurp(path, &len);
	assert_non_null(buf);
	assert_non_null(strstr(buf, "{\"next\":3}\n{\"next\":4}\n"));
	free(buf);
}

static int mount_small_tmpfs(char *mnt, size_t size, const char *opts)
{
	if (geteuid() != 0) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			fail_msg("CI=true: the full-disk test needs root (mount -t tmpfs)");
		fprintf(stderr, "skip: full-disk test needs root to mount a small tmpfs\n");
		return -1;
	}
	snprintf(mnt, size, "%s/tmpfs", dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
		int e = errno;

		rmdir(mnt);
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			fail_msg("CI=true: cannot mount tmpfs: %s", strerror(e));
		fprintf(stderr, "skip: cannot mount a tmpfs here: %s\n", strerror(e));
		return -1;
	}
	return 0;
}

static void max_seq(void *ctx, const cJSON *o)
{
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(o, "seq");
	int *max = ctx;

	if (cJSON_IsNumber(seq) && seq->valueint > *max)
		*max = seq->valueint;
}

/*
 * Full disk with rotated files: the oldest rotated files are deleted so that
 * every new finding is still written (the policy keeps the newest).
 */
static void test_full_disk_keeps_newest(void **state)
{
	char mnt[PATH_MAX + 16], filler[PATH_MAX + 32], line[600], buf[700];
	struct cs_jsonl_stats s;
	int fd, newest = -1, oldest_left = -1;

	(void)state;
	if (mount_small_tmpfs(mnt, sizeof(mnt), "size=64k,mode=0700"))
		skip();
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	memset(line, 'f', sizeof(line));
	for (int i = 0; i < 40; i++)
		assert_int_equal(write(fd, line, 600), 600);
	close(fd);
	snprintf(path, sizeof(path), "%s/findings.jsonl", mnt);
	/* Up to 11 files of 8 KiB: far more than the ~40 KiB left. */
	struct cs_jsonl *w = open_log(8192, 10, CS_FSYNC_NEVER);
	memset(line, 'p', 500);
	line[500] = '\0';
	for (int i = 0; i < 300; i++) {
		int n = snprintf(buf, sizeof(buf), "{\"seq\":%d,\"pad\":\"%s\"}", i, line);

		assert_int_equal(cs_jsonl_append(w, buf, (size_t)n), 0);
	}
	cs_jsonl_get_stats(w, &s);
	cs_jsonl_close(w);
	assert_int_equal(s.write_failures, 0);
	assert_true(s.space_reclaims >= 1);
	assert_int_equal(s.lines, 300);
	for_each_line(path, max_seq, &newest);
	assert_int_equal(newest, 299);
	/* What was given up is the oldest: the highest rotated file left is not seq 0. */
	for (int i = 10; i >= 1 && oldest_left < 0; i--) {
		char p[PATH_MAX + 48];
		int max = -1;

		snprintf(p, sizeof(p), "%s.%d", path, i);
		if (access(p, F_OK) == 0) {
			for_each_line(p, max_seq, &max);
			oldest_left = max;
		}
	}
	assert_true(oldest_left > 20);
	assert_int_equal(umount2(mnt, MNT_DETACH), 0);
	rmdir(mnt);
	snprintf(path, sizeof(path), "%s/findings.jsonl", dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_findings_valid_and_0600),
		cmocka_unit_test(test_existing_file_tightened_and_appended),
		cmocka_unit_test(test_refuses_symlink_and_bad_lines),
		cmocka_unit_test(test_rotation_and_retention),
		cmocka_unit_test(test_retention_zero_and_lowered),
		cmocka_unit_test(test_follows_external_rename),
		cmocka_unit_test(test_two_processes_never_interleave),
		cmocka_unit_test(test_two_processes_rotating),
		cmocka_unit_test(test_enospc_on_small_tmpfs),
		cmocka_unit_test(test_torn_tail_starts_fresh_line),
		cmocka_unit_test(test_full_disk_keeps_newest),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
