/* SPDX-License-Identifier: MIT */
/*
 * chunked.h - streaming HTTP/1.1 chunked transfer decoder (RFC 9112 7.1).
 *
 * Chunk extensions are skipped, trailer fields are passed to their own sink
 * (they are headers and get scanned as such). The state is a few words; the
 * only bounds needed are on the size line and on the trailer section.
 */
#ifndef CLAWSEC_CHUNKED_H
#define CLAWSEC_CHUNKED_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

/* A chunk-size line with its extensions may not be longer than this. */
#define CS_CHUNKED_MAX_LINE 4096
/* All trailer fields together. */
#define CS_CHUNKED_MAX_TRAILERS 16384

enum cs_chunked_status { CS_CHUNKED_MORE = 0, CS_CHUNKED_DONE, CS_CHUNKED_ERROR };

struct cs_chunked {
	int state;
	enum cs_chunked_status status;
	uint64_t remaining; /* data bytes left in the current chunk */
	unsigned digits;    /* hex digits of the current size */
	size_t line_len;    /* bytes of the current size line */
	size_t trailer_len; /* bytes of trailers so far */
};

void cs_chunked_init(struct cs_chunked *c);
/*
 * Decode from `in`. Chunk data goes to `body`, trailer bytes (field lines
 * with their line ends) to `trailer` (either may be NULL). Returns the
 * number of bytes consumed: all of them unless the message ended (status
 * DONE, the rest belongs to the next message) or the framing is malformed
 * (status ERROR, the rest cannot be decoded).
 */
size_t cs_chunked_feed(struct cs_chunked *c, const uint8_t *in, size_t len,
		       const struct cs_sink *body, const struct cs_sink *trailer);

/*
 * The capture lost `lost` bytes of the stream. True when they all fell in
 * the data of the current chunk: decoding goes on in step with the framing.
 */
bool cs_chunked_skip(struct cs_chunked *c, uint64_t lost);

#endif
