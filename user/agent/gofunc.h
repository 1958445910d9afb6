/* SPDX-License-Identifier: MIT */
/*
 * gofunc.h - crypto/tls.(*Conn).Write and (*Conn).Read of a Go executable,
 * found through Go's own function table (the pclntab the runtime walks for
 * tracebacks: it survives `strip` and `-ldflags=-s -w`), with the offset of
 * every RET of Read (Go's goroutine stacks move, so no uretprobe: the return
 * is hooked at its instructions) and the Go version.
 *
 * The file is hostile (a container chooses /proc/PID/exe): every offset read
 * from it is bounds-checked (cs_elfimg), and a Read whose bytes do not decode
 * cleanly from entry to end is refused rather than probed.
 */
#ifndef CLAWSEC_GOFUNC_H
#define CLAWSEC_GOFUNC_H

#include <stddef.h>
#include <stdint.h>

#define CS_GO_MAX_RETS 32
#define CS_GO_MAX_FUNC (64u << 10) /* longest Read decoded, bytes */

struct cs_go_func {
	uint64_t vaddr, end; /* [entry, next function's entry) */
	uint64_t offset;     /* file offset of the entry: the uprobe offset */
};

struct cs_go_tls {
	struct cs_go_func write, read;
	uint64_t read_rets[CS_GO_MAX_RETS]; /* file offsets of Read's RETs */
	unsigned int n_rets;
	int has_tls;	  /* both functions are in the table (even if refused after) */
	char version[24]; /* "go1.19.8", "" when no build info */
	char reason[96];  /* why nothing can be attached, "" on success */
};

/*
 * Fills r. Returns 0 when both functions and Read's returns were found and
 * proven, -ENOENT when the file is not a Go (1.18+) executable or they were
 * not (r->reason says why), -ENOEXEC when it is not an x86-64 ELF, -EIO on a
 * read error. r->reason and r->version are always terminated.
 */
int cs_gofunc_find(const char *path, struct cs_go_tls *r);
int cs_gofunc_scan_mem(const void *data, size_t size, struct cs_go_tls *r);

#endif
