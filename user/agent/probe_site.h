/* SPDX-License-Identifier: MIT */
/*
 * probe_site.h - where in a function its uprobe costs least.
 *
 * On x86-64 the kernel emulates a few instructions at a uprobe's breakpoint
 * (push of a register, a relative jmp/jcc/call, nop) and executes every
 * other one out of line with a single-step trap. On the 2-vCPU VMs this
 * project runs on, a single-stepped hit costs ~21 µs against ~0.55 µs for an
 * emulated one (docs/capture.md, "Cost"): Debian's libssl SSL_write starts
 * with `sub $0x18,%rsp`, Go's functions with their stack check `cmp`,
 * SSL_free with a NULL test.
 *
 * cs_probe_site() looks at the first bytes of a function and returns how far
 * past its entry the probe may go instead: over instructions that only set
 * flags (endbr64, cmp, test), to the first instruction the kernel emulates.
 * Those change no register, no memory and not the stack pointer, so an entry
 * program reads the same arguments there and a return probe still finds the
 * return address at the top of the stack. 0 when there is no such place (the
 * entry itself, as before). The bytes skipped are decoded from the proven
 * entry, so the site is always an instruction boundary.
 */
#ifndef CLAWSEC_PROBE_SITE_H
#define CLAWSEC_PROBE_SITE_H

#include <stddef.h>
#include <stdint.h>

/* Longest prologue looked at; callers read this many bytes (or fewer at EOF). */
#define CS_PROBE_SITE_BYTES 32

size_t cs_probe_site(const uint8_t *code, size_t n);

#endif
