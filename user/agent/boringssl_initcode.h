/* SPDX-License-Identifier: MIT */
/*
 * boringssl_initcode.h - BoringSSL AEAD tables filled by init code, and the
 * byte helpers the finder's modules share. Internal to user/agent.
 */
#ifndef CLAWSEC_BORINGSSL_INITCODE_H
#define CLAWSEC_BORINGSSL_INITCODE_H

#include <stdint.h>
#include <string.h>

#include "elfimg.h"

#define CS_BSSL_SLOTS 12 /* 8-byte words of the larger (96-byte) table */

/* A method table as far as it is known: its address and its words (0: unknown). */
struct cs_bssl_table {
	uint64_t vaddr;
	uint64_t slot[CS_BSSL_SLOTS];
};

static inline uint64_t cs_bssl_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline int32_t cs_bssl_le32s(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* key_len, nonce_len, overhead, max_tag_len of AES-GCM or ChaCha20-Poly1305. */
static inline int cs_bssl_is_header(const uint8_t *p)
{
	return (p[0] == 0x10 || p[0] == 0x20) && p[1] == 0x0c && p[2] == 0x10 && p[3] == 0x10;
}

/*
 * The table that init code fills when the header bytes at vaddr (inside the
 * executable load l) are the immediate of its header store:
 *  - movl $hdr,X(%rip) (c7 05 disp32 hdr; Bun 1.3/1.4), or its movq form;
 *  - movabs $hdr|extra<<32,%reg (Bun 1.1/1.2), then mov %reg,X(%rip).
 * Returns 1 with t->vaddr = X and the words stored into X..X+0x60 by the
 * instructions that follow, or 0.
 */
int cs_bssl_init_table(const struct cs_elfimg *img, const struct cs_elfimg_load *l, uint64_t vaddr,
		       struct cs_bssl_table *t);

#endif
