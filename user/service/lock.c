/* SPDX-License-Identifier: MIT */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

static int read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atoi(buf);
}

static bool still_linked(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !lstat(path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int make_parent(const char *path)
{
	char copy[PATH_MAX];

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	return cs_mkdir_p(dirname(copy), 0700);
}

int cs_lock_acquire(struct cs_lock *l, const char *pid_file, char *err, size_t errlen)
{
	char buf[32];
	int n, rc;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	snprintf(l->path, sizeof(l->path), "%s", pid_file);
	rc = make_parent(pid_file);
	if (rc) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", pid_file,
			 strerror(-rc));
		return -1;
	}
	for (;;) {
		l->fd = open(pid_file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (l->fd < 0) {
			snprintf(err, errlen, "cannot open pid file %s: %s", pid_file,
				 strerror(errno));
			return -1;
		}
		if (flock(l->fd, LOCK_EX | LOCK_NB)) {
			snprintf(err, errlen,
				 "another instance (pid %d) already runs with pid file %s",
				 read_pid(l->fd), pid_file);
			close(l->fd);
			l->fd = -1;
			return -1;
		}
		if (still_linked(l->fd, pid_file))
			break;
		/* The previous holder unlinked it between our open and flock: retry. */
		close(l->fd);
	}
	l->stale_pid = read_pid(l->fd);
	l->took_over = l->stale_pid > 0;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(l->fd, 0) || pwrite(l->fd, buf, (size_t)n, 0) != n) {
		snprintf(err, errlen, "cannot write pid file %s: %s", pid_file, strerror(errno));
		cs_lock_release(l);
		return -1;
	}
	return 0;
}

void cs_lock_release(struct cs_lock *l)
{
	if (l->fd < 0)
		return;
	/* Unlink while still holding the lock so a successor never loses its file. */
	unlink(l->path);
	close(l->fd);
	l->fd = -1;
}
