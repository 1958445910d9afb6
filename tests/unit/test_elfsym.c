// SPDX-License-Identifier: MIT
/* Which binaries export OpenSSL's SSL_* functions, and where processes map them. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "elfsym.h"

/* Absolute path of prog found in $PATH, or NULL. */
static const char *which(const char *prog, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/%s", d, prog);
		if (!access(buf, X_OK))
			return buf;
	}
	return NULL;
}

static void node_exports_ssl_functions(void **state)
{
	char node[4096];
	unsigned int mask = 0;

	(void)state;
	assert_non_null(which("node", node, sizeof(node)));
	assert_int_equal(cs_elf_tls_symbols(node, &mask), 0);
	/* official Node builds link OpenSSL statically and export its API */
	assert_true(mask & CS_SYM_SSL_WRITE);
	assert_true(mask & CS_SYM_SSL_READ);
	assert_true(mask & CS_SYM_SSL_WRITE_EX);
	assert_true(mask & CS_SYM_SSL_READ_EX);
	assert_true(mask & CS_SYM_SSL_CTRL);
	assert_true(mask & CS_SYM_SSL_FREE);
}

static void plain_binary_has_none(void **state)
{
	char tru[4096];
	unsigned int mask = 123;

	(void)state;
	assert_non_null(which("true", tru, sizeof(tru)));
	assert_int_equal(cs_elf_tls_symbols(tru, &mask), 0);
	assert_int_equal(mask, 0);
}

static void bad_files_give_errors(void **state)
{
	char path[] = "/tmp/cs-elfsym-XXXXXX";
	unsigned int mask = 123;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\nSSL_write\n", 20), 20);
	close(fd);
	assert_int_equal(cs_elf_tls_symbols(path, &mask), -ENOEXEC);
	assert_int_equal(mask, 0);
	unlink(path);
	assert_int_equal(cs_elf_tls_symbols(path, &mask), -ENOENT);
	assert_int_equal(cs_elf_tls_symbols("/", &mask), -ENOEXEC);
}

static void symbol_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(cs_sym_name(0), "SSL_write");
	assert_string_equal(cs_sym_name(3), "SSL_read_ex");
	assert_null(cs_sym_name(CS_SYM_COUNT));
}

/*
 * Until a fork has exec'd, its maps are this test's own (which map libssl
 * too, through cs_proxy): wait until its exe is no longer ours (<= 5 s).
 */
static void wait_for_exec(pid_t pid)
{
	char self[4096] = "", exe[4096], link[64];

	if (readlink("/proc/self/exe", self, sizeof(self) - 1) < 0)
		return;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	for (int i = 0; i < 500; i++) {
		ssize_t n = readlink(link, exe, sizeof(exe) - 1);

		if (n > 0) {
			exe[n] = '\0';
			if (strcmp(exe, self))
				return;
		}
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
}

/* Starts argv[0] with a stdin pipe it blocks on, once it runs its own image;
 * *in gets the write end (-1 on failure). */
static pid_t spawn_blocked(char *const argv[], int *in)
{
	int fds[2];
	pid_t pid;

	*in = -1;
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[0], 0);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[0]);
	*in = fds[1];
	wait_for_exec(pid);
	return pid;
}

