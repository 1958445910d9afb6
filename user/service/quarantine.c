/* SPDX-License-Identifier: MIT */
/* quarantine.c - see quarantine.h: rejected task files, kept within bounds. */
#include "quarantine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "safedir.h"
#include "finding.h"

#define REMOVE_DEPTH 8

struct usage {
	size_t files;
	uint64_t bytes;
};

static struct usage usage_of(int qfd)
{
	struct usage u = {0, 0};
	int fd = dup(qfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return u;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		u.files++;
		if (!fstatat(qfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			u.bytes += (uint64_t)st.st_size;
	}
	closedir(d);
	return u;
}

/*
 * Delete an entry, a directory with what is in it (to a bounded depth). Only
 * names are removed, never a link followed: a container process may still
 * hold a descriptor inside a directory it planted.
 */
static void remove_entry(int dfd, const char *name, int depth)
{
	int fd, sub;
	DIR *d;
	struct dirent *e;

	if (!unlinkat(dfd, name, 0) || errno != EISDIR)
		return;
	fd = depth < REMOVE_DEPTH ? cs_sd_opendir(dfd, name) : -1;
	sub = fd >= 0 ? dup(fd) : -1;
	d = sub >= 0 ? fdopendir(sub) : NULL;
	if (!d && sub >= 0)
		close(sub);
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			remove_entry(fd, e->d_name, depth + 1);
	if (d)
		closedir(d);
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

static int copy_head(int pfd, const char *name, int qfd, const char *dest, size_t keep)
{
	char *buf = malloc(keep);
	int in = cs_sd_openat(pfd, name, O_RDONLY | O_NONBLOCK, 0), out = -1, rc = -1;
	ssize_t n = -1;

	if (buf && in >= 0)
		n = pread(in, buf, keep, 0);
	if (n >= 0)
		out = cs_sd_openat(qfd, dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (out >= 0 && write(out, buf, (size_t)n) == n)
		rc = 0;
	if (out >= 0)
		close(out);
	if (rc && out >= 0)
		unlinkat(qfd, dest, 0);
	if (in >= 0)
		close(in);
	free(buf);
	return rc;
}

static int open_group_quarantine(const char *home, const char *group)
{
	char dir[PATH_MAX + 96];

	snprintf(dir, sizeof(dir), "%s/quarantine/%s", home, group);
	cs_mkdir_p(dir, 0700);
	return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

struct cs_quarantine_outcome cs_quarantine(const char *home, const char *group, int pfd,
					   const char *name)
{
	struct cs_quarantine_outcome o = {false, 0};
	char dest[NAME_MAX + 32];
	struct stat st;
	struct usage u;
	uint64_t keep;
	int qfd;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) || S_ISDIR(st.st_mode)) {
		remove_entry(pfd, name, 0);
		return o;
	}
	keep = S_ISREG(st.st_mode) && (uint64_t)st.st_size > CS_QUARANTINE_FILE_KEEP
		       ? CS_QUARANTINE_FILE_KEEP
		       : (uint64_t)st.st_size;
	qfd = open_group_quarantine(home, group);
	u = qfd >= 0 ? usage_of(qfd) : (struct usage){0, 0};
	snprintf(dest, sizeof(dest), "%llu-%.200s", (unsigned long long)cs_now_ms(), name);
	if (qfd >= 0 && u.files < CS_QUARANTINE_MAX_FILES &&
	    u.bytes + keep <= CS_QUARANTINE_GROUP_BYTES) {
		if (keep == (uint64_t)st.st_size)
			o.kept = !renameat(pfd, name, qfd, dest);
		else
			o.kept = !copy_head(pfd, name, qfd, dest, (size_t)keep);
		if (o.kept)
			o.cut_bytes = (uint64_t)st.st_size - keep;
	}
	if (qfd >= 0)
		close(qfd);
	if (!o.kept || o.cut_bytes)
		remove_entry(pfd, name, 0);
	return o;
}
