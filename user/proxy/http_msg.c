/* SPDX-License-Identifier: MIT */
/* http_msg.c - HTTP/1.1 message framing for the proxy (see http_msg.h). */
#include "http_msg.h"

#include "decode.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HM_LINE_MAX 8192 /* chunk-size and trailer lines */
#define HM_TRAILERS_MAX 64
#define HM_LENGTH_MAX (UINT64_C(1) << 62)

size_t hm_head_end(const char *p, size_t n, size_t *scan)
{
	size_t i = *scan > 3 ? *scan - 3 : 0;

	for (; i < n; i++) {
		if (p[i] != '\n')
			continue;
		/*
		 * A bare LF can never become a valid head: end it there so that the
		 * parser refuses it now (400) instead of the client waiting for the
		 * header timeout.
		 */
		if (!i || p[i - 1] != '\r')
			return i + 1;
		if (i >= 3 && p[i - 2] == '\n' && p[i - 3] == '\r')
			return i + 1;
	}
	*scan = n;
	return 0;
}

/* One header line split into name and trimmed value, both pointing into the head. */
struct hline {
	const char *name, *value;
	size_t nlen, vlen;
};

static bool is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Next CRLF-terminated line from *pos; false at the end or on a bare LF/CR. */
static bool next_line(const char *p, size_t n, size_t *pos, const char **line, size_t *len)
{
	const char *s = p + *pos;
	const char *e = memchr(s, '\n', n - *pos);

	if (!e || e == s || e[-1] != '\r')
		return false;
	*line = s;
	*len = (size_t)(e - 1 - s);
	*pos = (size_t)(e + 1 - p);
	return memchr(s, '\r', *len) == NULL;
}

static int split_header(const char *l, size_t len, struct hline *h)
{
	const char *colon = memchr(l, ':', len);
	const char *v, *e = l + len;

	if (!colon || colon == l)
		return -1;
	for (const char *c = l; c < colon; c++)
		if (!is_tchar((unsigned char)*c))
			return -1; /* also refuses "Name :" and obs-fold */
	v = colon + 1;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	for (const char *c = v; c < e; c++)
		if (*c == '\0')
			return -1;
	h->name = l;
	h->nlen = (size_t)(colon - l);
	h->value = v;
	h->vlen = (size_t)(e - v);
	return 0;
}

static bool name_is(const struct hline *h, const char *name)
{
	return h->nlen == strlen(name) && !strncasecmp(h->name, name, h->nlen);
}

/* How many elements of a comma-separated value are `tok` (case-insensitive)? */
static unsigned count_token(const char *v, size_t len, const char *tok)
{
	size_t tl = strlen(tok);
	unsigned n = 0;

	for (size_t i = 0; i < len;) {
		size_t j = i;

		while (j < len && v[j] != ',')
			j++;
		size_t a = i, b = j;

		while (a < b && (v[a] == ' ' || v[a] == '\t'))
			a++;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (b - a == tl && !strncasecmp(v + a, tok, tl))
			n++;
		i = j + 1;
	}
	return n;
}

static bool has_token(const char *v, size_t len, const char *tok)
{
	return count_token(v, len, tok) > 0;
}

/* Is the last coding of a Transfer-Encoding value "chunked"? */
static bool last_is_chunked(const char *v, size_t len)
{
	const char *c = v + len;

	while (c > v && c[-1] != ',')
		c--;
	while (c < v + len && (*c == ' ' || *c == '\t'))
		c++;
	return (size_t)(v + len - c) == 7 && !strncasecmp(c, "chunked", 7);
}

static int parse_length(const char *v, size_t len, uint64_t *out)
{
	uint64_t x = 0;

	if (!len || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > HM_LENGTH_MAX)
		return -1;
	*out = x;
	return 0;
}

/* Framing headers shared by requests and responses. */
struct framing {
	bool te, te_chunked, cl, conn_close, conn_keep;
	unsigned chunked; /* "chunked" codings over every Transfer-Encoding header */
	uint64_t length;
};

