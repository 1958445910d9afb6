// SPDX-License-Identifier: MIT
/* http2.c - streaming HTTP/2 frame decoding with HPACK (libnghttp2's inflater). */
#include "http2.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "headfield.h"

enum {
	F_DATA = 0,
	F_HEADERS = 1,
	F_RST_STREAM = 3,
	F_PUSH_PROMISE = 5,
	F_PING = 6,
	F_GOAWAY = 7,
	F_CONTINUATION = 9,
};
/* GOAWAY: last stream id and error code before the debug data. */
#define GOAWAY_FIXED 8
enum { FL_END_STREAM = 0x1, FL_END_HEADERS = 0x4, FL_PADDED = 0x8, FL_PRIORITY = 0x20 };

/* The dynamic table size a peer may announce; 4 KiB is the default. */
#define HPACK_TABLE_MAX 65536

/* ---- the inflater's memory, capped ---- */

struct blk {
	size_t size;
	max_align_t align[];
};

static struct blk *blk_of(void *p)
{
	return (struct blk *)((char *)p - offsetof(struct blk, align));
}

static void *hp_malloc(size_t size, void *ud)
{
	struct cs_h2 *h = ud;
	struct blk *b;

	if (size > CS_H2_HPACK_MAX_MEM - h->hd_mem)
		return NULL;
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->size = size;
	h->hd_mem += size;
	return b->align;
}

static void hp_free(void *p, void *ud)
{
	struct cs_h2 *h = ud;

	if (!p)
		return;
	h->hd_mem -= blk_of(p)->size;
	free(blk_of(p));
}

