/* SPDX-License-Identifier: MIT */
/*
 * inflate.h - bounded streaming gzip / deflate (zlib) and br (brotli)
 * content decoding.
 *
 * "deflate" on the wire is meant to be zlib-wrapped (RFC 9110 8.4.1.2) but
 * many servers send raw deflate; the first two bytes decide. Concatenated
 * gzip members are decoded in turn. Output stops at a configured limit so a
 * compression bomb costs at most that many bytes of work.
 *
 * Memory: the zlib inflate state with its 32 KiB window (about 44 KiB),
 * or the brotli decoder state with a window of up to CS_BROTLI_MAX_MEM
 * (streams that need a larger window fail as decode errors), held until
 * cs_inflate_end, plus a 16 KiB stack buffer.
 */
#ifndef CLAWSEC_INFLATE_H
#define CLAWSEC_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <brotli/decode.h>
#include <zlib.h>

#include "decode.h"

/* Brotli decoder memory cap: windows up to 4 MiB (nginx and CDNs use <= 4 MiB). */
#define CS_BROTLI_MAX_MEM ((4u << 20) + (256u << 10))

enum cs_coding { CS_CODING_GZIP = 0, CS_CODING_DEFLATE, CS_CODING_BROTLI };

enum cs_inflate_status {
	CS_INFLATE_MORE = 0, /* give me more input */
	CS_INFLATE_DONE,     /* the stream ended; later input is not part of it */
	CS_INFLATE_LIMIT,    /* output limit reached; decoding stopped */
	CS_INFLATE_ERROR,    /* corrupt data; decoding stopped */
};

struct cs_inflate {
	z_stream zs;
	BrotliDecoderState *br;
	size_t br_mem; /* bytes the brotli decoder holds */
	enum cs_coding coding;
	enum cs_inflate_status status;
	bool started;	      /* decoder state created */
	bool between_members; /* a gzip member ended; another may follow */
	uint8_t head[2];      /* deflate: first bytes, to tell zlib from raw */
	size_t head_len;
	size_t out_total;
	size_t out_limit;
};

void cs_inflate_init(struct cs_inflate *z, enum cs_coding coding, size_t out_limit);
/*
 * Decode `in` into `out`. *consumed (may be NULL) gets the input bytes
 * used; once the status is not MORE, further input is ignored.
 */
enum cs_inflate_status cs_inflate_feed(struct cs_inflate *z, const uint8_t *in, size_t len,
				       const struct cs_sink *out, size_t *consumed);
/* True when the stream ended cleanly (a truncated body is a decode error). */
bool cs_inflate_complete(const struct cs_inflate *z);
void cs_inflate_end(struct cs_inflate *z);

#endif
