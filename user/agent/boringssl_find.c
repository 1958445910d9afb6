// SPDX-License-Identifier: MIT
/*
 * boringssl_find.c - cs_boringssl_find: open the file safely, answer from the
 * per-file cache, or scan it (boringssl_scan.c).
 *
 * The cache trusts a build-id only for answers that found functions, and
 * re-proves each of them on the new file: a container cannot make the agent
 * attach at an unproven place by copying Bun's build-id into another file,
 * nor hide a real Bun elsewhere by planting a "nothing found" under its
 * build-id (negative answers are keyed by dev, inode, size and mtime only).
 */
#include "boringssl_find.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "boringssl_scan.h"
#include "elfimg.h"

#define CACHE_SLOTS 32

struct cache_ent {
	int used;
	uint64_t dev, ino, size;
	struct timespec mtime;
	uint64_t stamp; /* last use, for eviction */
	struct cs_boringssl_fns res;
};

static struct {
	pthread_mutex_t lock;
	struct cache_ent ent[CACHE_SLOTS];
	uint64_t clock;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int same_file(const struct cache_ent *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == (uint64_t)st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* A cached answer for this file, re-proved on img when it found functions. */
static int cache_get(const struct stat *st, const struct cs_elfimg *img, const uint8_t *id,
		     size_t id_len, struct cs_boringssl_fns *out)
{
	int found = 0;

	pthread_mutex_lock(&cache.lock);
	for (int i = 0; i < CACHE_SLOTS && !found; i++) {
		struct cache_ent *e = &cache.ent[i];
		int by_id = id_len && e->res.n_fns && e->res.build_id_len == id_len &&
			    !memcmp(e->res.build_id, id, id_len);

		if (!e->used || (!same_file(e, st) && !by_id))
			continue;
		if (e->res.n_fns && !cs_bssl_reprove(img, &e->res))
			continue;
		*out = e->res;
		e->stamp = ++cache.clock;
		found = 1;
	}
	pthread_mutex_unlock(&cache.lock);
	return found;
}

static void cache_put(const struct stat *st, const struct cs_boringssl_fns *res)
{
	struct cache_ent *victim = &cache.ent[0];

	pthread_mutex_lock(&cache.lock);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct cache_ent *e = &cache.ent[i];

		if (!e->used || same_file(e, st)) {
			victim = e;
			break;
		}
		if (e->stamp < victim->stamp)
			victim = e;
	}
	*victim = (struct cache_ent){
		.used = 1,
		.dev = st->st_dev,
		.ino = st->st_ino,
		.size = (uint64_t)st->st_size,
		.mtime = st->st_mtim,
		.stamp = ++cache.clock,
		.res = *res,
	};
	pthread_mutex_unlock(&cache.lock);
}

void cs_boringssl_cache_clear(void)
{
	pthread_mutex_lock(&cache.lock);
	memset(cache.ent, 0, sizeof(cache.ent));
	pthread_mutex_unlock(&cache.lock);
}

static int fail(struct cs_boringssl_fns *out, int err, const char *why)
{
	snprintf(out->reason, sizeof(out->reason), "%s", why);
	return err;
}

int cs_boringssl_find_fd(int fd, struct cs_boringssl_fns *out)
{
	uint64_t t0 = now_us();
	struct cs_elfimg img;
	uint8_t id[20];
	struct stat st;
	size_t id_len;
	int err;

	memset(out, 0, sizeof(*out));
	if (fstat(fd, &st))
		return fail(out, -errno, "cannot stat the file");
	if (!S_ISREG(st.st_mode))
		return fail(out, -ENOEXEC, "not a regular file");
	if ((uint64_t)st.st_size > CS_BSSL_MAX_FILE)
		return fail(out, -EFBIG, "file larger than the scan limit");
	err = cs_elfimg_from_fd(&img, fd, (uint64_t)st.st_size);
	if (err)
		return fail(out, err,
			    err == -ENOEXEC ? "not an x86-64 ELF64 executable or library"
					    : "read failed");
	id_len = cs_elfimg_build_id(&img, id, sizeof(id));
	if (cache_get(&st, &img, id, id_len, out)) {
		out->cached = 1;
	} else {
		err = cs_bssl_scan(&img, out);
		if (err)
			return err;
		cache_put(&st, out);
	}
	out->scan_us = now_us() - t0;
	return 0;
}

/* "/proc/<pid>/root/<rest>": the length of the prefix up to "root", or 0. */
static size_t proc_root_prefix(const char *path)
{
	size_t n;

	if (strncmp(path, "/proc/", 6))
		return 0;
	n = 6 + strspn(path + 6, "0123456789");
	if (n == 6 || strncmp(path + n, "/root/", 6))
		return 0;
	return n + 5;
}

int cs_boringssl_open(const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	size_t root = proc_root_prefix(path);
	char dir[64];
	int dfd, fd;

	if (!root) {
		fd = open(path, (int)how.flags);
		return fd < 0 ? -errno : fd;
	}
	if (root >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, root);
	dir[root] = 0;
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, dfd, path + root + 1, &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	close(dfd);
	return fd;
}

int cs_boringssl_find(const char *path, struct cs_boringssl_fns *out)
{
	int fd = cs_boringssl_open(path), err;

	if (fd < 0) {
		memset(out, 0, sizeof(*out));
		snprintf(out->reason, sizeof(out->reason), "cannot open: %s", strerror(-fd));
		return fd;
	}
	err = cs_boringssl_find_fd(fd, out);
	close(fd);
	return err;
}

int cs_boringssl_scan_mem(const void *data, size_t size, struct cs_boringssl_fns *out)
{
	struct cs_elfimg img;
	int err;

	memset(out, 0, sizeof(*out));
	err = cs_elfimg_from_mem(&img, data, size);
	if (err)
		return fail(out, err, "not an x86-64 ELF64 executable or library");
	return cs_bssl_scan(&img, out);
}
