// SPDX-License-Identifier: MIT
/* gitpack.c - streaming decoding of a git receive-pack request: pkt-lines, packfile, deltas. */
#include "gitpack.h"

#include <string.h>

#define OUT_CHUNK 16384

enum { S_PKT_LEN, S_PKT_DATA, S_PACK_HDR, S_OBJ_HDR, S_OFS, S_REF, S_ZLIB, S_TRAILER };
enum { D_SRC_SIZE, D_DST_SIZE, D_OP, D_COPY_ARGS, D_INSERT };
enum { T_OFS_DELTA = 6, T_REF_DELTA = 7 };

void cs_gitpack_init(struct cs_gitpack *g, size_t out_limit)
{
	memset(g, 0, sizeof(*g));
	g->state = S_PKT_LEN;
	g->need = 4;
	g->out_limit = out_limit;
}

void cs_gitpack_free(struct cs_gitpack *g)
{
	if (g->z_init)
		inflateEnd(&g->zs);
	g->z_init = false;
}

/* Decoding ends at the first stop: one error per body, however the input was split. */
static void stop(struct cs_gitpack *g, bool error)
{
	if (!g->done)
		g->errors += error;
	g->done = true;
}

static void part_end(const struct cs_gitpack_sink *out)
{
	if (out->end)
		out->end(out->ctx);
}

static void emit(const struct cs_gitpack_sink *out, const uint8_t *p, size_t n)
{
	if (n && out->data)
		out->data(out->ctx, p, n);
}

/* ---- deltas: inserted bytes are handed on, copied ones counted ---- */

static void delta_byte(struct cs_gitpack *g, uint8_t b, const struct cs_gitpack_sink *out)
{
	switch (g->dstate) {
	case D_SRC_SIZE:
	case D_DST_SIZE:
		if (!(b & 0x80))
			g->dstate++;
		break;
	case D_OP:
		if (b & 0x80) {
			g->copy_op = b;
			g->copy_at = 0;
			g->copy_size = 0;
			g->dstate = D_COPY_ARGS;
		} else if (b) {
			g->op_left = b;
			g->dstate = D_INSERT;
			return;
		} else {
			stop(g, true); /* reserved instruction */
			return;
		}
		break;
	case D_COPY_ARGS:
		/* bits 0-3: offset bytes, 4-6: size bytes, in that order */
		while (g->copy_at < 7 && !(g->copy_op & (1u << g->copy_at)))
			g->copy_at++;
		if (g->copy_at >= 4)
			g->copy_size |= (uint32_t)b << (8 * (g->copy_at - 4));
		g->copy_at++;
		break;
	default:
		break;
	}
	if (g->dstate == D_COPY_ARGS) {
		while (g->copy_at < 7 && !(g->copy_op & (1u << g->copy_at)))
			g->copy_at++;
		if (g->copy_at == 7) {
			g->copied += g->copy_size ? g->copy_size : 0x10000;
			g->dstate = D_OP;
			part_end(out); /* a hole in what is scanned: nothing matches across it */
		}
	}
}

static void delta_bytes(struct cs_gitpack *g, const uint8_t *p, size_t n,
			const struct cs_gitpack_sink *out)
{
	while (n && !g->done) {
		if (g->dstate == D_INSERT) {
			size_t k = n < g->op_left ? n : g->op_left;

			emit(out, p, k);
			g->op_left -= k;
			p += k;
			n -= k;
			if (!g->op_left)
				g->dstate = D_OP;
			continue;
		}
		delta_byte(g, *p++, out);
		n--;
	}
}

/* ---- objects ---- */

static bool is_delta(const struct cs_gitpack *g)
{
	return g->type == T_OFS_DELTA || g->type == T_REF_DELTA;
}

static void object_out(struct cs_gitpack *g, const uint8_t *p, size_t n,
		       const struct cs_gitpack_sink *out)
{
	if (is_delta(g))
		delta_bytes(g, p, n, out);
	else
		emit(out, p, n);
}

static void object_done(struct cs_gitpack *g, const struct cs_gitpack_sink *out)
{
	part_end(out);
	g->objects_seen++;
	g->deltas += is_delta(g);
	inflateReset(&g->zs);
	g->state = --g->objects ? S_OBJ_HDR : S_TRAILER;
	g->shift = 0;
}

