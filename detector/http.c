// SPDX-License-Identifier: MIT
/* http.c - streaming HTTP/1.x framing with raw fallback and resynchronisation. */
#include "http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { ST_HEAD, ST_LENGTH, ST_CHUNKED, ST_CLOSE, ST_RAW, ST_TUNNEL };

enum judgement { NO, MAYBE, YES };

/* Methods that may start a request when resynchronising inside raw bytes. */
static const char *const methods[] = {
	"GET ",	    "POST ",   "PUT ",	    "DELETE ",	  "HEAD ",  "OPTIONS ", "PATCH ",
	"CONNECT ", "TRACE ",  "PROPFIND ", "PROPPATCH ", "MKCOL ", "COPY ",	"MOVE ",
	"LOCK ",    "UNLOCK ", "REPORT ",   "SEARCH ",	  "PURGE ", NULL,
};

void cs_http_init(struct cs_http *p, enum cs_format format, const struct cs_http_cb *cb)
{
	memset(p, 0, sizeof(*p));
	p->format = format;
	p->cb = *cb;
	if (format == CS_FORMAT_RAW)
		p->state = ST_TUNNEL;
}

void cs_http_free(struct cs_http *p)
{
	free(p->head);
	p->head = NULL;
	p->head_len = p->head_cap = 0;
}

static void raw_out(struct cs_http *p, const uint8_t *b, size_t n)
{
	if (!n)
		return;
	p->raw_open = true;
	p->cb.raw(p->cb.ctx, b, n);
}

static void raw_close(struct cs_http *p)
{
	if (p->raw_open)
		p->cb.raw_end(p->cb.ctx);
	p->raw_open = false;
}

static void error(struct cs_http *p)
{
	p->cb.error(p->cb.ctx);
}

/*
 * Give up on framing: what was buffered and what follows is raw. The state
 * is set before the buffered bytes go out, so the raw callback may call
 * cs_http_opaque().
 */
static void to_raw(struct cs_http *p)
{
	size_t n = p->head_len;

	p->at_line_start = !n || p->head[n - 1] == '\n';
	p->head_len = 0;
	p->classified = false;
	p->state = ST_RAW;
	p->sig_len = 0;
	raw_out(p, p->head, n);
}

static void new_message(struct cs_http *p)
{
	p->state = ST_HEAD;
	p->head_len = 0;
	p->line_begin = 0;
	p->classified = false;
}

/* ---- start line ---- */

static bool is_tchar(uint8_t c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool version_ok(const uint8_t *v, size_t n)
{
	return n == 8 && !memcmp(v, "HTTP/1.", 7) && (v[7] == '0' || v[7] == '1');
}

/* "HTTP/1.x SP 3DIGIT [SP reason]" */
static bool status_line_ok(const uint8_t *l, size_t n)
{
	if (n < 12 || !version_ok(l, 8) || l[8] != ' ')
		return false;
	for (int i = 9; i < 12; i++)
		if (!isdigit(l[i]))
			return false;
	return n == 12 || l[12] == ' ';
}

/* "METHOD SP target SP HTTP/1.x" */
static bool request_line_ok(const uint8_t *l, size_t n)
{
	size_t m = 0, t;

	while (m < n && is_tchar(l[m]))
		m++;
	if (!m || m >= n || l[m] != ' ')
		return false;
	t = m + 1;
	while (t < n && l[t] != ' ' && l[t] > 0x20 && l[t] != 0x7f)
		t++;
	if (t == m + 1 || t >= n || l[t] != ' ')
		return false;
	return version_ok(l + t + 1, n - t - 1);
}

/*
 * Could the head buffered so far be an HTTP message? Decided as soon as
 * the prefix rules it out, or when the first line is complete. The head
 * is buffered a line at a time, so the first line end can only be the last
 * byte: each call costs O(1) until the line is complete.
 */
static enum judgement classify(const uint8_t *b, size_t n)
{
	bool lf = b[n - 1] == '\n';
	size_t line = lf ? n - 1 : n;
	size_t k = n < 5 ? n : 5, m = 0;

	if (lf && line && b[line - 1] == '\r')
		line--;
	if (line > CS_HTTP_MAX_START_LINE)
		return NO;
	if (!memcmp(b, "HTTP/", k)) {
		if (!lf)
			return MAYBE;
		return status_line_ok(b, line) ? YES : NO;
	}
	while (m < n && m <= 24 && isupper(b[m]))
		m++;
	if (m == n && m <= 24)
		return MAYBE;
	if (!m || m > 24 || b[m] != ' ')
		return NO;
	if (!lf)
		return MAYBE;
	return request_line_ok(b, line) ? YES : NO;
}

/* ---- header fields ---- */

static void lower_copy(char *dst, size_t cap, const uint8_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < cap; i++)
		dst[i] = (char)tolower(v[i]);
	dst[i] = 0;
}

