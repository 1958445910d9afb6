/* SPDX-License-Identifier: MIT */
/*
 * jsonstr.h - streaming JSON string-escape decoder.
 *
 * Decodes \" \\ \/ \b \f \n \r \t and \uXXXX (surrogate pairs joined into
 * one code point, lone surrogates become U+FFFD) wherever they occur, and
 * passes every other byte through unchanged. It does not track string
 * context on purpose: it is also run over bodies that are not labelled
 * JSON, so a secret escaped inside a JSON string is found whatever the
 * Content-Type says, and each byte is still scanned exactly once. An
 * invalid escape is passed through verbatim.
 *
 * State: at most one escape in progress (12 bytes) and a pending surrogate.
 */
#ifndef CLAWSEC_JSONSTR_H
#define CLAWSEC_JSONSTR_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct cs_jsonstr {
	uint8_t pend[6]; /* an escape in progress: "\", "\u", "\u12", ... */
	size_t pend_len;
	uint32_t high;	  /* a high surrogate waiting for its low half, or 0 */
	uint8_t out[512]; /* decoded bytes not yet handed to the sink */
	size_t out_len;
};

void cs_jsonstr_init(struct cs_jsonstr *j);
void cs_jsonstr_feed(struct cs_jsonstr *j, const uint8_t *in, size_t len,
		     const struct cs_sink *out);
/* End of the text: emit an unfinished escape verbatim. */
void cs_jsonstr_flush(struct cs_jsonstr *j, const struct cs_sink *out);

#endif
