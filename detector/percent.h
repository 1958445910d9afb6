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

#endif