static bool name_is(const uint8_t *name, size_t n, const char *want)
{
	return n == strlen(want) && !strncasecmp((const char *)name, want, n);
}

static bool ends_with_chunked(const uint8_t *v, size_t n)
{
	size_t end = n, start;

	while (end && (v[end - 1] == ' ' || v[end - 1] == '\t'))
		end--;
	start = end;
	while (start && v[start - 1] != ',' && v[start - 1] != ' ')
		start--;
	return name_is(v + start, end - start, "chunked");
}

struct fields {
	bool has_length, bad_length, has_te, chunked;
	uint64_t length;
	unsigned hosts;
};

static void content_length(struct fields *f, const uint8_t *v, size_t n)
{
	uint64_t x = 0;

	if (!n || n > 18) {
		f->bad_length = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isdigit(v[i])) {
			f->bad_length = true;
			return;
		}
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (f->has_length && f->length != x)
		f->bad_length = true;
	f->has_length = true;
	f->length = x;
}

static void field(struct cs_http_head *h, struct fields *f, const uint8_t *l, size_t n)
{
	const uint8_t *colon = memchr(l, ':', n);
	const uint8_t *v;
	size_t name_len, vn;

	if (!colon)
		return; /* obsolete line folding or junk: nothing to frame by */
	name_len = (size_t)(colon - l);
	v = colon + 1;
	vn = n - name_len - 1;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	if (name_is(l, name_len, "content-length")) {
		content_length(f, v, vn);
	} else if (name_is(l, name_len, "transfer-encoding")) {
		f->has_te = true;
		f->chunked = ends_with_chunked(v, vn);
	} else if (name_is(l, name_len, "host")) {
		f->hosts++;
		h->host = v;
		h->host_len = vn;
	} else if (name_is(l, name_len, "content-encoding")) {
		lower_copy(h->content_encoding, sizeof(h->content_encoding), v, vn);
	} else if (name_is(l, name_len, "content-type")) {
		size_t t = 0;

		while (t < vn && v[t] != ';' && v[t] != ' ')
			t++;
		lower_copy(h->content_type, sizeof(h->content_type), v, t);
	}
}

/* RFC 9112 6.3, without knowledge of the request (the caller adds that). */
static bool body_framing(struct cs_http_head *h, const struct fields *f)
{
	if (!h->is_request && (h->status < 200 || h->status == 204 || h->status == 304))
		h->body = CS_HTTP_BODY_NONE;
	else if (f->has_te && f->chunked)
		h->body = CS_HTTP_BODY_CHUNKED;
	else if (f->has_te && h->is_request)
		return false; /* a request body we cannot delimit */
	else if (f->has_te)
		h->body = CS_HTTP_BODY_CLOSE;
	else if (f->bad_length)
		return false;
	else if (f->has_length)
		h->body = f->length ? CS_HTTP_BODY_LENGTH : CS_HTTP_BODY_NONE;
	else
		h->body = h->is_request ? CS_HTTP_BODY_NONE : CS_HTTP_BODY_CLOSE;
	h->content_length = f->length;
	return true;
}

static bool parse_head(const uint8_t *b, size_t n, struct cs_http_head *h)
{
	struct fields f = {0};
	const uint8_t *lf = memchr(b, '\n', n);
	size_t pos;

	memset(h, 0, sizeof(*h));
	h->raw = b;
	h->raw_len = n;
	h->line_len = (size_t)(lf - b);
	if (h->line_len && b[h->line_len - 1] == '\r')
		h->line_len--;
	h->is_request = memcmp(b, "HTTP/", 5) != 0;
	if (h->is_request) {
		const uint8_t *sp = memchr(b, ' ', h->line_len);
		const uint8_t *sp2 = memchr(sp + 1, ' ', h->line_len - (size_t)(sp + 1 - b));

		h->method = b;
		h->method_len = (size_t)(sp - b);
		h->target = sp + 1;
		h->target_len = (size_t)(sp2 - h->target);
	} else {
		h->status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
	}
	for (pos = (size_t)(lf - b) + 1; pos < n;) {
		const uint8_t *e = memchr(b + pos, '\n', n - pos);
		size_t l = (size_t)(e - (b + pos));

		if (l && b[pos + l - 1] == '\r')
			l--;
		if (l)
			field(h, &f, b + pos, l);
		pos = (size_t)(e - b) + 1;
	}
	if (f.hosts != 1 || !h->is_request) {
		/* Two Host fields (RFC 9112 3.2: a bad request) name no one host. */
		h->host = NULL;
		h->host_len = 0;
	}
	return body_framing(h, &f);
}

