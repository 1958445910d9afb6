/* SPDX-License-Identifier: MIT */
#include "logstore.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fold.h"
#include "fsutil.h"
#include "v2source.h"

#define BLOCK (64u << 10)

void cs_logstore_path(const char *log_dir, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", log_dir, CS_FINDINGS_FILE);
}

static void rotated_path(const char *log_dir, unsigned i, char *out, size_t size)
{
	if (i == 0)
		cs_logstore_path(log_dir, out, size);
	else
		snprintf(out, size, "%s/%s.%u", log_dir, CS_FINDINGS_FILE, i);
}

int cs_logstore_prepare(const char *log_dir, char *err, size_t errlen)
{
	struct stat st;
	int rc = cs_mkdir_p(log_dir, 0700);

	if (rc) {
		snprintf(err, errlen, "cannot create %s: %s", log_dir, strerror(-rc));
		return -1;
	}
	if (lstat(log_dir, &st)) {
		snprintf(err, errlen, "cannot stat %s: %s", log_dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory (symlinks are refused)", log_dir);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s has mode %04o: the log directory must be 0700", log_dir,
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (geteuid() == 0 && st.st_uid != 0) {
		snprintf(err, errlen, "%s is owned by uid %u, not root", log_dir,
			 (unsigned)st.st_uid);
		return -1;
	}
	return 0;
}

int cs_logstore_prune(const struct cs_config *c)
{
	char path[PATH_MAX + 32];
	time_t cutoff = time(NULL) - (time_t)c->retention_days * 86400;
	int removed = 0;
	bool expired = false;

	if (!c->retention_days)
		return 0;
	/* Higher numbers are older: from the first expired file on, all go. */
	for (unsigned i = 1; i <= CS_JSONL_MAX_KEEP; i++) {
		struct stat st;

		rotated_path(c->log_dir, i, path, sizeof(path));
		if (lstat(path, &st))
			break;
		expired |= st.st_mtime < cutoff;
		if (expired && S_ISREG(st.st_mode) && !unlink(path))
			removed++;
	}
	return removed;
}

struct cs_jsonl *cs_logstore_open(const struct cs_config *c, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	struct cs_jsonl_config jc = {
		.path = path,
		.rotate_bytes = c->rotate_bytes,
		.rotate_keep = c->rotate_keep,
		.fsync = c->fsync,
		.fsync_interval_ms = c->fsync_interval_ms,
	};

	if (cs_logstore_prepare(c->log_dir, err, errlen))
		return NULL;
	cs_logstore_prune(c);
	cs_logstore_path(c->log_dir, path, sizeof(path));
	return cs_jsonl_open(&jc, err, errlen);
}

/* ---- reading ---- */

struct reader {
	const struct cs_findings_query *q;
	cs_finding_visit_fn fn;
	void *ctx;
	struct cs_findings_read_stats *st;
	bool stop;
};

bool cs_source_in_group(const char *source, const char *container_prefix, const char *group)
{
	size_t plen = strlen(container_prefix), glen = strlen(group), digits;

	if (cs_v2_source_in_group(source, group))
		return true;
	if (!glen || strncmp(source, container_prefix, plen) ||
	    strncmp(source + plen, group, glen) || source[plen + glen] != '-')
		return false;
	source += plen + glen + 1;
	digits = strspn(source, "0123456789");
	return digits > 0 && source[digits] == '/';
}

static bool matches(const struct cs_findings_query *q, const struct cs_finding *f)
{
	if (q->since_ms && f->timestamp_ms < q->since_ms)
		return false;
	if (q->has_min_severity && f->severity < q->min_severity)
		return false;
	if (q->pattern && strcmp(q->pattern, f->pattern))
		return false;
	if (q->group && !cs_source_in_group(f->source, q->container_prefix, q->group))
		return false;
	return true;
}

/*
 * Necessary conditions, checked on the raw line before it is parsed: a
 * finding of the group names it verbatim in its source, and one of the
 * family holds the quoted id (neither needs JSON escaping). Parsing is what
 * a query costs, and in a shared store most lines belong to other groups:
 * those are passed over at memmem() speed.
 */
static bool may_match(const struct cs_findings_query *q, const char *line, size_t len)
{
	char quoted[72];
	int n;

	if (q->group && !memmem(line, len, q->group, strlen(q->group)))
		return false;
	if (!q->pattern)
		return true;
	n = snprintf(quoted, sizeof(quoted), "\"%s\"", q->pattern);
	return n >= (int)sizeof(quoted) || memmem(line, len, quoted, (size_t)n);
}

static void visit_line(struct reader *r, const char *line, size_t len)
{
	struct cs_finding f;
	char err[128];
	cJSON *obj;

	if (!len || r->stop)
		return;
	r->st->lines++;
	if (!may_match(r->q, line, len))
		return;
	obj = cJSON_ParseWithLength(line, len);
	if (cs_fold_record(obj)) { /* a summary of folded repeats: not a finding */
		cJSON_Delete(obj);
		return;
	}
	if (!obj || cs_finding_from_json(obj, &f, err, sizeof(err))) {
		r->st->malformed++;
		cJSON_Delete(obj);
		return;
	}
	cJSON_Delete(obj);
	if (!matches(r->q, &f))
		return;
	r->st->matched++;
	if (r->fn(r->ctx, &f) || (r->q->limit && r->st->matched >= r->q->limit))
		r->stop = true;
}

/*
 * Walk one file backwards in BLOCK-sized reads. buf holds the block followed
 * by `carry`: the end of a line whose start lies in earlier blocks. A line
 * longer than CS_JSONL_MAX_LINE is skipped as malformed.
 */
static int read_backwards(struct reader *r, int fd, off_t size, char *buf)
{
	off_t off = size;
	size_t carry = 0;
	bool skipping = false;

	while (off > 0 && !r->stop) {
		size_t n = off > (off_t)BLOCK ? BLOCK : (size_t)off;
		char *start = buf + BLOCK - n, *line_end = buf + BLOCK + carry;

		if (r->q->max_bytes && r->st->bytes + n > r->q->max_bytes) {
			r->st->byte_limited = true;
			r->stop = true;
			break;
		}
		off -= (off_t)n;
		if (pread(fd, start, n, off) != (ssize_t)n)
			return -EIO;
		r->st->bytes += n;
		for (char *p = line_end; p > start && !r->stop; p--) {
			if (p[-1] != '\n')
				continue;
			if (!skipping)
				visit_line(r, p, (size_t)(line_end - p));
			skipping = false;
			line_end = p - 1;
		}
		carry = (size_t)(line_end - start);
		if (carry > CS_JSONL_MAX_LINE) {
			if (!skipping)
				r->st->malformed++;
			skipping = true;
			carry = 0;
		}
		memmove(buf + BLOCK, start, carry);
	}
	if (!skipping && !r->stop)
		visit_line(r, buf + BLOCK, carry);
	return 0;
}

/* 1 when the file is absent, 0 when read, -errno on failure. */
static int read_file(struct reader *r, const char *path, char *buf, bool *older)
{
	struct stat st;
	size_t before = r->st->malformed;
	int rc, fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 1 : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* Nothing in a file last written before `since` can match, nor in older files. */
	if (r->q->since_ms && (uint64_t)st.st_mtime * 1000 + 999 < r->q->since_ms) {
		*older = true;
		close(fd);
		return 0;
	}
	r->st->files++;
	rc = read_backwards(r, fd, st.st_size, buf);
	close(fd);
	if (r->q->malformed && r->st->malformed > before)
		r->q->malformed(r->ctx, path, r->st->malformed - before);
	return rc;
}

long cs_logstore_query(const char *log_dir, const struct cs_findings_query *q,
		       cs_finding_visit_fn fn, void *ctx, struct cs_findings_read_stats *st)
{
	struct cs_findings_read_stats local;
	struct reader r = {.q = q, .fn = fn, .ctx = ctx, .st = st ? st : &local};
	char path[PATH_MAX + 32];
	char *buf = malloc(BLOCK + CS_JSONL_MAX_LINE + 2);
	bool older = false;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	memset(r.st, 0, sizeof(*r.st));
	for (unsigned i = 0; i <= CS_JSONL_MAX_KEEP && !r.stop && !older; i++) {
		rotated_path(log_dir, i, path, sizeof(path));
		rc = read_file(&r, path, buf, &older);
		/* The live file may be absent right after a rotation; rotated ones end the walk. */
		if (rc == 1 && i > 0)
			break;
		if (rc < 0)
			break;
		rc = 0;
	}
	free(buf);
	return rc < 0 ? rc : (long)r.st->matched;
}
