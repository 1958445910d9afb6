// SPDX-License-Identifier: MIT
/*
 * jsonl.c - append-only findings log with whole-line writes and rotation.
 *
 * Why one write() per line: with O_APPEND the kernel places each write at the
 * end of the file atomically, so lines from several writers (threads or
 * processes) never interleave. If the disk fills mid-line the write is short;
 * we cut the file back to where our line began so a reader never meets a
 * half line, count the failure and carry on with the next line.
 *
 * Rotation renames files, so writers in other processes may be holding the
 * old inode: every append checks that the path still names our inode and
 * reopens if not, and the rename chain runs under flock() on the live file
 * so two writers never rotate the same file twice.
 *
 * A crash mid-write (of another process, or before this one started) can
 * leave a torn last line: when a file is opened, its last byte is checked
 * and, if it is not a newline, the next line starts with one, so the torn
 * tail stays a line of its own instead of swallowing the next finding.
 *
 * Full disk: the newest findings matter most, so before a line is given up
 * the oldest rotated file is deleted and the write retried, oldest first,
 * until it fits or no rotated file is left. Both are said on stderr (at most
 * once per CS_JSONL_WARN_MS) and counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jsonl.h"

struct cs_jsonl {
	pthread_mutex_t mu;
	char path[PATH_MAX];
	uint64_t rotate_bytes;
	unsigned rotate_keep;
	enum cs_fsync_policy fsync;
	uint32_t fsync_interval_ms;
	int fd;
	dev_t dev;
	ino_t ino;
	bool dirty;	       /* written since the last sync */
	uint64_t last_sync_ms; /* CLOCK_MONOTONIC */
	struct cs_jsonl_stats st;
	bool torn;		 /* the file does not end in a newline */
	uint64_t last_warn_ms;	 /* CLOCK_MONOTONIC of the last stderr warning */
	uint64_t quiet_warnings; /* warnings not printed since */
	char *buf;		 /* newline + line + newline, CS_JSONL_MAX_LINE + 2 bytes */
};

#define CS_JSONL_WARN_MS 10000u

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Does the file end in something other than a newline (a crash mid-line)?
 * Appends hold a shared flock while they write, this check an exclusive
 * one: a line another writer has half copied in is not mistaken for torn.
 */
static bool ends_torn(int fd)
{
	struct stat st;
	bool torn;
	char last;

	if (flock(fd, LOCK_EX) < 0)
		return false;
	torn = !fstat(fd, &st) && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
	       last != '\n';
	flock(fd, LOCK_UN);
	return torn;
}

/* Rate-limited: a full disk must be said, but not once per finding. */
static void warn(struct cs_jsonl *w, const char *what, const char *detail)
{
	uint64_t now = mono_ms();

	if (w->last_warn_ms && now - w->last_warn_ms < CS_JSONL_WARN_MS) {
		w->quiet_warnings++;
		return;
	}
	fprintf(stderr,
		"clawsec-traffic: findings log %s: %s%s (%llu similar messages suppressed)\n",
		w->path, what, detail, (unsigned long long)w->quiet_warnings);
	w->last_warn_ms = now;
	w->quiet_warnings = 0;
}

/*
 * Open (or create) the live file, insisting on a regular file with mode 0600.
 * O_NONBLOCK only matters if someone planted a FIFO there: we fail, not hang.
 * O_RDWR (not O_WRONLY) so that its last byte can be checked for a torn line.
 */
static int open_live(struct cs_jsonl *w)
{
	struct stat st;
	int fd = open(w->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		      0600);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* A file someone else created with a wider mode is tightened, not trusted. */
	if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	w->torn = ends_torn(fd);
	return 0;
}

/* Does the path still name the inode we write to? */
static bool path_is_ours(const struct cs_jsonl *w)
{
	struct stat st;

	return stat(w->path, &st) == 0 && st.st_dev == w->dev && st.st_ino == w->ino;
}

static void rotated_name(const struct cs_jsonl *w, unsigned i, char *out, size_t cap)
{
	if (i == 0)
		snprintf(out, cap, "%s", w->path);
	else
		snprintf(out, cap, "%s.%u", w->path, i);
}

