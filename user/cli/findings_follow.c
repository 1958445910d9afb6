// SPDX-License-Identifier: MIT
/*
 * findings_follow.c - `findings --follow`: poll the live log for appended
 * lines (4 times a second), keep a partial last line until its newline, and
 * notice rotation by the inode changing or the size shrinking.
 */
#include "findings_follow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "finding_table.h"
#include "fold.h"

#define PROG "clawsec-traffic findings"
#define BACKLOG 10
#define POLL_NS 250000000L

struct follower {
	const struct cs_findings_query *q;
	bool json, header_done;
	unsigned width;
	char path[PATH_MAX];
	int fd;
	ino_t ino;
	off_t off;
	char line[CS_JSONL_MAX_LINE + 1];
	size_t len;
	bool skipping; /* the rest of an over-long line */
};

static bool matches(const struct cs_findings_query *q, const struct cs_finding *f)
{
	if (q->since_ms && f->timestamp_ms < q->since_ms)
		return false;
	if (q->has_min_severity && f->severity < q->min_severity)
		return false;
	return !q->pattern || !strcmp(q->pattern, f->pattern);
}

/* One finding or fold summary out; false when stdout is gone. */
static bool show(struct follower *w, const struct cs_finding *f, const char *raw)
{
	if (w->json) {
		if (puts(raw) < 0 || fflush(stdout))
			return false;
		return true;
	}
	bool header = !w->header_done;

	w->header_done = true;
	return cs_finding_table_row(stdout, f, w->width, header) == 0;
}

static bool on_line(struct follower *w, const char *line, size_t len)
{
	struct cs_finding f;
	char err[128];
	cJSON *o = cJSON_ParseWithLength(line, len);
	bool ok = true;

	if (o &&
	    (cs_fold_record(o) ? cs_fold_from_json(o, &f) == 0
			       : cs_finding_from_json(o, &f, err, sizeof(err)) == 0) &&
	    matches(w->q, &f)) {
		char *raw = cJSON_PrintUnformatted(o);

		ok = raw && show(w, &f, raw);
		free(raw);
	}
	cJSON_Delete(o);
	return ok;
}

/* Feed bytes read from the file: complete lines go out, the tail waits. */
static bool feed(struct follower *w, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (w->len < CS_JSONL_MAX_LINE)
				w->line[w->len++] = buf[i];
			else
				w->skipping = true;
			continue;
		}
		if (!w->skipping && w->len && !on_line(w, w->line, w->len))
			return false;
		w->len = 0;
		w->skipping = false;
	}
	return true;
}

/* Read what was appended since the last call; false when stdout is gone. */
static bool drain(struct follower *w)
{
	char buf[65536];
	ssize_t n;

	while ((n = pread(w->fd, buf, sizeof(buf), w->off)) > 0) {
		w->off += n;
		if (!feed(w, buf, (size_t)n))
			return false;
	}
	return true;
}

/* Open the live file; from its end when `at_end` (start-up), else its start. */
static void reopen(struct follower *w, bool at_end)
{
	struct stat st;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = open(w->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	w->off = 0;
	w->len = 0;
	w->skipping = false;
	if (w->fd >= 0 && !fstat(w->fd, &st)) {
		w->ino = st.st_ino;
		w->off = at_end ? st.st_size : 0;
	}
}

/* The file was rotated or truncated: finish the old one, switch to the new. */
static bool check_rotation(struct follower *w)
{
	struct stat st;

	if (stat(w->path, &st))
		return true; /* between the rename and the new file: wait */
	if (w->fd >= 0 && st.st_ino == w->ino && st.st_size >= w->off)
		return true;
	if (w->fd >= 0 && st.st_ino != w->ino && !drain(w))
		return false;
	reopen(w, false);
	return true;
}

struct backlog {
	struct cs_finding f[BACKLOG];
	char *raw[BACKLOG];
	size_t n;
};

static int keep(void *ctx, const struct cs_finding *f)
{
	struct backlog *b = ctx;

	b->f[b->n] = *f;
	b->raw[b->n++] = cs_finding_to_line(f);
	return 0;
}

/* The last BACKLOG matching findings, oldest first, like journalctl -f. */
static bool backlog(struct follower *w, const char *log_dir)
{
	struct cs_findings_query q = *w->q;
	struct backlog b = {.n = 0};
	bool ok = true;

	q.limit = BACKLOG;
	q.malformed = NULL;
	cs_logstore_query(log_dir, &q, keep, &b, NULL);
	for (size_t i = b.n; i-- > 0;) {
		ok = ok && b.raw[i] && show(w, &b.f[i], b.raw[i]);
		free(b.raw[i]);
	}
	if (ok && !w->json && !w->header_done) {
		w->header_done = true;
		ok = cs_finding_table_row(stdout, NULL, w->width, true) == 0;
	}
	return ok;
}

int cs_findings_follow(const char *log_dir, const struct cs_findings_query *q, bool json,
		       unsigned width)
{
	struct follower *w = calloc(1, sizeof(*w));
	struct timespec tick = {.tv_nsec = POLL_NS};
	int rc = 0;

	if (!w) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	w->q = q;
	w->json = json;
	w->width = width;
	w->fd = -1;
	cs_logstore_path(log_dir, w->path, sizeof(w->path));
	reopen(w, true);
	if (!backlog(w, log_dir))
		rc = 1;
	while (!rc) {
		if ((w->fd >= 0 && !drain(w)) || !check_rotation(w))
			rc = 1;
		else
			nanosleep(&tick, NULL);
	}
	if (w->fd >= 0)
		close(w->fd);
	free(w);
	return rc;
}
