// SPDX-License-Identifier: MIT
/* probe_site.c - move a uprobe off its entry onto an instruction the kernel emulates
 * (probe_site.h). */
#include "probe_site.h"

#include <capstone/capstone.h>
#include <stdbool.h>

#define MAX_SKIPPED 3

/* What arch/x86/kernel/uprobes.c emulates: push reg, jmp/jcc/call rel, nop. */
static bool emulated(const cs_insn *in)
{
	const uint8_t *b = in->bytes;

	if (in->id == X86_INS_NOP)
		return true;
	if (in->size == 1 && b[0] >= 0x50 && b[0] <= 0x57)
		return true; /* push %rax..%rdi */
	if (in->size == 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57)
		return true; /* push %r8..%r15 */
	if (b[0] == 0xe8 || b[0] == 0xe9 || b[0] == 0xeb || (b[0] >= 0x70 && b[0] <= 0x7f))
		return true; /* call, jmp, jcc (rel8/rel32) */
	return in->size == 6 && b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f; /* jcc rel32 */
}

/* Sets flags and nothing else (its memory operand, if any, is only read). */
static bool flags_only(const cs_insn *in)
{
	return in->id == X86_INS_ENDBR64 || in->id == X86_INS_CMP || in->id == X86_INS_TEST;
}

size_t cs_probe_site(const uint8_t *code, size_t n)
{
	uint64_t addr = 0;
	size_t site = 0;
	cs_insn *in;
	csh h;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 0;
	in = cs_malloc(h);
	for (int k = 0; in && k <= MAX_SKIPPED; k++) {
		size_t at = (size_t)addr;

		if (!cs_disasm_iter(h, &code, &n, &addr, in))
			break;
		if (emulated(in)) {
			site = at;
			break;
		}
		if (!flags_only(in))
			break;
	}
	cs_free(in, 1);
	cs_close(&h);
	return site;
}
