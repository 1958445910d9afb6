/* SPDX-License-Identifier: MIT */
/*
 * inflate.h - bounded streaming gzip / deflate (zlib), br (brotli) and
 * zstd content decoding.
 *
 * "deflate" on the wire is meant to be zlib-wrapped (RFC 9110 8.4.1.2) but
 * many servers send raw deflate; the first two bytes decide. Concatenated
 * gzip members are decoded in turn. Output stops at a configured limit so a
 * compression bomb costs at most that many bytes of work.
 *
 * Memory: the zlib inflate state with its 32 KiB window (about 44 KiB),
 * or the brotli decoder state with a window of up to CS_BROTLI_MAX_MEM
 * (streams that need a larger window fail as decode errors), or the zstd
 * decoder with a window of at most 2^CS_ZSTD_WINDOW_LOG_MAX bytes (8 MiB,
 * the most RFC 9659 lets an HTTP zstd encoder use; larger frames fail as
 * decode errors) plus about 160 KiB of block buffers, held until
 * cs_inflate_end, plus a 16 KiB stack buffer.
 */
#ifndef CLAWSEC_INFLATE_H
#define CLAWSEC_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include "decode.h"

/* Brotli decoder memory cap: windows up to 4 MiB (nginx and CDNs use <= 4 MiB). */
#define CS_BROTLI_MAX_MEM ((4u << 20) + (256u << 10))
/* zstd window cap: 8 MiB (RFC 9659). */
#define CS_ZSTD_WINDOW_LOG_MAX 23

enum cs_coding { CS_CODING_GZIP = 0, CS_CODING_DEFLATE, CS_CODING_BROTLI, CS_CODING_ZSTD };

enum cs_inflate_status {
	CS_INFLATE_MORE = 0, /* give me more input */
	CS_INFLATE_DONE,     /* the stream ended; later input is not part of it */
	CS_INFLATE_LIMIT,    /* output limit reached; decoding stopped */
	CS_INFLATE_ERROR,    /* corrupt data; decoding stopped */
};

struct cs_inflate {
	z_stream zs;
	BrotliDecoderState *br;
	ZSTD_DCtx *zd;
	size_t br_mem; /* bytes the brotli decoder holds */
	enum cs_coding coding;
	enum cs_inflate_status status;
	bool started;	      /* decoder state created */
	bool between_members; /* a gzip member or zstd frame ended; another may follow */
	uint8_t head[2];      /* deflate: first bytes, to tell zlib from raw */
	size_t magic_left;    /* zstd: bytes of the frame's magic not yet checked */
	bool skippable;	      /* zstd: the frame is a skippable one */
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
