/* SPDX-License-Identifier: MIT */
/*
 * test_state_file_writer.c - state.json written off the caller's thread:
 * the newest document is what ends up on disk (0600), stop writes what is
 * pending, and a failing write is reported to the caller's next submit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "state_file_writer.h"

static void test_newest_wins_and_errors_reported(void **state)
{
	char dir[] = "/tmp/cs-test-sfw-XXXXXX", path[64], bad[96], err[128];
	struct cs_state_file_writer *w;
	struct stat st;
	char *text;
	int rc = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	w = cs_state_file_writer_start(err, sizeof(err));
	assert_non_null(w);
	for (int i = 0; i < 200; i++) {
		char doc[32];

		snprintf(doc, sizeof(doc), "{\"n\":%d}", i);
		assert_int_equal(cs_state_file_writer_submit(w, path, strdup(doc)), 0);
	}
	assert_int_equal(cs_state_file_writer_stop(w), 0);
	text = cs_read_file(path, 4096, NULL);
	assert_non_null(text);
	assert_string_equal(text, "{\"n\":199}");
	free(text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A directory that does not exist: the next submit says so. */
	snprintf(bad, sizeof(bad), "%s/missing/state.json", dir);
	w = cs_state_file_writer_start(err, sizeof(err));
	assert_non_null(w);
	cs_state_file_writer_submit(w, bad, strdup("{}"));
	for (int i = 0; i < 100 && rc == 0; i++) {
		usleep(10000);
		rc = cs_state_file_writer_submit(w, bad, strdup("{}"));
	}
	assert_int_equal(rc, -ENOENT);
	assert_int_equal(cs_state_file_writer_stop(w), -ENOENT);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newest_wins_and_errors_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
