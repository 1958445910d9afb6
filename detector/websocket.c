// SPDX-License-Identifier: MIT
/* websocket.c - streaming WebSocket frame decoding: unmasking, fragments, permessage-deflate. */
#include "websocket.h"

#include <string.h>

#include "headfield.h"

#define OUT_CHUNK 16384
#define UNMASK_CHUNK 4096

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

void cs_ws_init(struct cs_ws *w, bool deflate, bool no_takeover, size_t out_limit)
{
	memset(w, 0, sizeof(*w));
	w->deflate = deflate;
	w->no_takeover = no_takeover;
	w->out_limit = out_limit;
	w->hdr_need = 2;
}

void cs_ws_free(struct cs_ws *w)
{
	if (w->z_init)
		inflateEnd(&w->zs);
	w->z_init = false;
}

/* The rest of a compressed message is not decoded; a shared window is lost with it. */
static void stop_message(struct cs_ws *w)
{
	w->skip = true;
	if (w->compressed && !w->no_takeover)
		w->z_broken = true;
}

static void emit_limited(struct cs_ws *w, const uint8_t *p, size_t n, const struct cs_ws_sink *out)
{
	size_t room = w->out_limit - w->out_msg;

	if (n > room) {
		n = room;
		w->truncated++;
		stop_message(w);
	}
	if (n && out->data)
		out->data(out->ctx, p, n);
	w->out_msg += n;
}

/* Inflate compressed payload bytes; what cannot be decoded is counted. */
static void inflate_bytes(struct cs_ws *w, const uint8_t *p, size_t n, const struct cs_ws_sink *out)
{
	if (!w->z_init) {
		memset(&w->zs, 0, sizeof(w->zs));
		if (inflateInit2(&w->zs, -15) != Z_OK) {
			w->errors++;
			w->z_broken = true;
			w->skip = true;
			w->unscanned += n;
			return;
		}
		w->z_init = true;
	}
	w->zs.next_in = (Bytef *)p;
	w->zs.avail_in = (uInt)n;
	while (!w->skip) {
		uint8_t buf[OUT_CHUNK];
		uInt in_before = w->zs.avail_in;
		int rc;

		w->zs.next_out = buf;
		w->zs.avail_out = sizeof(buf);
		rc = inflate(&w->zs, Z_SYNC_FLUSH);
		emit_limited(w, buf, sizeof(buf) - w->zs.avail_out, out);
		if (rc == Z_OK && w->zs.avail_out == sizeof(buf) && w->zs.avail_in == in_before)
			break; /* no progress: wait for more input */
		if (rc == Z_STREAM_END) {
			inflateReset(&w->zs); /* a final block: the next message starts afresh */
			if (!w->zs.avail_in)
				break;
		} else if (rc == Z_BUF_ERROR ||
			   (rc == Z_OK && w->zs.avail_out && !w->zs.avail_in)) {
			break; /* needs more input */
		} else if (rc != Z_OK) {
			w->errors++;
			stop_message(w);
		}
	}
	w->unscanned += w->zs.avail_in;
}

static void payload(struct cs_ws *w, const uint8_t *p, size_t n, const struct cs_ws_sink *out)
{
	uint8_t buf[UNMASK_CHUNK];

	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);
		const uint8_t *q = p;

		if (w->masked) {
			for (size_t i = 0; i < k; i++)
				buf[i] = p[i] ^ w->mask[(w->mask_at + i) & 3];
			w->mask_at = (w->mask_at + (unsigned)k) & 3;
			q = buf;
		}
		if (w->opcode >= OP_CLOSE) {
			if (out->control)
				out->control(out->ctx, q, k);
		} else if (w->skip) {
			w->unscanned += k;
		} else if (w->compressed) {
			inflate_bytes(w, q, k, out);
		} else if (out->data) {
			out->data(out->ctx, q, k);
		}
		p += k;
		n -= k;
	}
}

static void frame_end(struct cs_ws *w, const struct cs_ws_sink *out)
{
	static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};

	w->hdr_len = 0;
	w->hdr_need = 2;
	if (w->opcode >= OP_CLOSE || !w->fin)
		return;
	if (w->compressed && !w->skip)
		inflate_bytes(w, tail, sizeof(tail), out);
	if (w->compressed && w->z_init && (w->no_takeover || w->skip))
		inflateReset(&w->zs);
	if (out->end)
		out->end(out->ctx);
	w->in_message = false;
}

/* Is this frame header allowed here? Opens a message for a text or binary frame. */
static bool frame_ok(struct cs_ws *w, bool rsv1, unsigned rsv23, uint64_t len)
{
	if (rsv23 || (len >> 63))
		return false;
	switch (w->opcode) {
	case OP_CLOSE:
	case OP_PING:
	case OP_PONG:
		return w->fin && len <= 125 && !rsv1;
	case OP_CONT:
		return w->in_message && !rsv1;
	case OP_TEXT:
	case OP_BINARY:
		if (w->in_message || (rsv1 && !w->deflate))
			return false;
		w->in_message = true;
		w->compressed = rsv1;
		w->skip = rsv1 && w->z_broken;
		w->errors += w->skip; /* its window is gone */
		w->out_msg = 0;
		return true;
	default:
		return false;
	}
}

