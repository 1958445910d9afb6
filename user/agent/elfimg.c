// SPDX-License-Identifier: MIT
/*
 * elfimg.c - bounded reads of an x86-64 ELF64 image: program headers, the
 * build-id note, dynamic tags and the .eh_frame_hdr search table.
 */
#include "elfimg.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

/* DWARF pointer encodings used by .eh_frame_hdr */
#define DW_EH_PE_omit 0xff
#define DW_EH_PE_udata4 0x03
#define DW_EH_PE_sdata4 0x0b
#define DW_EH_PE_datarel 0x30

int cs_elfimg_read(const struct cs_elfimg *img, uint64_t off, void *buf, size_t len)
{
	if (off > img->size || len > img->size - off)
		return -EIO;
	if (img->fd < 0) {
		memcpy(buf, img->mem + off, len);
		return 0;
	}
	while (len) {
		ssize_t n = pread(img->fd, buf, len, (off_t)off);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -EIO;
		}
		buf = (uint8_t *)buf + n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

const struct cs_elfimg_load *cs_elfimg_at(const struct cs_elfimg *img, uint64_t vaddr, uint64_t len,
					  uint64_t *off)
{
	for (unsigned int i = 0; i < img->nload; i++) {
		const struct cs_elfimg_load *l = &img->load[i];

		if (vaddr < l->vaddr || vaddr - l->vaddr > l->filesz ||
		    len > l->filesz - (vaddr - l->vaddr))
			continue;
		if (off)
			*off = l->offset + (vaddr - l->vaddr);
		return l;
	}
	return NULL;
}

int cs_elfimg_vread(const struct cs_elfimg *img, uint64_t vaddr, void *buf, size_t len)
{
	uint64_t off;

	if (!cs_elfimg_at(img, vaddr, len, &off))
		return -EIO;
	return cs_elfimg_read(img, off, buf, len);
}

/* Keep what a finder needs from one program header. 0 or -ENOEXEC. */
static int take_phdr(struct cs_elfimg *img, const Elf64_Phdr *ph)
{
	if (ph->p_offset > img->size || ph->p_filesz > img->size - ph->p_offset)
		return ph->p_type == PT_LOAD ? -ENOEXEC : 0;
	switch (ph->p_type) {
	case PT_LOAD:
		if (img->nload == CS_ELFIMG_MAX_LOADS || ph->p_filesz > ph->p_memsz ||
		    ph->p_vaddr > UINT64_MAX - ph->p_memsz)
			return -ENOEXEC;
		img->load[img->nload++] = (struct cs_elfimg_load){
			.vaddr = ph->p_vaddr,
			.memsz = ph->p_memsz,
			.offset = ph->p_offset,
			.filesz = ph->p_filesz,
			.flags = ph->p_flags,
		};
		break;
	case PT_GNU_EH_FRAME:
		img->eh_hdr_vaddr = ph->p_vaddr;
		img->eh_hdr_size = ph->p_filesz;
		break;
	case PT_DYNAMIC:
		img->dyn_vaddr = ph->p_vaddr;
		img->dyn_size = ph->p_filesz;
		break;
	case PT_NOTE:
		if (img->nnote < sizeof(img->note_off) / sizeof(img->note_off[0])) {
			img->note_off[img->nnote] = ph->p_offset;
			img->note_size[img->nnote++] = ph->p_filesz;
		}
		break;
	}
	return 0;
}

static int parse_headers(struct cs_elfimg *img)
{
	Elf64_Ehdr eh;
	int err;

	if (cs_elfimg_read(img, 0, &eh, sizeof(eh)) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64 || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum)
		return -ENOEXEC;
	img->type = eh.e_type;
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (cs_elfimg_read(img, eh.e_phoff + (uint64_t)i * sizeof(ph), &ph, sizeof(ph)))
			return -ENOEXEC;
		err = take_phdr(img, &ph);
		if (err)
			return err;
	}
	return img->nload ? 0 : -ENOEXEC;
}

int cs_elfimg_from_fd(struct cs_elfimg *img, int fd, uint64_t size)
{
	memset(img, 0, sizeof(*img));
	img->fd = fd;
	img->size = size;
	return parse_headers(img);
}