static void sync_dir(const struct cs_jsonl *w)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", w->path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* live -> .1 -> ... -> .keep (the old .keep is dropped); stale higher numbers go too. */
static void shift_files(const struct cs_jsonl *w)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];

	for (unsigned i = w->rotate_keep + 1; i <= CS_JSONL_MAX_KEEP + 1; i++) {
		rotated_name(w, i, to, sizeof(to));
		if (unlink(to) < 0)
			break;
	}
	if (!w->rotate_keep) {
		unlink(w->path);
		return;
	}
	for (unsigned i = w->rotate_keep; i >= 1; i--) {
		rotated_name(w, i - 1, from, sizeof(from));
		rotated_name(w, i, to, sizeof(to));
		rename(from, to); /* a gap in the chain (ENOENT) is fine */
	}
}

/*
 * Called with the live file too full for the next line. Another writer may
 * have rotated already (then we only follow it to the new file).
 */
static int rotate(struct cs_jsonl *w)
{
	int old = w->fd, rc;

	if (flock(old, LOCK_EX) < 0)
		return -errno;
	if (path_is_ours(w)) {
		shift_files(w);
		w->st.rotations++;
	}
	w->fd = -1;
	rc = open_live(w);
	if (rc == 0 && w->fsync != CS_FSYNC_NEVER) {
		fsync(old);
		sync_dir(w);
	}
	flock(old, LOCK_UN);
	close(old);
	w->dirty = false;
	return rc;
}

/* Follow an external rotation or deletion, then rotate if this line would not fit. */
static int prepare(struct cs_jsonl *w, size_t len)
{
	struct stat st;
	int rc;

	if (w->fd < 0 || !path_is_ours(w)) {
		rc = open_live(w);
		if (rc)
			return rc;
	}
	if (!w->rotate_bytes)
		return 0;
	if (fstat(w->fd, &st) < 0)
		return -errno;
	if (st.st_size > 0 && (uint64_t)st.st_size + len > w->rotate_bytes)
		return rotate(w);
	return 0;
}

static int sync_now(struct cs_jsonl *w)
{
	w->last_sync_ms = mono_ms();
	w->dirty = false;
	if (fdatasync(w->fd) < 0) {
		w->st.fsync_failures++;
		w->st.last_errno = errno;
		return -errno;
	}
	return 0;
}

static void sync_by_policy(struct cs_jsonl *w)
{
	w->dirty = true;
	if (w->fsync == CS_FSYNC_ALWAYS ||
	    (w->fsync == CS_FSYNC_INTERVAL && mono_ms() - w->last_sync_ms >= w->fsync_interval_ms))
		sync_now(w);
}

/* One write() of the whole line; a short write is cut back so no half line stays. */
static int write_line(struct cs_jsonl *w, size_t total)
{
	ssize_t n;

	do {
		n = write(w->fd, w->buf, total);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)total)
		return 0;
	if (n < 0)
		return -errno;
	/* O_APPEND left the offset at the end of our partial line. */
	off_t end = lseek(w->fd, 0, SEEK_CUR);

	if (end >= n && ftruncate(w->fd, end - n) < 0)
		return -errno;
	return -ENOSPC;
}

/*
 * Out of space: delete the oldest rotated file so that the newest findings
 * are kept. false when there is none left to delete.
 */
static bool reclaim_oldest(struct cs_jsonl *w)
{
	char name[PATH_MAX + 16];

	for (unsigned i = w->rotate_keep + 1; i >= 1; i--) {
		rotated_name(w, i, name, sizeof(name));
		if (unlink(name) == 0) {
			w->st.space_reclaims++;
			warn(w,
			     "disk full, deleted the oldest rotated file to keep the newest "
			     "findings: ",
			     name);
			return true;
		}
	}
	return false;
}