/* Inflate the current object; returns the input bytes used. */
static size_t inflate_object(struct cs_gitpack *g, const uint8_t *in, size_t len,
			     const struct cs_gitpack_sink *out)
{
	if (!g->z_init) {
		if (inflateInit(&g->zs) != Z_OK) {
			stop(g, true);
			return 0;
		}
		g->z_init = true;
	}
	g->zs.next_in = (Bytef *)in;
	g->zs.avail_in = (uInt)len;
	while (!g->done && g->state == S_ZLIB) {
		uint8_t buf[OUT_CHUNK];
		size_t made, room = g->out_limit - g->out_total;
		int rc;

		g->zs.next_out = buf;
		g->zs.avail_out = sizeof(buf);
		rc = inflate(&g->zs, Z_NO_FLUSH);
		made = sizeof(buf) - g->zs.avail_out;
		if (made > room) {
			object_out(g, buf, room, out);
			g->out_total += room;
			/* a delta error in those bytes stopped it first: not a limit hit */
			g->truncated += !g->done;
			stop(g, false);
			break;
		}
		object_out(g, buf, made, out);
		g->out_total += made;
		if (rc == Z_STREAM_END)
			object_done(g, out);
		else if (rc == Z_BUF_ERROR || (rc == Z_OK && g->zs.avail_out && !g->zs.avail_in))
			break; /* needs more input */
		else if (rc != Z_OK)
			stop(g, true);
	}
	return len - g->zs.avail_in;
}

static void pkt_len_done(struct cs_gitpack *g)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int d = cs_hexval(g->hdr[i]);

		if (d < 0) {
			stop(g, true);
			return;
		}
		v = v << 4 | (unsigned)d;
	}
	if (v == 0) {
		g->state = S_PACK_HDR; /* flush-pkt: the pack follows */
		g->need = 12;
	} else if (v == 1) {
		g->need = 4; /* delim-pkt */
	} else if (v < 4) {
		stop(g, true);
	} else {
		g->pkt_left = v - 4;
		g->state = v > 4 ? S_PKT_DATA : S_PKT_LEN;
		g->need = 4;
	}
}

static void pack_hdr_done(struct cs_gitpack *g)
{
	const uint8_t *h = g->hdr;
	uint32_t version = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];

	if (memcmp(h, "PACK", 4) || (version != 2 && version != 3)) {
		stop(g, true);
		return;
	}
	g->objects = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 | (uint32_t)h[10] << 8 | h[11];
	g->state = g->objects ? S_OBJ_HDR : S_TRAILER;
	g->shift = 0;
}

static void to_zlib(struct cs_gitpack *g)
{
	g->state = S_ZLIB;
	g->dstate = D_SRC_SIZE;
}

/* One byte of framing: pkt-line lengths, the pack header, object headers. */
static void header_byte(struct cs_gitpack *g, uint8_t b)
{
	switch (g->state) {
	case S_OBJ_HDR:
		if (g->shift == 0) {
			g->type = (b >> 4) & 7;
			if (g->type == 0 || g->type == 5) {
				stop(g, true);
				return;
			}
		}
		g->shift += g->shift ? 7 : 4;
		if (b & 0x80)
			return;
		if (g->type == T_OFS_DELTA) {
			g->state = S_OFS;
		} else if (g->type == T_REF_DELTA) {
			g->state = S_REF;
			g->hdr_len = 0;
			g->need = 20;
		} else {
			to_zlib(g);
		}
		return;
	case S_OFS:
		if (!(b & 0x80))
			to_zlib(g);
		return;
	default:
		g->hdr[g->hdr_len++] = b;
		if (g->hdr_len < g->need)
			return;
		g->hdr_len = 0;
		if (g->state == S_PKT_LEN)
			pkt_len_done(g);
		else if (g->state == S_PACK_HDR)
			pack_hdr_done(g);
		else if (g->state == S_REF)
			to_zlib(g);
		return;
	}
}

void cs_gitpack_feed(struct cs_gitpack *g, const uint8_t *in, size_t len,
		     const struct cs_gitpack_sink *out)
{
	size_t i = 0;

	while (i < len && !g->done) {
		if (g->state == S_PKT_DATA) {
			size_t k = len - i < g->pkt_left ? len - i : g->pkt_left;

			emit(out, in + i, k);
			g->pkt_left -= k;
			i += k;
			if (!g->pkt_left) {
				part_end(out);
				g->state = S_PKT_LEN;
			}
		} else if (g->state == S_ZLIB) {
			i += inflate_object(g, in + i, len - i, out);
		} else if (g->state == S_TRAILER) {
			i = len; /* the pack's checksum */
		} else {
			header_byte(g, in[i++]);
		}
	}
	g->unscanned += len - i;
}

void cs_gitpack_finish(struct cs_gitpack *g, const struct cs_gitpack_sink *out)
{
	/* A body of commands only (a ref deletion) has no pack. */
	bool complete = g->state == S_TRAILER || (g->state == S_PKT_LEN && g->hdr_len == 0) ||
			(g->state == S_PACK_HDR && g->hdr_len == 0);

	if (!g->done && !complete)
		g->errors++;
	part_end(out);
}
