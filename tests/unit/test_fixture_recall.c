// SPDX-License-Identifier: MIT
/*
 * test_fixture_recall.c - the goal of issue 11 §3 on the seeded credential
 * fixtures (bench/gen-credential-fixtures.js: the shapes and contexts
 * public secret scanners test with): every AI, AWS and PEM key found, at
 * least 90% of each other group, no negative reported, no secret in any
 * snippet. The same judge as bench/run-fixtures.sh (bench/fixture_eval.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../../bench/fixture_eval.h"

static uint8_t *fixtures;
static size_t fixtures_len;

/* Generate the fixtures into the build tree unless the generator is older. */
static int fixtures_path(char *out, size_t cap)
{
	const char *bin = getenv("CS_BINARY_DIR"), *src = getenv("CS_SOURCE_DIR");
	char script[4096], cmd[8400];
	struct stat fx, sc;

	snprintf(out, cap, "%s/credential-fixtures.bin", bin && *bin ? bin : CS_BINARY_DIR);
	if (cap > 4096 || snprintf(script, sizeof(script), "%s/bench/gen-credential-fixtures.js",
				   src && *src ? src : CS_SOURCE_DIR) >= (int)sizeof(script))
		return -1;
	if (stat(out, &fx) == 0 && stat(script, &sc) == 0 && fx.st_mtime >= sc.st_mtime)
		return 0;
	snprintf(cmd, sizeof(cmd), "node '%s' '%s'", script, out);
	return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	char path[4096];
	FILE *f;
	long n;

	(void)state;
	if (fixtures_path(path, sizeof(path)) < 0 || !(f = fopen(path, "rb")))
		return -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (fixtures = malloc((size_t)n)) && fread(fixtures, 1, (size_t)n, f) == (size_t)n)
		fixtures_len = (size_t)n;
	fclose(f);
	return fixtures_len ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(fixtures);
	return 0;
}

static void test_goals(void **state)
{
	static struct fx_tally t;
	unsigned below = 0, groups = 0, negatives = 0;

	(void)state;
	assert_int_equal(fx_evaluate(fixtures, fixtures_len, &t, NULL), 0);
	for (size_t i = 0; i < t.n; i++) {
		const struct fx_group *g = &t.g[i];

		groups += !g->negative;
		negatives += g->negative;
		if (fx_group_meets_goal(g))
			continue;
		below++;
		print_message("below goal: %s (%s): %u of %u %s, %u leaks\n", g->name, g->cls,
			      g->found, g->n, g->negative ? "reported" : "found", g->leaks);
	}
	/* The set really holds what issue 11 §3 names, positives and negatives. */
	assert_true(groups >= 30 && negatives >= 6 && t.tp >= 1000 && t.fp >= 200);
	assert_int_equal(t.leaks, 0);
	assert_int_equal(t.fp_found, 0);
	assert_int_equal(below, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
