// SPDX-License-Identifier: MIT
/*
 * probe_site: the uprobe moves past flag-only instructions to one the kernel
 * emulates, and never elsewhere. The byte strings are the prologues met in
 * the binaries the agent probes (Debian's libssl and libgnutls, Node, Go).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "probe_site.h"

#define SITE(...)                                          \
	({                                                 \
		static const uint8_t c_[] = {__VA_ARGS__}; \
		cs_probe_site(c_, sizeof(c_));             \
	})

static void emulated_entry_stays(void **state)
{
	(void)state;
	assert_int_equal(SITE(0x55, 0x48, 0x89, 0xe5), 0); /* node SSL_write: push %rbp */
	assert_int_equal(SITE(0x41, 0x57, 0x41, 0x56), 0); /* gnutls_record_send2: push %r15 */
	assert_int_equal(SITE(0xe9, 0x00, 0x00, 0x00, 0x00), 0); /* jmp rel32 */
}

static void flag_only_prologue_is_skipped(void **state)
{
	(void)state;
	/* SSL_free, gnutls_deinit: test %rdi,%rdi; je ... */
	assert_int_equal(SITE(0x48, 0x85, 0xff, 0x74, 0x16, 0x41, 0x55), 3);
	/* Go: cmp 0x10(%r14),%rsp; jbe morestack (rel32) */
	assert_int_equal(SITE(0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x10, 0x00, 0x00, 0x00), 4);
	/* endbr64; push %rbp */
	assert_int_equal(SITE(0xf3, 0x0f, 0x1e, 0xfa, 0x55), 4);
	/* endbr64; nopl 0(%rax) */
	assert_int_equal(SITE(0xf3, 0x0f, 0x1e, 0xfa, 0x0f, 0x1f, 0x00), 4);
}

static void no_emulated_site_keeps_the_entry(void **state)
{
	(void)state;
	/* Debian libssl SSL_write: sub $0x18,%rsp moves the stack: stop there */
	assert_int_equal(SITE(0x48, 0x83, 0xec, 0x18, 0x55), 0);
	/* gnutls_record_send: xor %r8d,%r8d writes a register */
	assert_int_equal(SITE(0x45, 0x31, 0xc0, 0x31, 0xc9, 0xe9, 0, 0, 0, 0), 0);
	/* endbr64; sub $8,%rsp; call: the sub stops the walk */
	assert_int_equal(SITE(0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x83, 0xec, 0x08, 0xe8, 0, 0, 0, 0), 0);
	/* a RET (Go Read's return sites) */
	assert_int_equal(SITE(0xc3), 0);
	/* push with an immediate or memory operand is not the emulated form */
	assert_int_equal(SITE(0x48, 0x85, 0xff, 0x68, 1, 2, 3, 4), 0);
	/* more flag-only instructions than it looks past */
	assert_int_equal(
		SITE(0x48, 0x85, 0xff, 0x48, 0x85, 0xff, 0x48, 0x85, 0xff, 0x48, 0x85, 0xff, 0x55),
		0);
	/* cut short, or not code */
	assert_int_equal(SITE(0x48, 0x85), 0);
	assert_int_equal(SITE(0x48, 0x85, 0xff, 0x0f, 0x86), 0);
	assert_int_equal(SITE(0x0f, 0x0b, 0x55), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(emulated_entry_stays),
		cmocka_unit_test(flag_only_prologue_is_skipped),
		cmocka_unit_test(no_emulated_site_keeps_the_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
