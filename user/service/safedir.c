/* SPDX-License-Identifier: MIT */
/* safedir.c - see safedir.h: link-free resolution beneath a directory fd. */
#include "safedir.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RESOLVE_SAFE \
	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

/* Set once openat2 is found missing (ENOSYS) or filtered (EPERM by seccomp). */
static atomic_bool no_openat2;

void cs_sd_force_fallback(bool on)
{
	atomic_store(&no_openat2, on);
}

/* Relative, non-empty, and no component that is empty, "." or "..". */
static bool clean_relative(const char *path)
{
	const char *p = path;

	if (!*p || *p == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
		if (!*p && p[-1] == '/')
			return false; /* trailing slash */
	}
	return true;
}

static int close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
	return -1;
}

/* The fd must sit on the filesystem where resolution started (RESOLVE_NO_XDEV). */
static int same_dev(int fd, dev_t dev)
{
	struct stat st;

	if (fstat(fd, &st))
		return close_keep_errno(fd);
	if (st.st_dev != dev) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

/*
 * One component beneath cur: a directory on the way, the target at the
 * end. A link on the way fails as ENOTDIR here and ELOOP with openat2: say
 * ELOOP either way.
 */
static int open_component(int cur, const char *comp, bool last, int flags, mode_t mode)
{
	struct stat st;
	int fd;

	if (last)
		return openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOTDIR && !fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISLNK(st.st_mode))
		errno = ELOOP;
	return fd;
}

static int walk_fallback(int dfd, const char *path, int flags, mode_t mode)
{
	char comp[256];
	struct stat st;
	int cur = dfd, fd;

	if (fstat(dfd, &st))
		return -1;
	for (const char *p = path;; p++) {
		size_t n = strcspn(p, "/");
		bool last = !p[n];

		if (n >= sizeof(comp)) {
			fd = -1;
			errno = ENAMETOOLONG;
		} else {
			memcpy(comp, p, n);
			comp[n] = '\0';
			fd = open_component(cur, comp, last, flags, mode);
		}
		if (cur != dfd)
			close_keep_errno(cur);
		if (fd < 0 || (fd = same_dev(fd, st.st_dev)) < 0 || last)
			return fd;
		cur = fd;
		p += n;
	}
}

int cs_sd_openat(int dfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_SAFE,
	};
	long fd;

	if (!clean_relative(path)) {
		errno = EINVAL;
		return -1;
	}
	if (!atomic_load(&no_openat2)) {
		do
			fd = syscall(SYS_openat2, dfd, path, &how, sizeof(how));
		while (fd < 0 && (errno == EINTR || errno == EAGAIN));
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return (int)fd;
		atomic_store(&no_openat2, true);
	}
	return walk_fallback(dfd, path, flags, mode);
}

int cs_sd_opendir(int dfd, const char *path)
{
	return cs_sd_openat(dfd, path, O_RDONLY | O_DIRECTORY, 0);
}

int cs_sd_mkdir_open(int dfd, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	bool created;
	struct stat st;
	int fd;

	if (strchr(name, '/')) {
		errno = EINVAL;
		return -1;
	}
	/* Private until its mode is set: nobody can use it before we decide. */
	created = mkdirat(dfd, name, 0700) == 0;
	if (!created && errno != EEXIST)
		return -1;
	fd = cs_sd_opendir(dfd, name);
	if (fd < 0 || !created)
		return fd;
	if (fstat(fd, &st))
		return close_keep_errno(fd);
	/* Swapped for another directory between mkdirat and open: leave it be. */
	if (st.st_uid != geteuid() || st.st_nlink != 2 || (st.st_mode & 0077))
		return fd;
	if (fchmod(fd, mode) || (uid != (uid_t)-1 && fchown(fd, uid, gid)))
		return close_keep_errno(fd);
	return fd;
}