/* The header is complete: its length, mask and rules. */
static void header_done(struct cs_ws *w, const struct cs_ws_sink *out)
{
	const uint8_t *h = w->hdr;
	unsigned len7 = h[1] & 0x7f, at = 2;
	uint64_t len = len7;

	if (len7 == 126) {
		len = (uint64_t)h[2] << 8 | h[3];
		at = 4;
	} else if (len7 == 127) {
		len = 0;
		for (at = 2; at < 10; at++)
			len = len << 8 | h[at];
	}
	w->fin = h[0] & 0x80;
	w->opcode = h[0] & 0x0f;
	if (!frame_ok(w, h[0] & 0x40, h[0] & 0x30, len)) {
		w->failed = true;
		w->errors++;
		return;
	}
	if (w->masked)
		memcpy(w->mask, h + at, 4);
	w->mask_at = 0;
	w->left = len;
	if (!len)
		frame_end(w, out);
}

size_t cs_ws_feed(struct cs_ws *w, const uint8_t *in, size_t len, const struct cs_ws_sink *out)
{
	size_t i = 0;

	while (i < len && !w->failed) {
		if (w->hdr_len < w->hdr_need) {
			w->hdr[w->hdr_len++] = in[i++];
			if (w->hdr_len == 2) {
				unsigned len7 = w->hdr[1] & 0x7f;

				w->masked = w->hdr[1] & 0x80;
				w->hdr_need = 2 +
					      (len7 == 126   ? 2
					       : len7 == 127 ? 8
							     : 0) +
					      (w->masked ? 4 : 0);
			}
			if (w->hdr_len == w->hdr_need)
				header_done(w, out);
			continue;
		}
		size_t k = len - i < w->left ? len - i : (size_t)w->left;

		payload(w, in + i, k, out);
		i += k;
		w->left -= k;
		if (!w->left)
			frame_end(w, out);
	}
	return i;
}

/* ---- the upgrade ---- */

/* One frame header at p (n bytes there): its size and payload length; MAYBE if cut, NO if malformed. */
static enum cs_ws_guess guess_header(const uint8_t *p, size_t n, bool client, size_t *hl,
				     uint64_t *len)
{
	uint8_t op;

	if (n < 2)
		return CS_WS_MAYBE;
	op = p[0] & 0x0f;
	if ((p[0] & 0x30) || (op > 2 && op < 8) || op > 10 || ((p[0] & 0x40) && op >= 8) ||
	    !(p[1] & 0x80) != !client)
		return CS_WS_NO;
	*len = p[1] & 0x7f;
	*hl = 2;
	if (*len >= 126) {
		size_t k = *len == 126 ? 2 : 8;

		if (n < 2 + k)
			return CS_WS_MAYBE;
		*len = 0;
		for (size_t i = 0; i < k; i++)
			*len = *len << 8 | p[2 + i];
		/* The minimal encoding only, and a 63-bit length. */
		if ((k == 2 && *len < 126) || (k == 8 && (*len < 65536 || *len >> 63)))
			return CS_WS_NO;
		*hl += k;
	}
	if (op >= 8 && (!(p[0] & 0x80) || *len > 125))
		return CS_WS_NO;
	*hl += client ? 4 : 0;
	return n < *hl ? CS_WS_MAYBE : CS_WS_YES;
}

enum cs_ws_guess cs_ws_recognise(const uint8_t *p, size_t n, bool client, bool *deflate)
{
	size_t at = 0, hl = 0;
	uint64_t len = 0;

	*deflate = false;
	for (unsigned k = 0; k < CS_WS_RECOGNISE_FRAMES; k++) {
		enum cs_ws_guess g = guess_header(p + at, n - at, client, &hl, &len);

		if (g != CS_WS_YES)
			return g;
		*deflate |= (p[at] & 0x40) != 0;
		if (k + 1 == CS_WS_RECOGNISE_FRAMES)
			break;
		if (len > n - at - hl)
			return CS_WS_MAYBE;
		at += hl + (size_t)len;
	}
	return CS_WS_YES;
}

bool cs_ws_upgrade(const uint8_t *head, size_t len, bool *deflate, bool no_takeover[2])
{
	const uint8_t *v;
	size_t vlen, pos = 0;
	bool ws = false;

	*deflate = false;
	no_takeover[0] = no_takeover[1] = false;
	while (cs_head_next_field(head, len, &pos, "upgrade", &v, &vlen))
		ws |= cs_head_has_word(v, vlen, "websocket");
	if (!ws)
		return false;
	pos = 0;
	while (cs_head_next_field(head, len, &pos, "sec-websocket-extensions", &v, &vlen)) {
		if (!cs_head_has_word(v, vlen, "permessage-deflate"))
			continue;
		*deflate = true;
		no_takeover[0] |= cs_head_has_word(v, vlen, "client_no_context_takeover");
		no_takeover[1] |= cs_head_has_word(v, vlen, "server_no_context_takeover");
	}
	return true;
}
