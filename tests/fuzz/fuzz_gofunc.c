// SPDX-License-Identifier: MIT
/*
 * fuzz_gofunc: the Go function-table reader and the RET sweep over hostile
 * ELF images (a container chooses what runs as /proc/PID/exe). Any input
 * gives 0, -ENOENT, -ENOEXEC or -EIO, terminated strings, and on success
 * functions and RETs inside the file, each RET inside Read.
 * Seed: tests/fuzz/corpus/fuzz_gofunc/min_go, a small ELF with a Go 1.18+
 * pclntab naming both functions (made by tests/fuzz/corpus/mk_min_go.py).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "gofunc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_go_tls r;
	int err = cs_gofunc_scan_mem(data, size, &r);

	CHECK(err == 0 || err == -ENOENT || err == -ENOEXEC || err == -EIO);
	CHECK(memchr(r.reason, 0, sizeof(r.reason)));
	CHECK(memchr(r.version, 0, sizeof(r.version)));
	CHECK(r.n_rets <= CS_GO_MAX_RETS);
	CHECK(err == 0 || r.n_rets == 0);
	if (err)
		return 0;
	CHECK(r.write.offset < size && r.read.offset < size);
	CHECK(r.read.end - r.read.vaddr <= CS_GO_MAX_FUNC);
	for (unsigned int i = 0; i < r.n_rets; i++) {
		CHECK(r.read_rets[i] >= r.read.offset);
		CHECK(r.read_rets[i] - r.read.offset < r.read.end - r.read.vaddr);
		CHECK(data[r.read_rets[i]] == 0xc3);
	}
	return 0;
}