int cs_elfimg_from_mem(struct cs_elfimg *img, const void *data, size_t size)
{
	memset(img, 0, sizeof(*img));
	img->fd = -1;
	img->mem = data;
	img->size = size;
	return parse_headers(img);
}

/* The build-id in one PT_NOTE segment, or 0. */
static size_t build_id_in(const struct cs_elfimg *img, uint64_t off, uint64_t size, uint8_t *id,
			  size_t max)
{
	uint64_t pos = 0;

	while (size - pos >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_len, desc_len;
		char name[4];

		if (cs_elfimg_read(img, off + pos, &nh, sizeof(nh)))
			return 0;
		pos += sizeof(nh);
		name_len = ((uint64_t)nh.n_namesz + 3) & ~3ull;
		desc_len = ((uint64_t)nh.n_descsz + 3) & ~3ull;
		if (name_len > size - pos || desc_len > size - pos - name_len)
			return 0;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !cs_elfimg_read(img, off + pos, name, 4) && !memcmp(name, "GNU", 4)) {
			size_t n = nh.n_descsz < max ? nh.n_descsz : max;

			return cs_elfimg_read(img, off + pos + name_len, id, n) ? 0 : n;
		}
		pos += name_len + desc_len;
	}
	return 0;
}

size_t cs_elfimg_build_id(const struct cs_elfimg *img, uint8_t *id, size_t max)
{
	for (unsigned int i = 0; i < img->nnote; i++) {
		size_t n = build_id_in(img, img->note_off[i], img->note_size[i], id, max);

		if (n)
			return n;
	}
	return 0;
}

int cs_elfimg_dyn(const struct cs_elfimg *img, int64_t tag, uint64_t *val)
{
	for (uint64_t pos = 0; img->dyn_size - pos >= sizeof(Elf64_Dyn); pos += sizeof(Elf64_Dyn)) {
		Elf64_Dyn d;

		if (cs_elfimg_vread(img, img->dyn_vaddr + pos, &d, sizeof(d)) || d.d_tag == DT_NULL)
			break;
		if (d.d_tag == tag) {
			*val = d.d_un.d_val;
			return 0;
		}
	}
	return -ENOENT;
}

/* Size in bytes of a value with DWARF pointer encoding enc, or -1 if unsupported. */
static int enc_size(uint8_t enc)
{
	if (enc == DW_EH_PE_omit)
		return 0;
	switch (enc & 0x0f) {
	case 0x00: /* absptr */
	case 0x04: /* udata8 */
	case 0x0c: /* sdata8 */
		return 8;
	case 0x03:
	case 0x0b:
		return 4;
	case 0x02: /* udata2 */
	case 0x0a: /* sdata2 */
		return 2;
	}
	return -1;
}

/* The search table of .eh_frame_hdr: its address and entry count. 0 or -ENOENT. */
static int fde_table(const struct cs_elfimg *img, uint64_t *table, uint64_t *count)
{
	uint8_t h[4];
	uint32_t n;
	int skip;

	if (img->eh_hdr_size < 4 || cs_elfimg_vread(img, img->eh_hdr_vaddr, h, 4) || h[0] != 1 ||
	    (h[2] != DW_EH_PE_udata4 && h[2] != DW_EH_PE_sdata4) ||
	    h[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return -ENOENT;
	skip = enc_size(h[1]);
	if (skip < 0 || img->eh_hdr_size < 8 + (uint64_t)skip ||
	    cs_elfimg_vread(img, img->eh_hdr_vaddr + 4 + skip, &n, 4))
		return -ENOENT;
	*table = img->eh_hdr_vaddr + 8 + skip;
	*count = n;
	/* the table must lie inside the segment the header claims */
	if (*count > (img->eh_hdr_size - 8 - skip) / 8)
		return -ENOENT;
	return 0;
}

int cs_elfimg_is_fde_start(const struct cs_elfimg *img, uint64_t vaddr)
{
	uint64_t table, lo = 0, hi;
	int64_t want = (int64_t)(vaddr - img->eh_hdr_vaddr);

	if (fde_table(img, &table, &hi))
		return -ENOENT;
	/* entries are (initial location, FDE address), sorted, relative to the header */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		int32_t loc;

		if (cs_elfimg_vread(img, table + mid * 8, &loc, 4))
			return -ENOENT;
		if (loc == want)
			return 1;
		if (loc < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}