/* The head is complete: hand it over and set up the body. */
static void head_done(struct cs_http *p)
{
	struct cs_http_head h;
	enum cs_http_verdict v;

	if (!parse_head(p->head, p->head_len, &h)) {
		error(p);
		to_raw(p);
		return;
	}
	p->seen_http = true;
	v = p->cb.head(p->cb.ctx, &h);
	p->head_len = 0;
	if (v == CS_HTTP_TUNNEL) {
		p->cb.end(p->cb.ctx, true);
		p->state = ST_TUNNEL;
		return;
	}
	if (v == CS_HTTP_NO_BODY)
		h.body = CS_HTTP_BODY_NONE;
	switch (h.body) {
	case CS_HTTP_BODY_NONE:
		p->cb.end(p->cb.ctx, true);
		new_message(p);
		break;
	case CS_HTTP_BODY_LENGTH:
		p->remaining = h.content_length;
		p->state = ST_LENGTH;
		break;
	case CS_HTTP_BODY_CHUNKED:
		cs_chunked_init(&p->chunked);
		p->state = ST_CHUNKED;
		break;
	case CS_HTTP_BODY_CLOSE:
		p->state = ST_CLOSE;
		break;
	}
}

static bool head_append(struct cs_http *p, const uint8_t *b, size_t n)
{
	if (p->head_len + n > p->head_cap) {
		size_t cap = p->head_cap ? p->head_cap : 1024;
		uint8_t *h;

		while (cap < p->head_len + n)
			cap *= 2;
		if (cap > CS_HTTP_MAX_HEAD)
			return false;
		h = realloc(p->head, cap);
		if (!h)
			return false;
		p->head = h;
		p->head_cap = cap;
	}
	memcpy(p->head + p->head_len, b, n);
	p->head_len += n;
	return true;
}

/*
 * Not HTTP after all: an error only where HTTP was expected, and not for
 * the HTTP/2 preface (h2c: it follows an upgrade request).
 */
static void not_http(struct cs_http *p)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n";
	bool h2 = p->head_len == sizeof(preface) - 1 && !memcmp(p->head, preface, p->head_len);

	if ((p->format == CS_FORMAT_HTTP || p->seen_http) && !h2)
		error(p);
	to_raw(p);
}

/* Head bytes: one line at a time, so the blank line is found in passing. */
static size_t head_bytes(struct cs_http *p, const uint8_t *in, size_t len)
{
	const uint8_t *lf;
	size_t n, i = 0;

	if (p->head_len == 0) {
		while (i < len && (in[i] == '\r' || in[i] == '\n'))
			i++; /* empty lines before a message are allowed */
		if (i == len)
			return i;
	}
	lf = memchr(in + i, '\n', len - i);
	n = lf ? (size_t)(lf - (in + i)) + 1 : len - i;
	if (!head_append(p, in + i, n)) {
		/* Too long for a head: scan what we have as raw bytes. */
		error(p);
		to_raw(p);
		return i;
	}
	i += n;
	if (!p->classified) {
		enum judgement j = classify(p->head, p->head_len);

		if (j == NO) {
			not_http(p);
			return i;
		}
		p->classified = j == YES;
		if (!p->classified)
			return i;
		p->line_begin = p->head_len; /* the start line is complete */
		return i;
	}
	if (lf) {
		size_t line = p->head_len - p->line_begin;

		if (line == 1 || (line == 2 && p->head[p->line_begin] == '\r'))
			head_done(p);
		else
			p->line_begin = p->head_len;
	}
	return i;
}

static void body_out(struct cs_http *p, const uint8_t *b, size_t n)
{
	if (n)
		p->cb.body(p->cb.ctx, b, n);
}

static void sink_body(void *ctx, const uint8_t *b, size_t n)
{
	body_out(ctx, b, n);
}

static void sink_trailer(void *ctx, const uint8_t *b, size_t n)
{
	struct cs_http *p = ctx;

	p->cb.trailer(p->cb.ctx, b, n);
}

