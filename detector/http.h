/* SPDX-License-Identifier: MIT */
/*
 * http.h - streaming HTTP/1.x message framing for one direction of a flow.
 *
 * Bytes go in as they come off the wire, in chunks of any size. The parser
 * finds message heads (request or status line plus header fields), decides
 * how the body is framed (Content-Length, chunked, until close, none for
 * 1xx/204/304 and HEAD responses), removes the chunked framing and hands
 * head, body bytes and trailers to callbacks. Several messages may follow
 * each other on a connection (keep-alive, pipelining).
 *
 * Bytes that are not HTTP are handed on as raw bytes, never dropped. With
 * format AUTO a stream whose first bytes are not an HTTP/1.x start line is
 * raw; in raw mode the parser keeps looking at each line start for a start
 * line, so after malformed framing or a capture gap it resynchronises on
 * the next message. Malformed framing is reported through the error
 * callback (the detector counts it).
 *
 * Memory: the head of the message being parsed, grown as needed up to
 * CS_HTTP_MAX_HEAD (a longer head is malformed and passed on raw), plus a
 * few words of chunked state.
 */
#ifndef CLAWSEC_HTTP_H
#define CLAWSEC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunked.h"
#include "detector.h"

#define CS_HTTP_MAX_HEAD (32 * 1024)
/* A start line longer than this is not HTTP. */
#define CS_HTTP_MAX_START_LINE 16384

enum cs_http_body {
	CS_HTTP_BODY_NONE = 0,
	CS_HTTP_BODY_LENGTH,
	CS_HTTP_BODY_CHUNKED,
	CS_HTTP_BODY_CLOSE, /* a response read until the connection closes */
};

struct cs_http_head {
	bool is_request;
	const uint8_t *raw; /* the whole head: start line, fields, blank line */
	size_t raw_len;
	size_t line_len;       /* the start line without its line end */
	const uint8_t *method; /* requests */
	size_t method_len;
	const uint8_t *target; /* requests: the request target as sent */
	size_t target_len;
	const uint8_t *host; /* requests: the Host field value; NULL if absent or repeated */
	size_t host_len;
	int status; /* responses */
	enum cs_http_body body;
	uint64_t content_length;
	char content_type[64];	   /* media type, lower case, no parameters */
	char content_encoding[32]; /* lower case, as sent */
};

/* What the head callback returns to steer the framing. */
enum cs_http_verdict {
	CS_HTTP_AS_USUAL = 0,
	CS_HTTP_NO_BODY, /* e.g. the response to a HEAD request */
	CS_HTTP_TUNNEL,	 /* after this head the stream is not HTTP any more */
};

struct cs_http_cb {
	enum cs_http_verdict (*head)(void *ctx, const struct cs_http_head *h);
	void (*body)(void *ctx, const uint8_t *p, size_t n);
	void (*trailer)(void *ctx, const uint8_t *p, size_t n);
	/* Body bytes were lost (capture gap) but the framing is still known. */
	void (*body_gap)(void *ctx);
	/* The message ended; complete is false when it was cut short. */
	void (*end)(void *ctx, bool complete);
	void (*raw)(void *ctx, const uint8_t *p, size_t n);
	void (*raw_end)(void *ctx); /* a stretch of raw bytes ended */
	void (*error)(void *ctx);   /* malformed framing */
	void *ctx;
};

struct cs_http {
	enum cs_format format;
	int state;
	bool seen_http;	 /* a message was framed in this direction */
	bool classified; /* the buffered start line is known to be HTTP */
	uint8_t *head;
	size_t head_len, head_cap;
	size_t line_begin;  /* offset of the head line being read */
	uint64_t remaining; /* Content-Length body bytes left */
	struct cs_chunked chunked;
	bool raw_open; /* raw bytes were delivered since the last raw_end */
	bool at_line_start;
	uint8_t sig[16]; /* raw mode: the start of a line, until it is judged */
	size_t sig_len;
	struct cs_http_cb cb;
};

void cs_http_init(struct cs_http *p, enum cs_format format, const struct cs_http_cb *cb);
void cs_http_feed(struct cs_http *p, const uint8_t *in, size_t len);
/* The capture lost `lost` bytes here. */
void cs_http_gap(struct cs_http *p, size_t lost);
/* The rest of the stream is opaque (CONNECT tunnel, protocol upgrade). */
void cs_http_tunnel(struct cs_http *p);
/*
 * From the next byte on, the stream is opaque: raw bytes handed on as they
 * come, with no search for a message start (HTTP/2 after h2c). Unlike
 * cs_http_tunnel nothing is flushed, so the raw callback may call it.
 */
void cs_http_opaque(struct cs_http *p);
/* The connection closed: end what is open. */
void cs_http_finish(struct cs_http *p);
void cs_http_free(struct cs_http *p);

#endif