static void stop(pid_t pid, int in)
{
	close(in);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Polls cs_find_libssl until the dynamic loader has mapped it (<= 5 s). */
static int find_libssl_soon(pid_t pid, struct cs_mapped_bin *b)
{
	int err = -ENOENT;

	for (int i = 0; i < 500 && err == -ENOENT; i++) {
		err = cs_find_libssl(pid, b);
		if (err == -ENOENT)
			nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	return err;
}

static void libssl_found_in_maps(void **state)
{
	char *argv[] = {"openssl", "sha256", NULL};
	struct cs_mapped_bin *b = calloc(1, sizeof(*b));
	struct cs_bin_key key;
	unsigned int mask = 0;
	int in, err;
	pid_t pid;

	(void)state;
	assert_non_null(b);
	pid = spawn_blocked(argv, &in);
	assert_true(pid > 0);
	err = find_libssl_soon(pid, b);
	if (!err) {
		assert_non_null(strstr(b->mapped, "/libssl.so"));
		/* the key is the mapped inode: the same file stat()ed by path */
		assert_int_equal(cs_bin_key_of_path(b->mapped, &key), 0);
		assert_int_equal(b->key.dev, key.dev);
		assert_int_equal(b->key.ino, key.ino);
		/* the open path reaches the very file, through map_files */
		assert_non_null(strstr(b->open_path, "/map_files/"));
		err = cs_elf_tls_symbols(b->open_path, &mask);
	}
	stop(pid, in);
	assert_int_equal(err, 0);
	assert_true(mask & CS_SYM_SSL_WRITE);
	assert_true(mask & CS_SYM_SSL_READ_EX);
	free(b);
}

/* wget reads URLs from stdin with -i -: it maps libgnutls and waits. */
static void libgnutls_found_in_maps(void **state)
{
	static const char *const names[] = {"gnutls_record_send", "gnutls_record_recv",
					    "gnutls_no_such_function"};
	char *argv[] = {"wget", "-q", "-i", "-", NULL};
	struct cs_mapped_bin *b = calloc(1, sizeof(*b));
	unsigned int mask = 0, ssl = 123;
	int in, err = -ENOENT;
	pid_t pid;

	(void)state;
	assert_non_null(b);
	pid = spawn_blocked(argv, &in);
	assert_true(pid > 0);
	for (int i = 0; i < 500 && err == -ENOENT; i++) {
		err = cs_find_libgnutls(pid, b);
		if (err == -ENOENT)
			nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	if (!err) {
		assert_non_null(strstr(b->mapped, "/libgnutls.so"));
		err = cs_elf_functions(b->open_path, names, 3, &mask);
		assert_int_equal(cs_elf_tls_symbols(b->open_path, &ssl), 0);
	}
	stop(pid, in);
	assert_int_equal(err, 0);
	assert_int_equal(mask, 3); /* both data functions, not the made-up one */
	assert_int_equal(ssl, 0);  /* GnuTLS's own API, not OpenSSL's */
	assert_int_equal(cs_elf_functions("/", names, 3, &mask), -ENOEXEC);
	free(b);
}

static void no_libssl_and_no_process(void **state)
{
	char *argv[] = {"cat", NULL};
	struct cs_mapped_bin *b = calloc(1, sizeof(*b));
	int in, err;
	pid_t pid;

	(void)state;
	assert_non_null(b);
	pid = spawn_blocked(argv, &in);
	assert_true(pid > 0);
	err = cs_find_libssl(pid, b);
	stop(pid, in);
	assert_int_equal(err, -ENOENT);
	assert_int_equal(cs_find_libssl(pid, b), -ESRCH);
	assert_int_equal(cs_find_exe(pid, b), -ESRCH);
	free(b);
}

static void exe_key_matches_file(void **state)
{
	struct cs_mapped_bin *b = calloc(1, sizeof(*b));
	struct cs_bin_key key;
	char self[4096];
	ssize_t n;

	(void)state;
	assert_non_null(b);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = 0;
	assert_int_equal(cs_find_exe(getpid(), b), 0);
	assert_string_equal(b->mapped, self);
	assert_int_equal(cs_bin_key_of_path(self, &key), 0);
	assert_int_equal(b->key.dev, key.dev);
	assert_int_equal(b->key.ino, key.ino);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(node_exports_ssl_functions),
		cmocka_unit_test(plain_binary_has_none),
		cmocka_unit_test(bad_files_give_errors),
		cmocka_unit_test(symbol_names_are_stable),
		cmocka_unit_test(libssl_found_in_maps),
		cmocka_unit_test(libgnutls_found_in_maps),
		cmocka_unit_test(no_libssl_and_no_process),
		cmocka_unit_test(exe_key_matches_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
