/* SPDX-License-Identifier: MIT */
/*
 * test_safedir.c - link-free resolution beneath a directory fd, through
 * openat2 and through the component-by-component fallback: a symlink
 * anywhere in the path, "..", an absolute path are refused; a directory
 * created by cs_sd_mkdir_open gets its mode and owner through its fd, and a
 * symlink at its name is never followed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safedir.h"

static char tmp[256];
static int dfd = -1;

static void pathf(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmp, name);
}

static int setup(void **state)
{
	char p[512];
	int fd;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/cs-test-safedir-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	/* tmp/{g/sub/file, host/secret, g/lnk -> host, g/sub/flink -> host/secret} */
	pathf(p, sizeof(p), "g");
	assert_int_equal(mkdir(p, 0755), 0);
	pathf(p, sizeof(p), "g/sub");
	assert_int_equal(mkdir(p, 0755), 0);
	pathf(p, sizeof(p), "host");
	assert_int_equal(mkdir(p, 0700), 0);
	pathf(p, sizeof(p), "host/secret");
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s", 1), 1);
	close(fd);
	pathf(p, sizeof(p), "g/sub/file");
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	pathf(p, sizeof(p), "g/lnk");
	assert_int_equal(symlink("../host", p), 0);
	pathf(p, sizeof(p), "g/sub/flink");
	assert_int_equal(symlink("../../host/secret", p), 0);
	pathf(p, sizeof(p), "g");
	dfd = open(p, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	cs_sd_force_fallback(*state != NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	close(dfd);
	cs_sd_force_fallback(false);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd);
}

static void refused(const char *path, int flags, int want_errno)
{
	int fd = cs_sd_openat(dfd, path, flags, 0600);

	if (fd >= 0)
		close(fd);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, want_errno);
}

static void test_resolution(void **state)
{
	struct stat host;
	char p[512];
	int fd;

	(void)state;
	fd = cs_sd_openat(dfd, "sub/file", O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	fd = cs_sd_opendir(dfd, "sub");
	assert_true(fd >= 0);
	close(fd);
	/* A symlink as the last component, in the middle, or to a directory. */
	refused("sub/flink", O_RDONLY, ELOOP);
	refused("lnk/secret", O_RDONLY, ELOOP);
	refused("lnk", O_RDONLY | O_DIRECTORY, ENOTDIR); /* O_DIRECTORY | O_NOFOLLOW */
	/* Creating through a link must not create or truncate the host file. */
	refused("lnk/new", O_WRONLY | O_CREAT | O_EXCL, ELOOP);
	refused("sub/flink", O_WRONLY | O_CREAT | O_TRUNC, ELOOP);
	/* Paths that climb or start elsewhere are refused before any lookup. */
	refused("../host/secret", O_RDONLY, EINVAL);
	refused("sub/../../host/secret", O_RDONLY, EINVAL);
	refused("/etc/passwd", O_RDONLY, EINVAL);
	refused("", O_RDONLY, EINVAL);
	refused("sub//file", O_RDONLY, EINVAL);
	pathf(p, sizeof(p), "host/secret");
	assert_int_equal(stat(p, &host), 0);
	assert_int_equal(host.st_size, 1);
	assert_int_equal(host.st_mode & 07777, 0600);
	pathf(p, sizeof(p), "host/new");
	assert_int_equal(access(p, F_OK), -1);
}

static void test_mkdir_open(void **state)
{
	struct stat st, host;
	char p[512];
	int fd;
	mode_t old = umask(077);

	(void)state;
	/* Created: the mode is set past the umask, through the descriptor. */
	fd = cs_sd_mkdir_open(dfd, "results", 0755, (uid_t)-1, (gid_t)-1);
	umask(old);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	close(fd);
	/* Existing: opened as it is, its mode left alone. */
	pathf(p, sizeof(p), "g/results");
	assert_int_equal(chmod(p, 0711), 0);
	fd = cs_sd_mkdir_open(dfd, "results", 0755, (uid_t)-1, (gid_t)-1);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
	close(fd);
	/* A symlink at the name: refused, the target's mode unchanged. */
	assert_int_equal(cs_sd_mkdir_open(dfd, "lnk", 0755, (uid_t)-1, (gid_t)-1), -1);
	assert_int_equal(errno, ENOTDIR);
	pathf(p, sizeof(p), "host");
	assert_int_equal(stat(p, &host), 0);
	assert_int_equal(host.st_mode & 07777, 0700);
	assert_int_equal(cs_sd_mkdir_open(dfd, "a/b", 0755, (uid_t)-1, (gid_t)-1), -1);
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	static int fallback = 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(test_resolution, setup, teardown, NULL),
		cmocka_unit_test_prestate_setup_teardown(test_mkdir_open, setup, teardown, NULL),
		cmocka_unit_test_prestate_setup_teardown(test_resolution, setup, teardown,
							 &fallback),
		cmocka_unit_test_prestate_setup_teardown(test_mkdir_open, setup, teardown,
							 &fallback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