static int note_framing(const struct hline *h, struct framing *f)
{
	uint64_t v;

	if (name_is(h, "Transfer-Encoding")) {
		f->te = true;
		f->te_chunked = last_is_chunked(h->value, h->vlen);
		/* Chunked twice ("chunked, chunked", or in two headers): parsers disagree
		 * on where such a body ends, the smuggling shape the others are. */
		f->chunked += count_token(h->value, h->vlen, "chunked");
		if (f->chunked > 1)
			return -1;
	} else if (name_is(h, "Content-Length")) {
		if (parse_length(h->value, h->vlen, &v) || (f->cl && v != f->length))
			return -1;
		f->cl = true;
		f->length = v;
	} else if (name_is(h, "Connection") || name_is(h, "Proxy-Connection")) {
		f->conn_close |= has_token(h->value, h->vlen, "close");
		f->conn_keep |= has_token(h->value, h->vlen, "keep-alive");
	}
	return 0;
}

/* host[:port] or [v6][:port] into r->host / r->port. */
static int parse_authority(const char *a, size_t len, uint16_t defport, struct hm_request *r)
{
	const char *hs = a, *he, *colon = NULL;
	unsigned long port = defport;

	if (!len)
		return -1;
	if (*a == '[') {
		he = memchr(a, ']', len);
		if (!he)
			return -1;
		hs = a + 1;
		if ((size_t)(he + 1 - a) < len) {
			if (he[1] != ':')
				return -1;
			colon = he + 1;
		}
	} else {
		colon = memchr(a, ':', len);
		he = colon ? colon : a + len;
	}
	if (colon) {
		char num[8];
		size_t nl = (size_t)(a + len - colon - 1);
		char *end;

		if (!nl || nl >= sizeof(num))
			return -1;
		memcpy(num, colon + 1, nl);
		num[nl] = '\0';
		port = strtoul(num, &end, 10);
		if (*end || !isdigit((unsigned char)num[0]) || !port || port > 65535)
			return -1;
	}
	if (he == hs || (size_t)(he - hs) >= sizeof(r->host))
		return -1;
	for (const char *c = hs; c < he; c++)
		if (!isalnum((unsigned char)*c) && (!*c || !strchr("-._:~%", *c)))
			return -1;
	memcpy(r->host, hs, (size_t)(he - hs));
	r->host[he - hs] = '\0';
	r->port = (uint16_t)port;
	return 0;
}

/* "METHOD SP target SP HTTP/1.x": 0, or an HTTP status. */
static int parse_request_line(const char *l, size_t len, struct hm_request *r, const char **path,
			      size_t *plen, int *minor)
{
	const char *sp1 = memchr(l, ' ', len), *sp2, *t;
	size_t tl;

	if (!sp1 || sp1 == l || (size_t)(sp1 - l) >= sizeof(r->method))
		return 400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(l + len - sp1 - 1));
	if (!sp2 || l + len - sp2 != 9 || strncmp(sp2 + 1, "HTTP/1.", 7) ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return 400;
	*minor = sp2[8] - '0';
	for (const char *c = l; c < sp1; c++)
		if (!is_tchar((unsigned char)*c))
			return 400;
	memcpy(r->method, l, (size_t)(sp1 - l));
	r->method[sp1 - l] = '\0';
	t = sp1 + 1;
	tl = (size_t)(sp2 - t);
	for (size_t i = 0; i < tl; i++)
		if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] == 0x7f)
			return 400; /* control bytes are never part of a request target */
	r->connect = !strcmp(r->method, "CONNECT");
	r->head = !strcmp(r->method, "HEAD");
	if (r->connect)
		return parse_authority(t, tl, 0, r) || !r->port ? 400 : 0;
	if (tl < 8 || strncasecmp(t, "http://", 7))
		return tl >= 8 && !strncasecmp(t, "https://", 8) ? 501 : 400;
	t += 7;
	tl -= 7;
	*path = memchr(t, '/', tl);
	const char *q = memchr(t, '?', tl);

	if (q && (!*path || q < *path))
		*path = q;
	if (parse_authority(t, *path ? (size_t)(*path - t) : tl, 80, r))
		return 400;
	*plen = *path ? (size_t)(t + tl - *path) : 0;
	return 0;
}

