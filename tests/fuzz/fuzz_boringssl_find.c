// SPDX-License-Identifier: MIT
/*
 * fuzz_boringssl_find: the BoringSSL finder over hostile ELF images (the
 * container chooses what runs as /proc/PID/exe). Any input gives 0, -ENOEXEC
 * or -EIO, a terminated reason, and functions that lie inside the file.
 * Seeds: stripped builds of tests/fixtures/aead/aead_tables.c (PIE, non-PIE,
 * no FDE table; aead_int3 is the last with int3 before each entry, so the
 * entry proof of FDE-less files such as Bun is reached too).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "boringssl_find.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_boringssl_fns r;
	int err = cs_boringssl_scan_mem(data, size, &r);

	CHECK(err == 0 || err == -ENOEXEC || err == -EIO);
	CHECK(memchr(r.reason, 0, sizeof(r.reason)));
	CHECK(memchr(r.version, 0, sizeof(r.version)));
	CHECK(r.n_fns <= CS_BSSL_MAX_FNS);
	CHECK(err == 0 || r.n_fns == 0);
	for (unsigned int i = 0; i < r.n_fns; i++) {
		CHECK(r.fns[i].offset < size);
		CHECK(r.fns[i].role == CS_BSSL_SEAL || r.fns[i].role == CS_BSSL_OPEN);
		CHECK(r.fns[i].proof == CS_BSSL_PROOF_FDE || r.fns[i].proof == CS_BSSL_PROOF_ENTRY);
	}
	CHECK(r.rodata_tables + r.init_tables == r.tables);
	return 0;
}
