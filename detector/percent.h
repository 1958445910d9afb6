/* SPDX-License-Identifier: MIT */
/*
 * percent.h - streaming percent-decoding (RFC 3986) with the form rule
 * that '+' stands for a space (application/x-www-form-urlencoded and the
 * query part of a URL). An invalid escape is passed through verbatim.
 * State: up to two bytes of an escape in progress.
 */
#ifndef CLAWSEC_PERCENT_H
#define CLAWSEC_PERCENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct cs_percent {
	uint8_t pend[3]; /* "%" or "%X" in progress */
	size_t pend_len;
	bool plus_space;
	uint8_t out[512];
	size_t out_len;
};

void cs_percent_init(struct cs_percent *p, bool plus_space);
void cs_percent_feed(struct cs_percent *p, const uint8_t *in, size_t len,
		     const struct cs_sink *out);
void cs_percent_flush(struct cs_percent *p, const struct cs_sink *out);

/*
 * Percent-decoding repeated, so that double (or triple) encoding does not
 * hide text: each round decodes the output of the one before, and a round
 * whose input holds no valid %XX passes it through unchanged, which is
 * "decode again while a %XX is left", at most CS_PERCENT_ROUNDS times.
 * Only the first round reads '+' as a space: a '+' that came out of %2B is
 * data. Never longer than its input; state: the rounds' decoders.
 */
#define CS_PERCENT_ROUNDS 3

struct cs_percent_multi {
	struct cs_percent round[CS_PERCENT_ROUNDS];
	const struct cs_sink *out; /* during a feed or flush */
};

void cs_percent_multi_init(struct cs_percent_multi *m, bool plus_space);
void cs_percent_multi_feed(struct cs_percent_multi *m, const uint8_t *in, size_t len,
			   const struct cs_sink *out);
void cs_percent_multi_flush(struct cs_percent_multi *m, const struct cs_sink *out);

#endif
