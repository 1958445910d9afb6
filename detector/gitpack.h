/* SPDX-License-Identifier: MIT */
/*
 * gitpack.h - streaming decoding of a git smart-HTTP push body
 * (`POST .../git-receive-pack`, application/x-git-receive-pack-request):
 * pkt-lines carrying the ref update commands, a flush-pkt, then a packfile
 * whose objects are zlib-deflated, some as deltas.
 *
 * What comes out: the text of the command pkt-lines, and the inflated
 * content of each commit, tree, blob and tag, one part per object. A delta
 * (OFS_DELTA or REF_DELTA) is not applied: its base may be far back in the
 * pack or only on the server. The bytes it inserts (what the push adds to
 * the base: a new line holding a key) are handed on, one part per run of
 * inserted bytes; the bytes it copies from its base are counted in
 * `copied`, not decoded (the base itself was scanned when it was in the
 * pack).
 *
 * Bounds: at most out_limit inflated bytes per pack; every object must be
 * inflated to find the next one, so past the limit the rest of the pack is
 * counted in unscanned and decoding stops. Malformed input (a bad pkt-line
 * length, a pack version other than 2 or 3, corrupt zlib data, a reserved
 * delta instruction) stops decoding too: counted in errors, the rest in
 * unscanned.
 *
 * Memory: a zlib inflate state (about 44 KiB) and a few words.
 */
#ifndef CLAWSEC_GITPACK_H
#define CLAWSEC_GITPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "decode.h"

struct cs_gitpack_sink {
	cs_sink_fn data;	/* command text, object content, inserted delta bytes */
	void (*end)(void *ctx); /* the current part ended */
	void *ctx;
};

struct cs_gitpack {
	int state;
	uint8_t hdr[20]; /* pkt-line length, pack header, object header, base id */
	size_t hdr_len, need;
	size_t pkt_left;  /* pkt-line payload bytes left */
	uint32_t objects; /* objects left in the pack */
	unsigned type;	  /* of the current object */
	unsigned shift;	  /* object header / delta varint being read */
	uint64_t varint;
	int dstate;	  /* delta instruction state */
	size_t op_left;	  /* delta: bytes left of the current copy or insert instruction */
	uint8_t copy_op;  /* delta: the copy instruction whose argument bytes are read */
	unsigned copy_at; /* ... and the next of its 7 argument bits */
	uint32_t copy_size;
	z_stream zs;
	bool z_init;
	size_t out_total, out_limit;
	bool done; /* stopped: the rest is counted, not decoded */
	/* Counters since the caller last took them. */
	uint64_t errors, truncated, unscanned, copied, objects_seen, deltas;
};

void cs_gitpack_init(struct cs_gitpack *g, size_t out_limit);
void cs_gitpack_feed(struct cs_gitpack *g, const uint8_t *in, size_t len,
		     const struct cs_gitpack_sink *out);
/* The body ended: a pack cut short is an error. */
void cs_gitpack_finish(struct cs_gitpack *g, const struct cs_gitpack_sink *out);
void cs_gitpack_free(struct cs_gitpack *g);

#endif
