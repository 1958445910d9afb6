/* SPDX-License-Identifier: MIT */
/*
 * sse.h - text/event-stream decoding for the scanner.
 *
 * LLM APIs stream their output as Server-Sent Events whose `data:` lines
 * carry JSON deltas ({"delta":{"type":"text_delta","text":"cur"}} ...). A
 * command split over many events is only visible once the deltas are put
 * back together, so each event's JSON is walked (jsonwalk.h: no tree, no
 * allocation) and the string values of text-bearing keys (text, content,
 * delta, completion, response, thinking, and partial_json / arguments,
 * which are JSON text themselves and get unescaped again) are appended, in
 * order, to one continuous text run. Every other string, member names
 * included, goes to a second sink, one per line, so every string of the
 * event is still scanned exactly once. Data that is not JSON is part of the
 * text run as is; data that starts like JSON but is broken goes to the
 * second sink as it is, and so does anything after the JSON in an event.
 *
 * Newline-delimited JSON streams (application/x-ndjson, as Ollama sends
 * them) are the same thing without the "data:" framing: one event a line.
 *
 * Memory: one event's data, at most CS_SSE_MAX_EVENT bytes (an event that
 * is longer is passed on raw to the `other` sink and counted as truncated);
 * its strings are decoded in place.
 */
#ifndef CLAWSEC_SSE_H
#define CLAWSEC_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "jsonstr.h"

#define CS_SSE_MAX_EVENT (64 * 1024)
#define CS_SSE_MAX_FIELD 16

struct cs_sse_sink {
	struct cs_sink text;  /* the reassembled text run */
	struct cs_sink other; /* everything else, newline separated */
};

struct cs_sse {
	int state;
	bool ndjson;   /* one JSON document per line, no SSE fields */
	bool after_cr; /* a CR ended the last line; swallow one LF */
	char field[CS_SSE_MAX_FIELD];
	size_t field_len;
	bool value_started; /* past the optional space after "data:" */
	uint8_t *data;	    /* the current event's data lines */
	size_t data_len, data_cap;
	bool overflow;	      /* the event outgrew the buffer */
	struct cs_jsonstr js; /* unescapes partial_json / arguments deltas */
	uint64_t events;
	uint64_t truncated;
};

void cs_sse_init(struct cs_sse *s, bool ndjson);
void cs_sse_feed(struct cs_sse *s, const uint8_t *in, size_t len, const struct cs_sse_sink *sink);
/* End of the stream: an event without its blank line is dispatched too. */
void cs_sse_finish(struct cs_sse *s, const struct cs_sse_sink *sink);
void cs_sse_free(struct cs_sse *s);

#endif
