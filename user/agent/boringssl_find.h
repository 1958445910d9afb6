/* SPDX-License-Identifier: MIT */
/*
 * boringssl_find.h - where a stripped, statically linked BoringSSL (Bun,
 * Claude Code) seals and opens its TLS records, without symbols.
 *
 * Every TLS record goes through a function pointer of BoringSSL's AEAD method
 * table (struct evp_aead_st): no inlining removes that call. The finder looks
 * for those tables by their constant header (key_len, nonce_len, overhead,
 * max_tag_len = 10 0c 10 10 for AES-128-GCM, 20 0c 10 10 for AES-256-GCM and
 * ChaCha20-Poly1305):
 *  - constant tables in read-only data, followed by code pointers (absolute,
 *    or R_X86_64_RELATIVE addends in a PIE);
 *  - tables in .bss filled by init code: the header stored to X(%rip), then
 *    pointer stores into X..X+0x60 (movq $imm32, or lea + mov in a PIE).
 * Two layouts: 72 bytes (seal +0x28, open +0x30) and the 96-byte one of newer
 * BoringSSL (seal +0x40, open +0x48).
 *
 * Attach only where proven: a returned function is the start of an .eh_frame
 * FDE when the file has an .eh_frame_hdr search table. Bun ships none, so for
 * a file without one the proof is the code itself: the address is 16-byte
 * aligned, right after int3 padding (0xcc, what lld puts only between
 * functions) or after the previous function's pop %rbp; ret, and it begins
 * with a frame setup (push %rbp; mov %rsp,%rbp) or endbr64. Anything else is
 * dropped, and the reason says why.
 */
#ifndef CLAWSEC_BORINGSSL_FIND_H
#define CLAWSEC_BORINGSSL_FIND_H

#include <stddef.h>
#include <stdint.h>

#define CS_BSSL_MAX_FNS 16
#define CS_BSSL_VERSION_MAX 32
#define CS_BSSL_REASON_MAX 192
/* Larger files are not scanned (the reason says so). Bun 1.4 is ~107 MB. */
#define CS_BSSL_MAX_FILE (1024ull << 20)

enum cs_bssl_role {
	CS_BSSL_SEAL = 1, /* seal_scatter (Bun <= 1.2) or sealv (Bun >= 1.3) */
	CS_BSSL_OPEN = 2, /* open_gather or openv_detached */
};

/* What proves that a function starts at the address. */
enum cs_bssl_proof {
	CS_BSSL_PROOF_FDE = 1,	 /* an .eh_frame FDE starts there */
	CS_BSSL_PROOF_ENTRY = 2, /* no FDE table: padded, aligned frame-setup entry */
};

/* Bits of cs_boringssl_fns.layouts */
#define CS_BSSL_LAYOUT_72 (1u << 0)
#define CS_BSSL_LAYOUT_96 (1u << 1)

struct cs_bssl_fn {
	uint64_t vaddr;	 /* link-time virtual address */
	uint64_t offset; /* uprobe offset: vaddr - p_vaddr + p_offset of its PT_LOAD */
	uint8_t role;	 /* enum cs_bssl_role */
	uint8_t proof;	 /* enum cs_bssl_proof */
	uint16_t tables; /* how many accepted tables point here */
};

struct cs_boringssl_fns {
	unsigned int n_fns;
	struct cs_bssl_fn fns[CS_BSSL_MAX_FNS]; /* distinct (vaddr, role), by vaddr */
	unsigned int tables;			/* tables whose seal and open were proven */
	unsigned int rodata_tables;		/* ... of which constant in the file */
	unsigned int init_tables;		/* ... of which filled by init code */
	unsigned int dropped;			/* candidate tables refused */
	unsigned int layouts;			/* CS_BSSL_LAYOUT_* seen */
	int pie;				/* ET_DYN */
	char version[CS_BSSL_VERSION_MAX];	/* "1.4.5" when the file says "Bun v1.4.5" */
	char reason[CS_BSSL_REASON_MAX];	/* why nothing, or why some were dropped */
	uint8_t build_id[20];
	unsigned int build_id_len;
	int cached;	  /* the answer came from the per-file cache */
	uint64_t scan_us; /* time this call took */
};

/*
 * Find the AEAD seal/open functions in the ELF file at path. path may be a
 * host path, /proc/PID/exe or /proc/PID/map_files/..., or
 * /proc/PID/root/<path in the container>: the latter is resolved inside the
 * container's root (openat2 RESOLVE_IN_ROOT), so a symlink planted there
 * cannot make the agent read a host file. Only regular files are read.
 *
 * Results are cached per file (by build-id for positive answers, re-proved on
 * each hit; by dev, inode, size and mtime otherwise), so asking again for the
 * same binary, from another process or container, costs a few reads.
 *
 * Returns 0 when the file was scanned (out->n_fns may be 0: out->reason says
 * why), -ENOEXEC when it is not an x86-64 ELF64 executable or library, -EFBIG
 * when larger than CS_BSSL_MAX_FILE, -EIO on a short read (e.g. truncated
 * while scanned), or another -errno from opening it. out->reason is set in
 * every case.
 */
int cs_boringssl_find(const char *path, struct cs_boringssl_fns *out);

/* The same on an open file descriptor (not closed). */
int cs_boringssl_find_fd(int fd, struct cs_boringssl_fns *out);

/*
 * Open path read-only as cs_boringssl_find does (inside the container's root
 * for /proc/PID/root/...). Returns the fd or -errno. To attach to exactly the
 * file that was scanned, even if the process execs or the container swaps
 * the file in between: fd = cs_boringssl_open(path); cs_boringssl_find_fd(fd);
 * attach the uprobes on "/proc/self/fd/<fd>" (the kernel resolves that link
 * to the open file's inode); then close(fd).
 */
int cs_boringssl_open(const char *path);

/* The scan alone, uncached, on an image in memory (tests, fuzzing). */
int cs_boringssl_scan_mem(const void *data, size_t size, struct cs_boringssl_fns *out);

/* Forget every cached answer. */
void cs_boringssl_cache_clear(void);

#endif
