// SPDX-License-Identifier: MIT
/*
 * fuzz_inflate.c - gzip / deflate / raw deflate / brotli / zstd decoding of
 * arbitrary bytes: bounded output and decoder memory, a definite status,
 * the same result whatever the split (for corrupt brotli or zstd, the same
 * prefix).
 * The first byte picks the coding and the output limit.
 */
#include <string.h>

#include "fuzz_util.h"
#include "inflate.h"

static void out(void *ctx, const uint8_t *p, size_t n)
{
	flog_add(ctx, 'O', p, n);
}

static enum cs_inflate_status run(enum cs_coding coding, size_t limit, const uint8_t *data,
				  size_t size, size_t a, size_t b, struct flog *l, size_t *total)
{
	struct cs_inflate z;
	const struct cs_sink s = {out, l};
	const size_t cuts[] = {a, b, size};
	size_t from = 0;

	cs_inflate_init(&z, coding, limit);
	for (int i = 0; i < 3; i++) {
		size_t used;

		cs_inflate_feed(&z, data + from, cuts[i] - from, &s, &used);
		CHECK(used <= cuts[i] - from);
		from = cuts[i];
	}
	*total = z.out_total;
	CHECK(z.br_mem <= CS_BROTLI_MAX_MEM);
	cs_inflate_end(&z);
	CHECK(z.br_mem == 0);
	return z.status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flog whole = {0}, split = {0};
	enum cs_coding coding;
	size_t limit, a, b, t1, t2;

	if (size < 2)
		return 0;
	coding = (enum cs_coding)(data[0] % 4);
	limit = (size_t)(data[0] / 4) * 1024 + 1;
	fuzz_cuts(data + 1, size - 1, &a, &b);
	enum cs_inflate_status s1 =
		run(coding, limit, data + 1, size - 1, size - 1, size - 1, &whole, &t1);
	enum cs_inflate_status s2 = run(coding, limit, data + 1, size - 1, a, b, &split, &t2);

	CHECK(t1 <= limit && t2 <= limit);
	if (s1 == CS_INFLATE_ERROR || s2 == CS_INFLATE_ERROR) {
		/*
		 * Brotli and zstd hand out decoded bytes when they run out of input, so
		 * how much came out before corrupt data (even whether the limit
		 * was reached first) depends on the split; what came out is the
		 * same stream either way.
		 */
		const struct flog *shorter = t1 < t2 ? &whole : &split;
		const struct flog *longer = t1 < t2 ? &split : &whole;

		bool streams = coding == CS_CODING_BROTLI || coding == CS_CODING_ZSTD;
		/*
		 * libzstd checks a single-segment frame's content size only when it
		 * sees the whole frame in one call: the same corrupt frame is an
		 * error fed whole and "more input" fed in pieces. Either way no
		 * byte past the corruption is handed out (the prefix check below).
		 */
		bool zstd_more = coding == CS_CODING_ZSTD &&
				 (s1 == CS_INFLATE_MORE || s2 == CS_INFLATE_MORE);

		CHECK(s1 == s2 || zstd_more ||
		      (streams && (s1 == CS_INFLATE_LIMIT || s2 == CS_INFLATE_LIMIT)));
		CHECK(!shorter->n || !memcmp(shorter->p + 1 + sizeof(size_t),
					     longer->p + 1 + sizeof(size_t), t1 < t2 ? t1 : t2));
		CHECK(t1 == t2 || streams);
	} else {
		CHECK(s1 == s2);
		CHECK(t1 == t2);
		CHECK(flog_equal(&whole, &split));
	}
	flog_free(&whole);
	flog_free(&split);
	return 0;
}
