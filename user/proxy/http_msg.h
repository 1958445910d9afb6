/* SPDX-License-Identifier: MIT */
/*
 * http_msg.h - just enough HTTP/1.1 for a forwarding proxy: find a message
 * head, parse a request head (and rewrite it to origin form), parse a
 * response head, and walk a body (Content-Length, chunked, until close)
 * to know where each message ends. Bytes are never changed except the
 * request head; malformed framing is an error, never a guess.
 */
#ifndef CLAWSEC_PROXY_HTTP_MSG_H
#define CLAWSEC_PROXY_HTTP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HM_HOST_MAX 256

enum hm_body { HM_BODY_NONE = 0, HM_BODY_LENGTH, HM_BODY_CHUNKED, HM_BODY_EOF };

/*
 * Length of the head (through the blank line) in p[0..n), or 0 when it is not
 * complete yet. *scan remembers how far previous calls looked (start at 0).
 * A bare LF ends the head right after it: such a head is malformed, and the
 * parsers below refuse it at once rather than waiting for more bytes.
 */
size_t hm_head_end(const char *p, size_t n, size_t *scan);

struct hm_request {
	char method[24];
	bool connect;		/* CONNECT host:port */
	bool head;		/* HEAD: the response has no body */
	bool keep_alive;	/* the client may send another request after this one */
	char host[HM_HOST_MAX]; /* target host, without brackets for IPv6 */
	uint16_t port;
	enum hm_body body;
	uint64_t length; /* for HM_BODY_LENGTH */
};

/*
 * Parse a complete request head. For absolute-form http:// requests the
 * rewritten head (origin form, proxy headers removed, Host added when
 * missing) is written to out (needs n + HM_HOST_MAX + 16 bytes).
 * Returns 0, or the HTTP status to answer with (400, 501, ...).
 */
int hm_parse_request(const char *p, size_t n, struct hm_request *r, char *out, size_t outcap,
		     size_t *outlen);

struct hm_response {
	int status;
	bool keep_alive; /* the connection may carry another response */
	enum hm_body body;
	uint64_t length;
};

/* Parse a complete response head; `head_req`: it answers a HEAD. 0 or -1. */
int hm_parse_response(const char *p, size_t n, bool head_req, struct hm_response *r);

/* Body walker: tells how many bytes belong to the current message. */
struct hm_body_state {
	int state;
	uint64_t remaining;
	unsigned line_len;
	unsigned ndigits;
	unsigned trailer_lines;
};

void hm_body_start(struct hm_body_state *b, enum hm_body kind, uint64_t length);
/* Bytes of p[0..n) that belong to the body (stops at its end), or -1 if malformed. */
ssize_t hm_body_feed(struct hm_body_state *b, const char *p, size_t n);
bool hm_body_done(const struct hm_body_state *b);

#endif