static size_t put(char *out, size_t cap, size_t at, const char *s, size_t n)
{
	if (at + n <= cap)
		memcpy(out + at, s, n);
	return at + n;
}

static size_t put_host(char *out, size_t cap, size_t at, const struct hm_request *r)
{
	char tmp[HM_HOST_MAX + 32];
	bool v6 = strchr(r->host, ':') != NULL;
	int n;

	if (r->port == 80)
		n = snprintf(tmp, sizeof(tmp), v6 ? "[%s]" : "%s", r->host);
	else
		n = snprintf(tmp, sizeof(tmp), v6 ? "[%s]:%u" : "%s:%u", r->host, r->port);
	return put(out, cap, at, tmp, (size_t)n);
}

int hm_parse_request(const char *p, size_t n, struct hm_request *r, char *out, size_t outcap,
		     size_t *outlen)
{
	struct framing f = {0};
	const char *line, *path = NULL;
	size_t len, pos = 0, plen = 0, o = 0;
	bool has_host = false;
	int minor, st;

	memset(r, 0, sizeof(*r));
	if (!next_line(p, n, &pos, &line, &len))
		return 400;
	st = parse_request_line(line, len, r, &path, &plen, &minor);
	if (st)
		return st;
	if (!r->connect) {
		o = put(out, outcap, o, r->method, strlen(r->method));
		o = put(out, outcap, o, " ", 1);
		o = path ? put(out, outcap, o, path, plen) : put(out, outcap, o, "/", 1);
		o = put(out, outcap, o, minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n", 11);
	}
	while (next_line(p, n, &pos, &line, &len) && len) {
		struct hline h;

		if (split_header(line, len, &h) || note_framing(&h, &f))
			return 400;
		if (name_is(&h, "Host"))
			has_host = true;
		if (name_is(&h, "Proxy-Connection") || name_is(&h, "Proxy-Authorization"))
			continue; /* meant for us, not for the origin */
		o = put(out, outcap, o, line, len + 2);
	}
	if (pos != n)
		return 400; /* a bare LF or CR somewhere in the head */
	if (f.te && (f.cl || !f.te_chunked || !minor))
		return 400; /* ambiguous framing: the classic smuggling vector */
	r->body = f.te ? HM_BODY_CHUNKED : f.cl && f.length ? HM_BODY_LENGTH : HM_BODY_NONE;
	r->length = f.length;
	r->keep_alive = minor ? !f.conn_close : f.conn_keep && !f.conn_close;
	if (r->connect)
		return 0;
	if (!has_host) {
		o = put(out, outcap, o, "Host: ", 6);
		o = put_host(out, outcap, o, r);
		o = put(out, outcap, o, "\r\n", 2);
	}
	o = put(out, outcap, o, "\r\n", 2);
	if (o > outcap)
		return 431;
	*outlen = o;
	return 0;
}

int hm_parse_response(const char *p, size_t n, bool head_req, struct hm_response *r)
{
	struct framing f = {0};
	const char *line;
	size_t len, pos = 0;
	int minor;

	memset(r, 0, sizeof(*r));
	if (!next_line(p, n, &pos, &line, &len) || len < 12 || strncmp(line, "HTTP/1.", 7) ||
	    (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
	    !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
	    !isdigit((unsigned char)line[11]) || (len > 12 && line[12] != ' '))
		return -1;
	minor = line[7] - '0';
	r->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	if (r->status < 100)
		return -1;
	while (next_line(p, n, &pos, &line, &len) && len) {
		struct hline h;

		if (split_header(line, len, &h) || note_framing(&h, &f))
			return -1;
	}
	if (pos != n)
		return -1;
	r->keep_alive = minor ? !f.conn_close : f.conn_keep && !f.conn_close;
	if (head_req || r->status < 200 || r->status == 204 || r->status == 304) {
		r->body = HM_BODY_NONE;
	} else if (f.te) {
		r->body = f.te_chunked ? HM_BODY_CHUNKED : HM_BODY_EOF;
	} else if (f.cl) {
		r->body = f.length ? HM_BODY_LENGTH : HM_BODY_NONE;
		r->length = f.length;
	} else {
		r->body = HM_BODY_EOF;
	}
	if (r->body == HM_BODY_EOF)
		r->keep_alive = false;
	return 0;
}

enum {
	B_DONE = 0,
	B_LENGTH,
	B_EOF,
	B_CSIZE,    /* hex digits of a chunk size */
	B_CEXT,	    /* chunk extension, up to CR */
	B_CSIZE_LF, /* LF after the size line */
	B_CDATA,
	B_CDATA_CR,
	B_CDATA_LF,
	B_TRAILER, /* start of a trailer line (or the final blank line) */
	B_TLINE,   /* inside a trailer line */
	B_TLINE_LF,
	B_END_LF, /* LF of the final blank line */
};

void hm_body_start(struct hm_body_state *b, enum hm_body kind, uint64_t length)
{
	memset(b, 0, sizeof(*b));
	switch (kind) {
	case HM_BODY_LENGTH:
		b->state = length ? B_LENGTH : B_DONE;
		b->remaining = length;
		break;
	case HM_BODY_CHUNKED:
		b->state = B_CSIZE;
		break;
	case HM_BODY_EOF:
		b->state = B_EOF;
		break;
	default:
		b->state = B_DONE;
	}
}

bool hm_body_done(const struct hm_body_state *b)
{
	return b->state == B_DONE;
}

/* One byte of chunked framing outside chunk data; 0 or -1. */
static int chunk_byte(struct hm_body_state *b, char c)
{
	if (++b->line_len > HM_LINE_MAX)
		return -1;
	switch (b->state) {
	case B_CSIZE:
		if (cs_hexval((uint8_t)c) >= 0 && b->ndigits < 15) {
			b->remaining = b->remaining * 16 + (uint64_t)cs_hexval((uint8_t)c);
			b->ndigits++;
			return 0;
		}
		if (!b->ndigits || (c != '\r' && c != ';' && c != ' ' && c != '\t'))
			return -1;
		b->state = c == '\r' ? B_CSIZE_LF : B_CEXT;
		return 0;
	case B_CEXT:
		if (c == '\n' || c == '\0')
			return -1;
		if (c == '\r')
			b->state = B_CSIZE_LF;
		return 0;
	case B_CSIZE_LF:
		if (c != '\n')
			return -1;
		b->line_len = 0;
		b->state = b->remaining ? B_CDATA : B_TRAILER;
		return 0;
	case B_CDATA_CR:
		b->state = B_CDATA_LF;
		return c == '\r' ? 0 : -1;
	case B_CDATA_LF:
		b->line_len = 0;
		b->ndigits = 0;
		b->state = B_CSIZE;
		return c == '\n' ? 0 : -1;
	case B_TRAILER:
		if (c == '\r') {
			b->state = B_END_LF;
			return 0;
		}
		if (c == '\n' || ++b->trailer_lines > HM_TRAILERS_MAX)
			return -1;
		b->state = B_TLINE;
		return 0;
	case B_TLINE:
		if (c == '\n' || c == '\0')
			return -1;
		if (c == '\r')
			b->state = B_TLINE_LF;
		return 0;
	case B_TLINE_LF:
		b->line_len = 0;
		b->state = B_TRAILER;
		return c == '\n' ? 0 : -1;
	case B_END_LF:
		b->state = B_DONE;
		return c == '\n' ? 0 : -1;
	}
	return -1;
}

ssize_t hm_body_feed(struct hm_body_state *b, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && b->state != B_DONE) {
		if (b->state == B_EOF)
			return (ssize_t)n;
		if (b->state == B_LENGTH || b->state == B_CDATA) {
			size_t take = n - i < b->remaining ? n - i : (size_t)b->remaining;

			i += take;
			b->remaining -= take;
			if (!b->remaining)
				b->state = b->state == B_LENGTH ? B_DONE : B_CDATA_CR;
			continue;
		}
		if (chunk_byte(b, p[i++]))
			return -1;
	}
	return (ssize_t)i;
}