static void *hp_calloc(size_t n, size_t size, void *ud)
{
	void *p;

	if (size && n > CS_H2_HPACK_MAX_MEM / size)
		return NULL;
	p = hp_malloc(n * size, ud);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static void *hp_realloc(void *p, size_t size, void *ud)
{
	struct cs_h2 *h = ud;
	struct blk *b, *nb;

	if (!p)
		return hp_malloc(size, ud);
	b = blk_of(p);
	if (size > b->size && size - b->size > CS_H2_HPACK_MAX_MEM - h->hd_mem)
		return NULL;
	nb = realloc(b, sizeof(*nb) + size);
	if (!nb)
		return NULL;
	h->hd_mem = h->hd_mem - nb->size + size;
	nb->size = size;
	return nb->align;
}

bool cs_h2_upgrade(const uint8_t *head, size_t len)
{
	const uint8_t *v;
	size_t vlen, pos = 0;

	while (cs_head_next_field(head, len, &pos, "upgrade", &v, &vlen))
		if (cs_head_has_word(v, vlen, "h2c"))
			return true;
	return false;
}

int cs_h2_init(struct cs_h2 *h, bool client)
{
	memset(h, 0, sizeof(*h));
	h->preface_left = client ? CS_H2_PREFACE_LEN : 0;
	h->mem = (nghttp2_mem){h, hp_malloc, hp_free, hp_calloc, hp_realloc};
	if (nghttp2_hd_inflate_new2(&h->hd, &h->mem) != 0)
		return -1;
	if (nghttp2_hd_inflate_change_table_size(h->hd, HPACK_TABLE_MAX) != 0) {
		cs_h2_free(h);
		return -1;
	}
	return 0;
}

void cs_h2_free(struct cs_h2 *h)
{
	if (h->hd)
		nghttp2_hd_inflate_del(h->hd);
	h->hd = NULL;
}

/* ---- streams ---- */

static struct cs_h2_stream *stream_find(struct cs_h2 *h, uint32_t id)
{
	for (unsigned i = 0; i < CS_H2_STREAMS; i++)
		if (h->streams[i].id == id)
			return &h->streams[i];
	return NULL;
}

/* A slot for a stream, the oldest one reused when all are taken. */
static struct cs_h2_stream *stream_new(struct cs_h2 *h, uint32_t id)
{
	struct cs_h2_stream *st = &h->streams[h->next_slot++ % CS_H2_STREAMS];

	memset(st, 0, sizeof(*st));
	st->id = id;
	return st;
}

static struct cs_h2_stream *stream_get(struct cs_h2 *h, uint32_t id)
{
	struct cs_h2_stream *st = stream_find(h, id);

	return st ? st : stream_new(h, id);
}

/* A field value, lower case, up to `stop` (';' for a media type), spaces trimmed. */
static void copy_value(char *dst, size_t cap, const uint8_t *v, size_t n, char stop)
{
	size_t k = 0;

	for (size_t i = 0; i < n && v[i] != (uint8_t)stop && k + 1 < cap; i++)
		if (v[i] != ' ' && v[i] != '\t')
			dst[k++] = (char)tolower(v[i]);
	dst[k] = 0;
}

static void field(struct cs_h2 *h, const nghttp2_nv *nv, const struct cs_h2_sink *out)
{
	struct cs_h2_stream *st = h->block_st;

	if (out->field)
		out->field(out->ctx, nv->name, nv->namelen, nv->value, nv->valuelen);
	if (!st)
		return;
	if (nv->namelen == 12 && !memcmp(nv->name, "content-type", 12))
		copy_value(st->content_type, sizeof(st->content_type), nv->value, nv->valuelen,
			   ';');
	else if (nv->namelen == 16 && !memcmp(nv->name, "content-encoding", 16))
		copy_value(st->content_encoding, sizeof(st->content_encoding), nv->value,
			   nv->valuelen, 0);
}

/* Header block bytes; `final` at the end of the block. */
static void hpack(struct cs_h2 *h, const uint8_t *p, size_t n, bool final,
		  const struct cs_h2_sink *out)
{
	if (h->hd_failed) {
		h->unscanned += n;
		return;
	}
	for (;;) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(h->hd, &nv, &fl, p, n, final);

		if (rv < 0) {
			/* The dynamic table is lost with the block: later blocks cannot be read. */
			h->hd_failed = true;
			h->errors++;
			h->unscanned += n;
			return;
		}
		if (rv) {
			p += rv;
			n -= (size_t)rv;
		}
		if (fl & NGHTTP2_HD_INFLATE_EMIT)
			field(h, &nv, out);
		if (fl & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(h->hd);
			return;
		}
		if (!(fl & NGHTTP2_HD_INFLATE_EMIT) && !n)
			return;
	}
}

/* ---- frames ---- */

static void fail(struct cs_h2 *h)
{
	h->failed = true;
	h->errors++;
}

static bool is_block(uint8_t type)
{
	return type == F_HEADERS || type == F_PUSH_PROMISE || type == F_CONTINUATION;
}

static void frame_begin(struct cs_h2 *h)
{
	const uint8_t *f = h->fh;
	bool padded;

	h->len = (uint32_t)f[0] << 16 | (uint32_t)f[1] << 8 | f[2];
	h->type = f[3];
	h->flags = f[4];
	h->stream = ((uint32_t)f[5] << 24 | (uint32_t)f[6] << 16 | (uint32_t)f[7] << 8 | f[8]) &
		    0x7fffffffu;
	h->pos = h->pad = h->skip = 0;
	padded = (h->flags & FL_PADDED) &&
		 (h->type == F_DATA || h->type == F_HEADERS || h->type == F_PUSH_PROMISE);
	if (h->block_open != (h->type == F_CONTINUATION) ||
	    (h->type == F_CONTINUATION && h->stream != h->block_stream)) {
		fail(h);
		return;
	}
	h->skip = padded + (h->type == F_HEADERS && (h->flags & FL_PRIORITY) ? 5 : 0) +
		  (h->type == F_PUSH_PROMISE ? 4 : 0);
	if (h->skip > h->len) {
		fail(h);
		return;
	}
	if (h->type == F_HEADERS || h->type == F_PUSH_PROMISE) {
		h->block_open = true;
		h->block_stream = h->stream;
		h->block_end_stream = h->type == F_HEADERS && (h->flags & FL_END_STREAM);
		h->block_st = h->type == F_HEADERS ? stream_new(h, h->stream) : NULL;
	}
}

