// SPDX-License-Identifier: MIT
/*
 * gorets.c - Read's RETs by linear decoding. Go's compiler emits no data in
 * text and pads between functions with INT3, so a linear sweep from a
 * pclntab entry to the next entry visits every instruction; capstone (a
 * complete x86-64 decoder) is used rather than a hand-written length decoder.
 * Anything unexpected refuses the function: a uprobe in the middle of an
 * instruction would corrupt the traced process.
 */
#include "gorets.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* A direct jump whose target is outside [start, end): a tail call, a return without RET. */
static bool jumps_out(const cs_insn *in, uint64_t start, uint64_t end)
{
	const cs_x86 *x = &in->detail->x86;

	if (in->id != X86_INS_JMP)
		return false;
	if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return true; /* an indirect jump: cannot tell where it goes */
	return (uint64_t)x->operands[0].imm < start || (uint64_t)x->operands[0].imm >= end;
}

static int sweep(csh h, const uint8_t *code, const struct cs_go_func *f, uint64_t *rets,
		 unsigned int *n, char *why, size_t why_len)
{
	size_t left = f->end - f->vaddr;
	uint64_t addr = f->vaddr;
	cs_insn *in = cs_malloc(h);
	int e = 0;

	if (!in)
		return -ENOMEM;
	while (left && !e) {
		if (!cs_disasm_iter(h, &code, &left, &addr, in)) {
			snprintf(why, why_len, "Read: no instruction at +0x%llx",
				 (unsigned long long)(addr - f->vaddr));
			e = -ENOENT;
		} else if (jumps_out(in, f->vaddr, f->end)) {
			snprintf(why, why_len, "Read: jump out at +0x%llx",
				 (unsigned long long)(in->address - f->vaddr));
			e = -ENOENT;
		} else if (in->id == X86_INS_RET) {
			if (*n == CS_GO_MAX_RETS || in->size != 1) {
				snprintf(why, why_len, "Read: unexpected return at +0x%llx",
					 (unsigned long long)(in->address - f->vaddr));
				e = -ENOENT;
			} else {
				rets[(*n)++] = f->offset + (in->address - f->vaddr);
			}
		}
	}
	cs_free(in, 1);
	return e;
}

int cs_gorets_find(const struct cs_elfimg *img, const struct cs_go_func *f, uint64_t *rets,
		   unsigned int *n, char *why, size_t why_len)
{
	uint64_t len = f->end - f->vaddr;
	uint8_t *code;
	csh h;
	int e;

	*n = 0;
	if (!len || len > CS_GO_MAX_FUNC) {
		snprintf(why, why_len, "Read: %llu bytes long", (unsigned long long)len);
		return -ENOENT;
	}
	code = malloc(len);
	if (!code)
		return -ENOMEM;
	e = cs_elfimg_read(img, f->offset, code, len);
	if (!e && cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		e = -ENOMEM;
	if (!e) {
		cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
		e = sweep(h, code, f, rets, n, why, why_len);
		cs_close(&h);
	}
	free(code);
	if (!e && !*n) {
		snprintf(why, why_len, "Read: no RET");
		e = -ENOENT;
	}
	if (e)
		*n = 0;
	return e;
}
