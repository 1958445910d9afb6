/* SPDX-License-Identifier: MIT */
/*
 * base64.h - find base64 / base64url, hex and base32 runs in decoded text
 * and decode them.
 *
 * A run is a maximal sequence of [A-Za-z0-9+/_-] of at least
 * CS_B64_MIN_RUN characters. Its start tells the encoding: mixed upper and
 * lower case is base64; hex digits only are hex (an agent's `xxd -p`);
 * upper-case letters and 2-7 only are base32 (`base32`, RFC 4648); any
 * other start (UUIDs, lower-case paths and identifiers) is not decoded. A
 * hex or base32 run's decoding stops at its first character outside that
 * alphabet. '=' padding ends a run,
 * and a line break continues it when it falls on a 4-character boundary
 * (PEM and MIME wrap base64 in lines). A run whose first CS_B64_SNIFF
 * decoded bytes are not text (images, certificates, compressed data) is
 * dropped. The decoded bytes of each other run are streamed to a sink and
 * the end of the run is signalled, so the caller can rescan them as a part
 * of their own (the detector does, one depth further, up to
 * cs_detector_base64_depth). Decoded output per budget period is bounded.
 *
 * State: the first CS_B64_MIN_RUN characters of a run, a partial quantum
 * and a 768-byte output buffer.
 */
#ifndef CLAWSEC_BASE64_H
#define CLAWSEC_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

/* Shorter runs are words, not encodings (24 characters decode to 18 bytes). */
#define CS_B64_MIN_RUN 24
/* Decoded bytes judged text or binary before a run is passed on. */
#define CS_B64_SNIFF 48

/* What a run's first CS_B64_MIN_RUN characters say it is. */
enum cs_enc { CS_ENC_NONE = 0, CS_ENC_BASE64, CS_ENC_HEX, CS_ENC_BASE32 };

struct cs_b64_sink {
	cs_sink_fn data;	/* decoded bytes of the current run */
	void (*end)(void *ctx); /* the current run ended */
	void *ctx;
};

struct cs_b64 {
	uint8_t lead[CS_B64_MIN_RUN]; /* a run's start, until it is long enough */
	size_t run;		      /* characters in the current run */
	enum cs_enc mode;	      /* the current run's encoding */
	bool skip;		      /* not encoded, or binary once decoded: not decoded */
	bool judged;		      /* the run's first decoded bytes were judged text */
	bool emitted;		      /* decoded bytes of this run were passed on */
	uint32_t quad;		      /* bits of the partial quantum */
	unsigned nq;		      /* base64: characters in it; hex, base32: bits */
	size_t out_total;	      /* decoded bytes this budget period */
	size_t out_limit;
	uint64_t truncated; /* times the limit cut decoding short */
	bool limited;
	bool avx2; /* runs found with AVX2 (cs_runchars_avx2()); tests clear it */
	uint8_t out[768];
	size_t out_len;
};

void cs_b64_init(struct cs_b64 *b, size_t out_limit);
void cs_b64_feed(struct cs_b64 *b, const uint8_t *in, size_t len, const struct cs_b64_sink *sink);
/* End of the text part: a run in progress ends here. */
void cs_b64_end(struct cs_b64 *b, const struct cs_b64_sink *sink);
/* A new message: the output budget starts again. */
void cs_b64_new_budget(struct cs_b64 *b);

#endif
