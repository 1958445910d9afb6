/* SPDX-License-Identifier: MIT */
/*
 * websocket.h - streaming WebSocket (RFC 6455) frame decoding for one
 * direction of an upgraded connection.
 *
 * Frames go in as they come off the wire, split anywhere. Client frames
 * are unmasked; the payloads of a fragmented text or binary message are
 * handed on in order as one part (control frames in between are handed on
 * separately), and the end of each message is signalled. With
 * permessage-deflate (RFC 7692) compressed messages are inflated (raw
 * deflate with the 00 00 ff ff tail put back), keeping the window from
 * message to message unless this direction negotiated no context
 * takeover.
 *
 * Bounds: inflated output per message is at most out_limit; past it the
 * rest of the message is not decoded (counted in truncated and
 * unscanned), and with context takeover later compressed messages cannot
 * be decoded either (counted in errors and unscanned). Framing that breaks
 * the protocol stops decoding: cs_ws_feed then returns how far it got and
 * the caller treats the rest as opaque bytes.
 *
 * Memory: a few words of frame state, plus a zlib raw inflate state (about
 * 44 KiB) once a compressed message is seen.
 */
#ifndef CLAWSEC_WEBSOCKET_H
#define CLAWSEC_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "decode.h"

struct cs_ws_sink {
	cs_sink_fn data;	/* payload of the current text or binary message */
	void (*end)(void *ctx); /* that message ended */
	cs_sink_fn control;	/* the payload of one control frame (close reason, ping) */
	void *ctx;
};

struct cs_ws {
	bool deflate;	  /* permessage-deflate negotiated */
	bool no_takeover; /* this direction's window is reset after each message */
	bool failed;	  /* framing broke: nothing more is decoded */
	uint8_t hdr[14];
	size_t hdr_len, hdr_need;
	uint64_t left; /* payload bytes left in the current frame */
	uint8_t mask[4];
	bool masked;
	unsigned mask_at;
	uint8_t opcode; /* of the current frame */
	bool fin;
	bool in_message; /* a text or binary message is open */
	bool compressed; /* ... and it is compressed */
	bool skip;	 /* ... and the rest of it is not decoded */
	bool z_broken;	 /* a shared window was lost: compressed messages cannot be decoded */
	z_stream zs;
	bool z_init;
	size_t out_msg, out_limit;
	/* Counters since the caller last took them. */
	uint64_t errors, truncated, unscanned;
};

void cs_ws_init(struct cs_ws *w, bool deflate, bool no_takeover, size_t out_limit);
/* Returns the bytes consumed: all of them unless the framing broke (w->failed). */
size_t cs_ws_feed(struct cs_ws *w, const uint8_t *in, size_t len, const struct cs_ws_sink *out);
void cs_ws_free(struct cs_ws *w);

/*
 * Frames seen without their 101 (the capture joined a connection late):
 * does p start with frames of one WebSocket direction? Each header well
 * formed (no RSV2/RSV3, a known opcode, RSV1 only on a data frame, control
 * frames final and at most 125 bytes, lengths in their minimal encoding),
 * masked exactly when client, and each frame ending where the next header
 * begins. YES once CS_WS_RECOGNISE_FRAMES headers chain (the last one's
 * payload need not be there yet), MAYBE while the bytes end before that,
 * NO otherwise. *deflate: an RSV1 (compressed) frame was seen.
 */
#define CS_WS_RECOGNISE_FRAMES 3
enum cs_ws_guess { CS_WS_NO, CS_WS_MAYBE, CS_WS_YES };
enum cs_ws_guess cs_ws_recognise(const uint8_t *p, size_t n, bool client, bool *deflate);

/*
 * From a 101 response head: does it switch to WebSocket, and with which
 * permessage-deflate parameters (no_takeover[0] for the client's frames,
 * [1] for the server's).
 */
bool cs_ws_upgrade(const uint8_t *head, size_t len, bool *deflate, bool no_takeover[2]);

#endif
