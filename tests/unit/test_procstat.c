// SPDX-License-Identifier: MIT
/* test_procstat.c - /proc stat fields (user/agent/procstat.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procstat.h"

static void test_fields_after_an_odd_name(void **state)
{
	const char *line = "4249 (a) b ) (c) R 1 4249 4249 0 -1 4194560 12 0 0 0 5 6 0 0 20 0 "
			   "3 0 123456 999 0\n";

	(void)state;
	assert_int_equal(*cs_procstat_field(line, 3), 'R');
	assert_int_equal(strtoull(cs_procstat_field(line, 4), NULL, 10), 1);
	assert_int_equal(strtoull(cs_procstat_field(line, 22), NULL, 10), 123456);
	assert_int_equal(strtoull(cs_procstat_field(line, 24), NULL, 10), 0);
	assert_null(cs_procstat_field(line, 26)); /* past the last field */
	assert_null(cs_procstat_field(line, 2));  /* the name is not a field here */
	assert_null(cs_procstat_field("4249 (cut", 3));
	assert_null(cs_procstat_field("4249 (x)", 3));
}

static void test_own_stat(void **state)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_int_equal(*cs_procstat_field(buf, 3), 'R'); /* reading it: running */
	assert_int_equal(strtol(cs_procstat_field(buf, 4), NULL, 10), getppid());
}

static void test_mono_ns_moves(void **state)
{
	uint64_t a = cs_mono_ns(), b;

	(void)state;
	usleep(2000);
	b = cs_mono_ns();
	assert_true(b - a >= 2000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_after_an_odd_name),
		cmocka_unit_test(test_own_stat),
		cmocka_unit_test(test_mono_ns_moves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
