/* SPDX-License-Identifier: MIT */
/*
 * http2.h - streaming HTTP/2 (RFC 9113) frame decoding for one direction
 * of a connection, from its first byte.
 *
 * Frames go in split anywhere. The client direction starts with the
 * connection preface, which is checked and skipped. Header blocks (HEADERS
 * or PUSH_PROMISE plus CONTINUATION frames) are decoded with libnghttp2's
 * HPACK inflater, whose dynamic table lives as long as the direction, and
 * handed on one field at a time; the end of each block says which stream
 * it opened and with which content type and coding. DATA payloads (padding
 * removed) are handed on per stream, and the end of each stream (END_STREAM
 * or RST_STREAM) is signalled. Padding, PING and GOAWAY debug data and the
 * payload of unknown frame types are handed on as opaque bytes (room a peer
 * could fill with anything); the fixed fields of other frames are skipped.
 *
 * Failure: framing that breaks the protocol (a frame where a CONTINUATION
 * must follow, a padding longer than its frame) stops decoding: cs_h2_feed
 * then returns how far it got and the caller treats the rest as opaque.
 * An HPACK error loses the dynamic table, so no later header block of the
 * direction can be decoded: their bytes are counted in unscanned, DATA is
 * still decoded.
 *
 * Memory: a few words of frame state, a table of CS_H2_STREAMS streams'
 * content type and coding, and the HPACK inflater, whose allocations are
 * capped at CS_H2_HPACK_MAX_MEM (a header field or table that needs more
 * is an HPACK error).
 */
#ifndef CLAWSEC_HTTP2_H
#define CLAWSEC_HTTP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nghttp2/nghttp2.h>

#define CS_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define CS_H2_PREFACE_LEN 24
#define CS_H2_STREAMS 16
/* Streams whose bodies the pipeline (flow.c) decodes at the same time, per direction. */
#define CS_H2_BODY_STREAMS 4
/* The dynamic table (64 KiB accepted, 4 KiB usual) plus the field being decoded. */
#define CS_H2_HPACK_MAX_MEM (256u << 10)

struct cs_h2_stream {
	uint32_t id;
	char content_type[64];	   /* media type, lower case, no parameters */
	char content_encoding[32]; /* lower case */
	uint64_t data_seen;	   /* DATA bytes handed on before the current piece */
};

struct cs_h2_sink {
	/* One decoded header field of the block being read. */
	void (*field)(void *ctx, const uint8_t *name, size_t nl, const uint8_t *value, size_t vl);
	/* The block ended: the stream it belongs to, with what its fields said. */
	void (*block_end)(void *ctx, const struct cs_h2_stream *st);
	void (*data)(void *ctx, const struct cs_h2_stream *st, const uint8_t *p, size_t n);
	void (*stream_end)(void *ctx, uint32_t id);
	/*
	 * Bytes that carry no HTTP meaning but whatever a peer puts there:
	 * padding, PING data, GOAWAY debug data, frames of unknown types.
	 * May be NULL.
	 */
	void (*opaque)(void *ctx, const uint8_t *p, size_t n);
	void *ctx;
};

struct cs_h2 {
	size_t preface_left; /* client direction: preface bytes still to check */
	bool failed;
	uint8_t fh[9];
	size_t fh_len;
	uint32_t len, pos; /* the current frame's payload length and read position */
	uint8_t type, flags;
	uint32_t stream;
	uint32_t pad, skip; /* padding at the end, fixed fields at the start */
	bool block_open;    /* a header block awaits CONTINUATION */
	uint32_t block_stream;
	bool block_end_stream;
	struct cs_h2_stream streams[CS_H2_STREAMS];
	unsigned next_slot;
	struct cs_h2_stream *block_st;
	nghttp2_hd_inflater *hd;
	nghttp2_mem mem; /* the inflater keeps a pointer: the struct must not move */
	bool hd_failed;
	size_t hd_mem;
	/* Counters since the caller last took them. */
	uint64_t errors, unscanned;
};

/*
 * A message head (the client's request or the server's 101) asking to
 * switch to HTTP/2 over cleartext: an Upgrade field naming h2c.
 */
bool cs_h2_upgrade(const uint8_t *head, size_t len);
/* client: this direction carries the connection preface. 0 or -1 (out of memory). */
int cs_h2_init(struct cs_h2 *h, bool client);
/* Returns the bytes consumed: all of them unless the framing broke (h->failed). */
size_t cs_h2_feed(struct cs_h2 *h, const uint8_t *in, size_t len, const struct cs_h2_sink *out);
void cs_h2_free(struct cs_h2 *h);

#endif
