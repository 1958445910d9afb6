/* SPDX-License-Identifier: MIT */
/*
 * elfimg.h - a bounded, read-only view of an x86-64 ELF64 file from its
 * program headers, for finders that scan untrusted binaries (a container can
 * put anything at /proc/PID/exe).
 *
 * The file is read with pread, never mmap'd: a container that truncates the
 * file while it is scanned makes a read fail, where a mapping would raise
 * SIGBUS in the agent. Every offset read from the file is checked against
 * the file size before use. Section headers are not used: the loader does
 * not need them, and stripped binaries may lack them.
 */
#ifndef CLAWSEC_ELFIMG_H
#define CLAWSEC_ELFIMG_H

#include <stddef.h>
#include <stdint.h>

#define CS_ELFIMG_MAX_LOADS 16

/* One PT_LOAD segment. Only [offset, offset + filesz) has bytes in the file. */
struct cs_elfimg_load {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags; /* PF_X, PF_W, PF_R */
};

struct cs_elfimg {
	int fd;		    /* read with pread when >= 0 */
	const uint8_t *mem; /* else the whole image in memory */
	uint64_t size;
	uint16_t type; /* ET_EXEC or ET_DYN */
	unsigned int nload;
	struct cs_elfimg_load load[CS_ELFIMG_MAX_LOADS];
	uint64_t eh_hdr_vaddr, eh_hdr_size; /* PT_GNU_EH_FRAME; size 0 if none */
	uint64_t dyn_vaddr, dyn_size;	    /* PT_DYNAMIC; size 0 if none */
	uint64_t note_off[4], note_size[4]; /* PT_NOTE */
	unsigned int nnote;
};

/*
 * Parse the headers of the ELF file open at fd (size bytes) or held in
 * memory. Returns 0, -ENOEXEC when it is not an x86-64 ELF64 executable or
 * shared object (or its headers are inconsistent), or -EIO when a read fails.
 */
int cs_elfimg_from_fd(struct cs_elfimg *img, int fd, uint64_t size);
int cs_elfimg_from_mem(struct cs_elfimg *img, const void *data, size_t size);

/* Read len bytes at file offset off. 0, or -EIO (out of the file, short read). */
int cs_elfimg_read(const struct cs_elfimg *img, uint64_t off, void *buf, size_t len);

/*
 * The PT_LOAD whose file-backed bytes hold [vaddr, vaddr + len), or NULL. When
 * off is not NULL it gets the file offset of vaddr.
 */
const struct cs_elfimg_load *cs_elfimg_at(const struct cs_elfimg *img, uint64_t vaddr, uint64_t len,
					  uint64_t *off);

/* Read len bytes at virtual address vaddr (file-backed bytes only). 0 or -EIO. */
int cs_elfimg_vread(const struct cs_elfimg *img, uint64_t vaddr, void *buf, size_t len);

/* The NT_GNU_BUILD_ID note: its length (at most max bytes copied), 0 if none. */
size_t cs_elfimg_build_id(const struct cs_elfimg *img, uint8_t *id, size_t max);

/*
 * Value of the dynamic tag tag (DT_*), in *val. 0, or -ENOENT if absent.
 */
int cs_elfimg_dyn(const struct cs_elfimg *img, int64_t tag, uint64_t *val);

/*
 * Whether vaddr is the initial location of an FDE in the binary-search table
 * of .eh_frame_hdr: 1 yes, 0 no, -ENOENT when the file has no usable table
 * (no PT_GNU_EH_FRAME, or an encoding other than the usual datarel sdata4).
 */
int cs_elfimg_is_fde_start(const struct cs_elfimg *img, uint64_t vaddr);

#endif