/* Free bytes with no HTTP meaning: a peer may carry anything in them. */
static void opaque(const uint8_t *p, size_t n, const struct cs_h2_sink *out)
{
	if (n && out->opaque)
		out->opaque(out->ctx, p, n);
}

static void content(struct cs_h2 *h, const uint8_t *p, size_t n, const struct cs_h2_sink *out)
{
	if (h->type > F_CONTINUATION || h->type == F_PING) {
		opaque(p, n, out);
	} else if (h->type == F_GOAWAY) {
		size_t fixed = h->pos < GOAWAY_FIXED ? GOAWAY_FIXED - h->pos : 0;

		if (n > fixed)
			opaque(p + fixed, n - fixed, out);
	} else if (h->type == F_DATA) {
		struct cs_h2_stream *st = stream_get(h, h->stream);

		if (out->data)
			out->data(out->ctx, st, p, n);
		st->data_seen += n;
	} else if (is_block(h->type)) {
		hpack(h, p, n, false, out);
	}
}

/* Returns the bytes used: all of them unless the frame turned out malformed. */
static size_t payload(struct cs_h2 *h, const uint8_t *p, size_t n, const struct cs_h2_sink *out)
{
	size_t used = 0;

	while (n && !h->failed) {
		size_t t, end;

		if (h->pos < h->skip) {
			if (h->pos == 0 && (h->flags & FL_PADDED))
				h->pad = p[0];
			t = n < h->skip - h->pos ? n : h->skip - h->pos;
			h->pos += (uint32_t)t;
			if (h->pos == h->skip && h->skip + h->pad > h->len)
				fail(h);
		} else {
			end = h->len - h->pad;
			t = h->pos < end ? (n < end - h->pos ? n : end - h->pos) : n;
			if (h->pos < end)
				content(h, p, t, out);
			else
				opaque(p, t, out); /* padding */
			h->pos += (uint32_t)t;
		}
		p += t;
		n -= t;
		used += t;
	}
	return used;
}

static void frame_end(struct cs_h2 *h, const struct cs_h2_sink *out)
{
	static const struct cs_h2_stream none;

	h->fh_len = 0;
	if (is_block(h->type) && (h->flags & FL_END_HEADERS)) {
		hpack(h, NULL, 0, true, out);
		h->block_open = false;
		if (out->block_end)
			out->block_end(out->ctx, h->block_st ? h->block_st : &none);
		if (h->block_end_stream && out->stream_end)
			out->stream_end(out->ctx, h->block_stream);
	} else if ((h->type == F_DATA && (h->flags & FL_END_STREAM)) || h->type == F_RST_STREAM) {
		if (out->stream_end)
			out->stream_end(out->ctx, h->stream);
	}
}

size_t cs_h2_feed(struct cs_h2 *h, const uint8_t *in, size_t len, const struct cs_h2_sink *out)
{
	size_t i = 0;

	while (i < len && !h->failed) {
		if (h->preface_left) {
			if (in[i] != (uint8_t)CS_H2_PREFACE[CS_H2_PREFACE_LEN - h->preface_left]) {
				fail(h);
				break;
			}
			i++;
			h->preface_left--;
			continue;
		}
		if (h->fh_len < sizeof(h->fh)) {
			h->fh[h->fh_len++] = in[i++];
			if (h->fh_len == sizeof(h->fh)) {
				frame_begin(h);
				if (!h->failed && !h->len)
					frame_end(h, out);
			}
			continue;
		}
		size_t k = len - i < h->len - h->pos ? len - i : h->len - h->pos;

		i += payload(h, in + i, k, out);
		if (!h->failed && h->pos == h->len)
			frame_end(h, out);
	}
	return i;
}
