// SPDX-License-Identifier: MIT
/*
 * test_runchars.c - the run-character classifier of the base64 finder:
 * the AVX2, SSE2 and byte-by-byte paths give the same mask for every byte
 * value at every position of a block, and the run span and run search
 * agree with a plain reference on random text, with both dispatch paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base64.h"
#include "runchars.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_";

/* The definition, independent of every path under test. */
static bool is_run_char(uint8_t c)
{
	return c && memchr(alphabet, c, sizeof(alphabet) - 1);
}

static bool have_avx2(void)
{
#ifdef CS_RUNCHARS_HAVE_AVX2
	return __builtin_cpu_supports("avx2");
#else
	return false;
#endif
}

/* Every path's mask of one block equals the definition's. */
static void check_block(const uint8_t *blk)
{
	uint64_t want = 0;

	for (unsigned k = 0; k < 64; k++)
		want |= (uint64_t)is_run_char(blk[k]) << k;
	assert_true(cs_runchars_mask_scalar(blk) == want);
#ifdef __SSE2__
	assert_true(cs_runchars_mask_sse2(blk) == want);
#endif
#ifdef CS_RUNCHARS_HAVE_AVX2
	if (have_avx2())
		assert_true(cs_runchars_mask_avx2(blk) == want);
#endif
}

/* Said once: on a CPU without AVX2 only the portable paths can be compared. */
static int group_setup(void **state)
{
	(void)state;
	if (!have_avx2())
		print_message("no AVX2 on this CPU: the AVX2 path is not compared\n");
	return 0;
}

/* Each byte value 0..255 at each position, among run characters and among others. */
static void test_every_byte_every_position(void **state)
{
	static const uint8_t fill[] = {'A', ' ', '_', 0x80};
	uint8_t blk[64];

	(void)state;
	for (size_t f = 0; f < sizeof(fill); f++) {
		for (unsigned pos = 0; pos < 64; pos++) {
			for (unsigned v = 0; v < 256; v++) {
				memset(blk, fill[f], sizeof(blk));
				blk[pos] = (uint8_t)v;
				check_block(blk);
			}
		}
	}
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random bytes, mostly run characters in runs of random length around CS_B64_MIN_RUN. */
static void random_text(uint8_t *p, size_t n, uint32_t *s)
{
	size_t i = 0;

	while (i < n) {
		size_t run = rnd(s) % (3 * CS_B64_MIN_RUN);

		for (; run && i < n; run--)
			p[i++] = (uint8_t)alphabet[rnd(s) % (sizeof(alphabet) - 1)];
		if (i < n)
			p[i++] = (uint8_t)rnd(s); /* any byte, sometimes a run character too */
	}
}

static void test_random_blocks(void **state)
{
	uint32_t s = 0x9e3779b9u;
	uint8_t blk[64];

	(void)state;
	for (int k = 0; k < 20000; k++) {
		if (k % 2)
			random_text(blk, sizeof(blk), &s);
		else
			for (size_t i = 0; i < sizeof(blk); i++)
				blk[i] = (uint8_t)rnd(&s);
		check_block(blk);
	}
}

static size_t ref_span(const uint8_t *in, size_t i, size_t len)
{
	while (i < len && is_run_char(in[i]))
		i++;
	return i;
}

static size_t ref_next(const uint8_t *in, size_t i, size_t len)
{
	size_t c = 0;

	for (; i < len; i++) {
		c = is_run_char(in[i]) ? c + 1 : 0;
		if (c == CS_B64_MIN_RUN)
			return i + 1 - c;
	}
	return len - c;
}

/* Span and search from every valid start, on both paths, equal the reference. */
static void test_span_and_next(void **state)
{
	uint32_t s = 12345;
	uint8_t buf[700];

	(void)state;
	for (int k = 0; k < 60; k++) {
		size_t len = rnd(&s) % sizeof(buf);

		random_text(buf, len, &s);
		for (size_t i = 0; i <= len; i++) {
			for (int avx2 = 0; avx2 <= (int)have_avx2(); avx2++) {
				assert_int_equal(cs_runchars_span(avx2, buf, i, len),
						 ref_span(buf, i, len));
				/* next() starts after a byte that is not a run character */
				if (i == 0 || !is_run_char(buf[i - 1]))
					assert_int_equal(cs_runchars_next(avx2, buf, i, len),
							 ref_next(buf, i, len));
			}
		}
	}
}

/* CS_B64_SCALAR=1 selects the portable path; without it, AVX2 where the CPU has it. */
static void test_env_switch(void **state)
{
	struct cs_b64 b;

	(void)state;
	unsetenv("CS_B64_SCALAR");
	assert_int_equal(cs_runchars_avx2(), have_avx2());
	cs_b64_init(&b, 1024);
	assert_int_equal(b.avx2, have_avx2());
	setenv("CS_B64_SCALAR", "1", 1);
	assert_false(cs_runchars_avx2());
	cs_b64_init(&b, 1024);
	assert_false(b.avx2);
	unsetenv("CS_B64_SCALAR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_byte_every_position),
		cmocka_unit_test(test_random_blocks),
		cmocka_unit_test(test_span_and_next),
		cmocka_unit_test(test_env_switch),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
