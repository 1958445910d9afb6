// SPDX-License-Identifier: MIT
/* TLS libraries found in a root before anything maps them (tls_libs.h). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "elfsym.h"
#include "tls_libs.h"

struct seen {
	int n, ssl, gnutls;
	struct cs_bin_key keys[CS_TLS_LIBS_MAX];
	char names[CS_TLS_LIBS_MAX][4096];
};

static void record(void *ctx, const char *path, const struct cs_bin_key *key)
{
	struct seen *s = ctx;
	char target[4096];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	unsigned int mask = 0;

	assert_true(n > 0);
	target[n] = 0;
	assert_true(s->n < CS_TLS_LIBS_MAX);
	s->keys[s->n] = *key;
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", target);
	s->n++;
	/* path opens the very file for the length of the call */
	assert_true(access(path, R_OK) == 0);
	if (!cs_elf_tls_symbols(path, &mask) && (mask & CS_SYM_SSL_WRITE))
		s->ssl++;
	if (strstr(target, "/libgnutls.so"))
		s->gnutls++;
}

/* The host's libssl and libgnutls, keyed as a process mapping them sees them. */
static void host_root_has_both(void **state)
{
	static struct seen s;

	memset(&s, 0, sizeof(s));
	struct cs_bin_key k;

	(void)state;
	assert_true(cs_tls_libs_find("/", record, &s) >= 2);
	assert_true(s.ssl >= 1);
	assert_true(s.gnutls >= 1);
	for (int i = 0; i < s.n; i++) {
		/* stat() of the real file gives the key maps would show */
		assert_int_equal(cs_bin_key_of_path(s.names[i], &k), 0);
		assert_int_equal(k.dev, s.keys[i].dev);
		assert_int_equal(k.ino, s.keys[i].ino);
		for (int j = 0; j < i; j++)
			assert_false(k.dev == s.keys[j].dev && k.ino == s.keys[j].ino);
	}
}

static void put(const char *root, const char *rel, const char *text)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/*
 * A container root is hostile: an absolute symlink named like a library
 * resolves inside that root (here to nothing), never to the host's file; a
 * directory named like one is skipped; a plain file is offered as itself.
 */
static void container_root_links_stay_inside(void **state)
{
	char root[] = "/tmp/cs-tls-libs-XXXXXX", p[512];
	static struct seen s;

	memset(&s, 0, sizeof(s));

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/usr", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/usr/lib", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/usr/lib/libssl.so.3", root);
	assert_int_equal(symlink("/usr/lib/x86_64-linux-gnu/libssl.so.3", p), 0);
	snprintf(p, sizeof(p), "%s/usr/lib/libgnutls.so.30", root);
	assert_int_equal(mkdir(p, 0755), 0);
	put(root, "usr/lib/libssl.so.1.1", "not really a library");
	assert_int_equal(cs_tls_libs_find(root, record, &s), 1);
	assert_non_null(strstr(s.names[0], "/usr/lib/libssl.so.1.1"));
	assert_int_equal(strncmp(s.names[0], root, strlen(root)), 0);
	assert_int_equal(cs_tls_libs_find("/nonexistent-root", record, &s), -ENOENT);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_root_has_both),
		cmocka_unit_test(container_root_links_stay_inside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