/* Write buf[0..total), giving up the oldest rotated files while the disk is full. */
static int write_keeping_newest(struct cs_jsonl *w, size_t total)
{
	int rc;

	while ((rc = write_line(w, total)) == -ENOSPC && reclaim_oldest(w))
		;
	if (rc == -ENOSPC)
		warn(w, "disk full and no rotated file left to delete: findings are being lost",
		     "");
	return rc;
}

static int fail(struct cs_jsonl *w, int rc)
{
	w->st.write_failures++;
	w->st.last_errno = -rc;
	return rc;
}

int cs_jsonl_append(struct cs_jsonl *w, const char *line, size_t len)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	if (len > CS_JSONL_MAX_LINE)
		rc = fail(w, -E2BIG);
	else if (memchr(line, '\n', len))
		rc = fail(w, -EINVAL);
	else if ((rc = prepare(w, len + 2)) != 0)
		rc = fail(w, rc);
	else {
		size_t head = w->torn ? 1 : 0; /* a fresh line after a torn tail */

		w->buf[0] = '\n';
		memcpy(w->buf + head, line, len);
		w->buf[head + len] = '\n';
		flock(w->fd, LOCK_SH); /* see ends_torn() */
		rc = write_keeping_newest(w, head + len + 1);
		flock(w->fd, LOCK_UN);
		if (rc) {
			fail(w, rc);
		} else {
			w->st.lines++;
			w->st.bytes += head + len + 1;
			w->st.torn_tails += head;
			w->torn = false;
			sync_by_policy(w);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int cs_jsonl_append_finding(struct cs_jsonl *w, const struct cs_finding *f)
{
	char *line = cs_finding_to_line(f);
	int rc;

	if (!line) {
		pthread_mutex_lock(&w->mu);
		rc = fail(w, -ENOMEM);
		pthread_mutex_unlock(&w->mu);
		return rc;
	}
	rc = cs_jsonl_append(w, line, strlen(line));
	free(line);
	return rc;
}

int cs_jsonl_sync(struct cs_jsonl *w)
{
	int rc = 0;

	pthread_mutex_lock(&w->mu);
	if (w->dirty && w->fd >= 0)
		rc = sync_now(w);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

struct cs_jsonl *cs_jsonl_open(const struct cs_jsonl_config *cfg, char *err, size_t errlen)
{
	struct cs_jsonl *w;
	int rc;

	if (!cfg->path || !cfg->path[0] || strlen(cfg->path) >= PATH_MAX - 8) {
		snprintf(err, errlen, "log path is empty or too long");
		return NULL;
	}
	if (cfg->rotate_keep > CS_JSONL_MAX_KEEP || cfg->fsync > CS_FSYNC_ALWAYS) {
		snprintf(err, errlen, "rotate_keep above %u or unknown fsync policy",
			 CS_JSONL_MAX_KEEP);
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->buf = malloc(CS_JSONL_MAX_LINE + 2))) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	snprintf(w->path, sizeof(w->path), "%s", cfg->path);
	w->rotate_bytes = cfg->rotate_bytes;
	w->rotate_keep = cfg->rotate_keep;
	w->fsync = cfg->fsync;
	w->fsync_interval_ms = cfg->fsync_interval_ms;
	w->fd = -1;
	w->last_sync_ms = mono_ms();
	rc = open_live(w);
	if (rc) {
		snprintf(err, errlen, "cannot open %s: %s", cfg->path,
			 rc == -EINVAL ? "not a regular file" : strerror(-rc));
		cs_jsonl_close(w);
		return NULL;
	}
	return w;
}

void cs_jsonl_get_stats(struct cs_jsonl *w, struct cs_jsonl_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->st;
	pthread_mutex_unlock(&w->mu);
}

const char *cs_jsonl_path(const struct cs_jsonl *w)
{
	return w->path;
}

void cs_jsonl_close(struct cs_jsonl *w)
{
	if (!w)
		return;
	if (w->fd >= 0) {
		if (w->dirty && w->fsync != CS_FSYNC_NEVER)
			sync_now(w);
		close(w->fd);
	}
	pthread_mutex_destroy(&w->mu);
	free(w->buf);
	free(w);
}
