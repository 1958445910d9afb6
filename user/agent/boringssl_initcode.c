// SPDX-License-Identifier: MIT
/*
 * boringssl_initcode.c - AEAD tables that init code fills at first use (the
 * AES-GCM ones of Bun, in .bss): from the header store, decode the stores
 * that follow. Only the few instruction forms such code uses are decoded; the
 * first other instruction ends the window, so no byte is ever interpreted
 * out of the instruction stream that starts at the header store.
 */
#include "boringssl_initcode.h"

#include <string.h>

#define INIT_WINDOW 192	  /* bytes of init code decoded after the header store */
#define INIT_MAX_INSNS 24 /* ... at most this many instructions */

/* Register state of the init-code decoder: a known 64-bit value or not. */
struct regs {
	uint64_t val[16];
	uint16_t known;
};

static void set_reg(struct regs *r, unsigned int reg, uint64_t v)
{
	r->val[reg] = v;
	r->known |= (uint16_t)(1u << reg);
}

/* Record a 64-bit store of v at target into table t (X = t->vaddr, or unset). */
static void store(struct cs_bssl_table *t, uint64_t target, uint64_t v)
{
	if (!t->vaddr && cs_bssl_is_header((const uint8_t *)&v) && (v >> 32) <= 1)
		t->vaddr = target; /* movabs $hdr,%reg; mov %reg,X(%rip) (Bun 1.1/1.2) */
	if (t->vaddr && target >= t->vaddr && target - t->vaddr < CS_BSSL_SLOTS * 8 &&
	    !((target - t->vaddr) % 8))
		t->slot[(target - t->vaddr) / 8] = v;
}

/*
 * Decode one instruction of the forms init code uses to fill a table, at
 * p[0..len) (virtual address ip). Returns its length, 0 for anything else.
 */
static unsigned int init_insn(const uint8_t *p, size_t len, uint64_t ip, struct regs *r,
			      struct cs_bssl_table *t)
{
	unsigned int rex_r, reg;

	if (len >= 11 && p[0] == 0x48 && p[1] == 0xc7 && p[2] == 0x05) { /* movq $imm32,d(%rip) */
		store(t, ip + 11 + (int64_t)cs_bssl_le32s(p + 3),
		      (uint64_t)(int64_t)cs_bssl_le32s(p + 7));
		return 11;
	}
	if (len >= 10 && (p[0] & 0xf6) == 0x40 && p[0] & 8 && (p[1] & 0xf8) == 0xb8) {
		set_reg(r, (p[1] & 7) | (p[0] & 1) << 3,
			cs_bssl_le64(p + 2)); /* movabs $imm64,%reg */
		return 10;
	}
	if (len >= 7 && (p[0] == 0x48 || p[0] == 0x4c) && (p[2] & 0xc7) == 0x05) {
		rex_r = p[0] == 0x4c ? 8 : 0;
		reg = ((p[2] >> 3) & 7) | rex_r;
		if (p[1] == 0x8d) { /* lea d(%rip),%reg */
			set_reg(r, reg, ip + 7 + (int64_t)cs_bssl_le32s(p + 3));
			return 7;
		}
		if (p[1] == 0x89) { /* mov %reg,d(%rip) */
			if (r->known & (1u << reg))
				store(t, ip + 7 + (int64_t)cs_bssl_le32s(p + 3), r->val[reg]);
			return 7;
		}
		return 0;
	}
	/* zeroing that compilers put around the stores: xorps, movups, vmovups */
	if (len >= 3 && p[0] == 0x0f && p[1] == 0x57 && p[2] == 0xc0)
		return 3;
	if (len >= 7 && p[0] == 0x0f && p[1] == 0x11 && (p[2] & 0xc7) == 0x05)
		return 7;
	if (len >= 4 && p[0] == 0xc5 && (p[1] == 0xf8 || p[1] == 0xfc) && p[2] == 0x57 &&
	    p[3] == 0xc0)
		return 4;
	if (len >= 8 && p[0] == 0xc5 && (p[1] == 0xf8 || p[1] == 0xfc) && p[2] == 0x11 &&
	    (p[3] & 0xc7) == 0x05)
		return 8;
	return 0;
}

/* See boringssl_initcode.h. */
int cs_bssl_init_table(const struct cs_elfimg *img, const struct cs_elfimg_load *l, uint64_t vaddr,
		       struct cs_bssl_table *t)
{
	uint8_t b[8 + INIT_WINDOW];
	uint64_t start = vaddr - 8, ip, avail;
	struct regs r = {.known = 0};
	size_t pos;

	memset(t, 0, sizeof(*t));
	if (vaddr - l->vaddr < 8)
		return 0;
	avail = l->filesz - (start - l->vaddr);
	if (cs_elfimg_vread(img, start, b, avail < sizeof(b) ? avail : sizeof(b)))
		return 0;
	if (avail < sizeof(b))
		memset(b + avail, 0, sizeof(b) - avail);
	if (b[1] != 0x66 && b[2] == 0xc7 && b[3] == 0x05) { /* movl $hdr,X(%rip) */
		t->vaddr = vaddr + 4 + (int64_t)cs_bssl_le32s(b + 4);
		t->slot[0] = cs_bssl_le64(b + 8) & 0xffffffff;
		pos = 12;
	} else if ((b[6] == 0x48 || b[6] == 0x49) && (b[7] & 0xf8) == 0xb8) {
		set_reg(&r, (b[7] & 7) | (b[6] & 1) << 3, cs_bssl_le64(b + 8));
		pos = 16;
	} else {
		return 0;
	}
	ip = start + pos;
	for (int i = 0; i < INIT_MAX_INSNS && pos < sizeof(b); i++) {
		unsigned int n = init_insn(b + pos, sizeof(b) - pos, ip, &r, t);

		if (!n)
			break;
		pos += n;
		ip += n;
	}
	return t->vaddr != 0;
}