static size_t chunked_bytes(struct cs_http *p, const uint8_t *in, size_t len)
{
	const struct cs_sink body = {sink_body, p}, trailer = {sink_trailer, p};
	size_t used = cs_chunked_feed(&p->chunked, in, len, &body, &trailer);

	if (p->chunked.status == CS_CHUNKED_DONE) {
		p->cb.end(p->cb.ctx, true);
		new_message(p);
	} else if (p->chunked.status == CS_CHUNKED_ERROR) {
		error(p);
		p->cb.end(p->cb.ctx, false);
		to_raw(p);
	}
	return used;
}

/* Does the start of a raw line look like the start of a message? */
static enum judgement signature(const uint8_t *b, size_t n)
{
	enum judgement best = NO;
	size_t k;

	for (size_t i = 0; methods[i]; i++) {
		k = strlen(methods[i]);
		if (!memcmp(b, methods[i], n < k ? n : k))
			best = n >= k ? YES : MAYBE;
		if (best == YES)
			return YES;
	}
	k = n < 7 ? n : 7;
	if (!memcmp(b, "HTTP/1.", k))
		return n >= 7 ? YES : MAYBE;
	return best;
}

/* Raw bytes; at each line start, check for a message starting there. */
static size_t raw_bytes(struct cs_http *p, const uint8_t *in, size_t len)
{
	const uint8_t *lf;
	size_t n;

	if (p->state == ST_TUNNEL) {
		raw_out(p, in, len);
		return len;
	}
	if (p->at_line_start) {
		enum judgement j;

		p->sig[p->sig_len++] = in[0];
		j = signature(p->sig, p->sig_len);
		if (j == MAYBE)
			return 1;
		p->at_line_start = false;
		if (j == YES) {
			raw_close(p);
			new_message(p);
			if (!head_append(p, p->sig, p->sig_len))
				to_raw(p);
			p->sig_len = 0;
			return 1;
		}
		raw_out(p, p->sig, p->sig_len);
		p->sig_len = 0;
		return 1;
	}
	lf = memchr(in, '\n', len);
	n = lf ? (size_t)(lf - in) + 1 : len;
	raw_out(p, in, n);
	p->at_line_start = lf != NULL;
	return n;
}

static size_t step(struct cs_http *p, const uint8_t *in, size_t len)
{
	size_t n;

	switch (p->state) {
	case ST_HEAD:
		return head_bytes(p, in, len);
	case ST_LENGTH:
		n = len < p->remaining ? len : (size_t)p->remaining;
		body_out(p, in, n);
		p->remaining -= n;
		if (!p->remaining) {
			p->cb.end(p->cb.ctx, true);
			new_message(p);
		}
		return n;
	case ST_CHUNKED:
		return chunked_bytes(p, in, len);
	case ST_CLOSE:
		body_out(p, in, len);
		return len;
	default:
		return raw_bytes(p, in, len);
	}
}

void cs_http_feed(struct cs_http *p, const uint8_t *in, size_t len)
{
	size_t i = 0;

	while (i < len)
		i += step(p, in + i, len - i);
}

/* Whatever was open ends here, cut short; what was buffered is scanned raw. */
static void abandon(struct cs_http *p)
{
	switch (p->state) {
	case ST_HEAD:
		if (p->head_len && p->classified)
			error(p);
		raw_out(p, p->head, p->head_len);
		p->head_len = 0;
		break;
	case ST_LENGTH:
	case ST_CHUNKED:
		error(p);
		p->cb.end(p->cb.ctx, false);
		break;
	case ST_CLOSE:
		p->cb.end(p->cb.ctx, true);
		break;
	default:
		raw_out(p, p->sig, p->sig_len);
		p->sig_len = 0;
		break;
	}
	raw_close(p);
}

void cs_http_gap(struct cs_http *p, size_t lost)
{
	if ((p->state == ST_LENGTH && lost < p->remaining) || p->state == ST_CLOSE ||
	    (p->state == ST_CHUNKED && cs_chunked_skip(&p->chunked, lost))) {
		/* Still in step with the framing: only the body has a hole. */
		if (p->state == ST_LENGTH)
			p->remaining -= lost;
		p->cb.body_gap(p->cb.ctx);
		return;
	}
	if (p->state == ST_TUNNEL) {
		raw_close(p);
		return;
	}
	abandon(p);
	p->state = ST_RAW;
	p->at_line_start = false;
	p->classified = false;
}

void cs_http_tunnel(struct cs_http *p)
{
	abandon(p);
	p->state = ST_TUNNEL;
}

void cs_http_opaque(struct cs_http *p)
{
	p->state = ST_TUNNEL;
}

void cs_http_finish(struct cs_http *p)
{
	abandon(p);
	new_message(p);
}
