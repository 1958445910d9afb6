// SPDX-License-Identifier: MIT
/*
 * tls_libs.c - find the TLS libraries (and the TLS-carrying runtimes) of a
 * root file system before any process maps them (see tls_libs.h).
 */
#include "tls_libs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where Debian, Ubuntu, Fedora, Alpine and node:*-slim images keep them. */
static const char *const lib_dirs[] = {
	"lib/x86_64-linux-gnu",
	"usr/lib/x86_64-linux-gnu",
	"lib/aarch64-linux-gnu",
	"usr/lib/aarch64-linux-gnu",
	"lib64",
	"usr/lib64",
	"lib",
	"usr/lib",
	"usr/local/lib",
};

static const char *const lib_prefixes[] = {"libssl.so", "libgnutls.so"};

/*
 * Runtimes that carry their own TLS and that agent containers run as short
 * tool calls (node -e, bun): the node:*-slim images and NanoClaw's put them
 * here. A file that turns out to carry no TLS stack is simply not pinned.
 */
static const char *const runtimes[] = {
	"usr/local/bin/node",
	"usr/bin/node",
	"usr/local/bin/bun",
	"usr/bin/bun",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* openat2 inside the root: absolute symlinks and ".." stay in it. */
static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

static int is_tls_lib(const char *name)
{
	for (size_t i = 0; i < N(lib_prefixes); i++)
		if (!strncmp(name, lib_prefixes[i], strlen(lib_prefixes[i])))
			return 1;
	return 0;
}

struct found {
	struct cs_bin_key keys[CS_TLS_LIBS_MAX];
	int n;
};

static int seen(const struct found *f, const struct cs_bin_key *k)
{
	for (int i = 0; i < f->n; i++)
		if (f->keys[i].dev == k->dev && f->keys[i].ino == k->ino)
			return 1;
	return 0;
}

/* Offers the regular file at name (under dirfd, inside the root) once. */
static void offer(int dirfd, const char *name, struct found *f, cs_tls_lib_fn fn, void *ctx)
{
	char path[64];
	struct cs_bin_key key;
	struct stat st;
	int fd;

	if (f->n == CS_TLS_LIBS_MAX)
		return;
	fd = open_in_root(dirfd, name, O_RDONLY);
	if (fd < 0)
		return;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    !cs_fd_mapped_key(fd, &key) && !seen(f, &key)) {
		f->keys[f->n++] = key;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		fn(ctx, path, &key);
	}
	close(fd);
}

static void scan_dir(int rootfd, const char *dir, struct found *f, cs_tls_lib_fn fn, void *ctx)
{
	int dfd = open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY);
	struct dirent *e;
	DIR *d;

	if (dfd < 0)
		return;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	/* A directory may hold thousands of entries: names are compared, not opened. */
	while ((e = readdir(d)))
		if (is_tls_lib(e->d_name))
			offer(dfd, e->d_name, f, fn, ctx);
	closedir(d);
}

int cs_tls_libs_find(const char *root_path, cs_tls_lib_fn fn, void *ctx)
{
	int rootfd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct found f = {.n = 0};

	if (rootfd < 0)
		return -errno;
	for (size_t i = 0; i < N(lib_dirs); i++)
		scan_dir(rootfd, lib_dirs[i], &f, fn, ctx);
	for (size_t i = 0; i < N(runtimes); i++)
		offer(rootfd, runtimes[i], &f, fn, ctx);
	close(rootfd);
	return f.n;
}
