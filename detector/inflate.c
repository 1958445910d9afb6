// SPDX-License-Identifier: MIT
/* inflate.c - bounded streaming gzip / deflate (zlib), brotli and zstd decoding. */
#include "inflate.h"

#include <stdlib.h>
#include <string.h>

#define OUT_CHUNK 16384

void cs_inflate_init(struct cs_inflate *z, enum cs_coding coding, size_t out_limit)
{
	memset(z, 0, sizeof(*z));
	z->coding = coding;
	z->out_limit = out_limit;
}

/* A zlib header: CM 8, window <= 32 KiB, header checksum a multiple of 31. */
static bool zlib_header(const uint8_t h[2])
{
	return (h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 && ((h[0] << 8) | h[1]) % 31 == 0;
}

/* The brotli decoder allocates through these, so its memory has a ceiling. */
struct br_block {
	size_t size;
	max_align_t align[];
};

static void *br_alloc(void *opaque, size_t size)
{
	struct cs_inflate *z = opaque;
	struct br_block *b;

	if (size > CS_BROTLI_MAX_MEM - z->br_mem)
		return NULL;
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->size = size;
	z->br_mem += size;
	return b->align;
}

static void br_free(void *opaque, void *p)
{
	struct cs_inflate *z = opaque;
	struct br_block *b;

	if (!p)
		return;
	b = (struct br_block *)((char *)p - offsetof(struct br_block, align));
	z->br_mem -= b->size;
	free(b);
}

static int start_zstd(struct cs_inflate *z)
{
	z->zd = ZSTD_createDCtx();
	if (!z->zd)
		return -1;
	if (ZSTD_isError(
		    ZSTD_DCtx_setParameter(z->zd, ZSTD_d_windowLogMax, CS_ZSTD_WINDOW_LOG_MAX))) {
		ZSTD_freeDCtx(z->zd);
		z->zd = NULL;
		return -1;
	}
	z->started = true;
	z->magic_left = 4;
	return 0;
}

static int start(struct cs_inflate *z)
{
	int wbits;

	if (z->coding == CS_CODING_BROTLI) {
		z->br = BrotliDecoderCreateInstance(br_alloc, br_free, z);
		z->started = z->br != NULL;
		return z->br ? 0 : -1;
	}
	if (z->coding == CS_CODING_GZIP)
		wbits = 15 + 32; /* gzip or zlib, detected by zlib */
	else
		wbits = zlib_header(z->head) ? 15 : -15;
	if (inflateInit2(&z->zs, wbits) != Z_OK)
		return -1;
	z->started = true;
	return 0;
}

/* Emit what zlib produced, honouring the limit. */
static bool emit(struct cs_inflate *z, const uint8_t *buf, size_t n, const struct cs_sink *out)
{
	size_t room = z->out_limit - z->out_total;

	if (n > room) {
		cs_sink_put(out, buf, room);
		z->out_total += room;
		z->status = CS_INFLATE_LIMIT;
		return false;
	}
	cs_sink_put(out, buf, n);
	z->out_total += n;
	return true;
}

/*
 * After a gzip member ends another member may follow (concatenated gzip),
 * possibly in the next feed; anything else ends the stream.
 */
static void member_end(struct cs_inflate *z)
{
	if (z->coding != CS_CODING_GZIP) {
		z->status = CS_INFLATE_DONE;
		return;
	}
	z->between_members = true;
}

static void next_member(struct cs_inflate *z)
{
	if (z->zs.next_in[0] == 0x1f && inflateReset(&z->zs) == Z_OK)
		z->between_members = false;
	else
		z->status = CS_INFLATE_DONE;
}

static void run(struct cs_inflate *z, const uint8_t *in, size_t len, const struct cs_sink *out)
{
	uint8_t buf[OUT_CHUNK];

	z->zs.next_in = (Bytef *)in;
	z->zs.avail_in = (uInt)len;
	while (z->status == CS_INFLATE_MORE && (z->zs.avail_in || z->zs.avail_out == 0)) {
		int rc;

		if (z->between_members) {
			if (!z->zs.avail_in)
				break;
			next_member(z);
			continue;
		}

		z->zs.next_out = buf;
		z->zs.avail_out = sizeof(buf);
		rc = inflate(&z->zs, Z_NO_FLUSH);
		if (!emit(z, buf, sizeof(buf) - z->zs.avail_out, out))
			break;
		if (rc == Z_STREAM_END)
			member_end(z);
		else if (rc == Z_BUF_ERROR && z->zs.avail_out)
			break; /* needs more input */
		else if (rc != Z_OK)
			z->status = CS_INFLATE_ERROR;
	}
}

/* Brotli: returns the input bytes used. */
static size_t run_brotli(struct cs_inflate *z, const uint8_t *in, size_t len,
			 const struct cs_sink *out)
{
	const uint8_t *next_in = in;
	size_t avail_in = len;

	while (z->status == CS_INFLATE_MORE) {
		uint8_t buf[OUT_CHUNK], *next_out = buf;
		size_t avail_out = sizeof(buf);
		BrotliDecoderResult r = BrotliDecoderDecompressStream(z->br, &avail_in, &next_in,
								      &avail_out, &next_out, NULL);

		if (!emit(z, buf, sizeof(buf) - avail_out, out))
			break;
		if (r == BROTLI_DECODER_RESULT_SUCCESS)
			z->status = CS_INFLATE_DONE;
		else if (r == BROTLI_DECODER_RESULT_ERROR)
			z->status = CS_INFLATE_ERROR;
		else if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
			break;
	}
	return len - avail_in;
}

/*
 * Each frame must open with the zstd magic or a skippable frame's: the
 * library also decodes legacy (v0.5-v0.7) frames, whose decoders do not
 * honour the window cap, so they are refused before it sees them.
 */
static bool magic_ok(struct cs_inflate *z, const uint8_t *p, size_t n)
{
	static const uint8_t zstd1[4] = {0x28, 0xb5, 0x2f, 0xfd},
			     skip[4] = {0x50, 0x2a, 0x4d, 0x18};

	for (size_t i = 0; i < n && i < z->magic_left; i++) {
		size_t at = 4 - z->magic_left + i;
		uint8_t c = p[i];

		if (at == 0)
			z->skippable = (c & 0xf0) == 0x50;
		if (z->skippable ? (at ? c != skip[at] : false) : c != zstd1[at])
			return false;
	}
	return true;
}

/*
 * zstd: returns the input bytes used. Frames may follow each other; the
 * stream is complete when the last one ended.
 */
static size_t run_zstd(struct cs_inflate *z, const uint8_t *in, size_t len,
		       const struct cs_sink *out)
{
	ZSTD_inBuffer ib = {in, len, 0};

	while (z->status == CS_INFLATE_MORE && (ib.pos < ib.size || !z->between_members)) {
		uint8_t buf[OUT_CHUNK];
		ZSTD_outBuffer ob = {buf, sizeof(buf), 0};
		size_t before = ib.pos, rc;

		if (!magic_ok(z, in + ib.pos, ib.size - ib.pos)) {
			z->status = CS_INFLATE_ERROR;
			break;
		}
		rc = ZSTD_decompressStream(z->zd, &ob, &ib);
		z->magic_left -= ib.pos - before < z->magic_left ? ib.pos - before : z->magic_left;
		if (ZSTD_isError(rc)) {
			z->status = CS_INFLATE_ERROR;
			break;
		}
		if (!emit(z, buf, ob.pos, out))
			break;
		z->between_members = rc == 0;
		if (rc == 0)
			z->magic_left = 4; /* the next frame's */
		if (ob.pos < ob.size && ib.pos == ib.size)
			break; /* needs more input */
	}
	return ib.pos;
}

enum cs_inflate_status cs_inflate_feed(struct cs_inflate *z, const uint8_t *in, size_t len,
				       const struct cs_sink *out, size_t *consumed)
{
	size_t used = 0;

	if (consumed)
		*consumed = 0;
	if (z->status != CS_INFLATE_MORE)
		return z->status;
	if (z->coding == CS_CODING_ZSTD) {
		if (!z->started && start_zstd(z) < 0)
			z->status = CS_INFLATE_ERROR;
		else
			used = run_zstd(z, in, len, out);
		if (consumed)
			*consumed = used;
		return z->status;
	}
	if (z->coding == CS_CODING_BROTLI) {
		if (!z->started && start(z) < 0)
			z->status = CS_INFLATE_ERROR;
		else
			used = run_brotli(z, in, len, out);
		if (consumed)
			*consumed = used;
		return z->status;
	}
	if (!z->started) {
		/* Two bytes tell zlib from raw deflate; keep them until we have both. */
		while (z->head_len < 2 && used < len)
			z->head[z->head_len++] = in[used++];
		if (z->head_len < 2) {
			if (consumed)
				*consumed = used;
			return z->status;
		}
		if (start(z) < 0) {
			z->status = CS_INFLATE_ERROR;
			return z->status;
		}
		run(z, z->head, 2, out);
	}
	if (z->status == CS_INFLATE_MORE && used < len) {
		size_t chunk_len = len - used;

		run(z, in + used, chunk_len, out);
		used += chunk_len - z->zs.avail_in;
	}
	if (consumed)
		*consumed = used;
	return z->status;
}

bool cs_inflate_complete(const struct cs_inflate *z)
{
	return z->status == CS_INFLATE_DONE || z->between_members;
}

void cs_inflate_end(struct cs_inflate *z)
{
	if (z->br)
		BrotliDecoderDestroyInstance(z->br);
	else if (z->zd)
		ZSTD_freeDCtx(z->zd);
	else if (z->started)
		inflateEnd(&z->zs);
	z->br = NULL;
	z->zd = NULL;
	z->started = false;
}
