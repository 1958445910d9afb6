// SPDX-License-Identifier: MIT
/*
 * gofunc.c - Go's function table (pclntab, Go 1.18+) and build info read from
 * a hostile ELF file, without section headers (stripped binaries may lack
 * them; the loader does not use them): both are found by their magic in the
 * file-backed bytes of the PT_LOAD segments, then every offset is checked.
 *
 * pclntab header (ptrSize 8): magic u32 (0xfffffff0 Go 1.18-1.19, 0xfffffff1
 * Go 1.20+), 0, 0, minLC, ptrSize, then nfunc, nfiles, textStart,
 * funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset. At
 * pclnOffset the functab holds nfunc + 1 (entryoff, funcoff) u32 pairs, entry
 * relative to textStart, sorted, the last one the end of the text; funcoff
 * leads to a _func whose first fields are entryOff u32 and nameOff i32 (into
 * funcnametab, NUL-terminated names).
 */
#include "gofunc.h"
#include "boringssl_find.h"
#include "elfimg.h"
#include "gorets.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_SIZE 72
#define MAX_NFUNC (4u << 20)
#define SCAN_CHUNK (1u << 20)
#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN 14

static const char write_name[] = "crypto/tls.(*Conn).Write";
static const char read_name[] = "crypto/tls.(*Conn).Read";

struct pcln {
	uint64_t base;	  /* file offset of the header */
	uint64_t limit;	  /* end of the segment's file bytes holding it */
	uint64_t nfunc;	  /* functions in functab */
	uint64_t text;	  /* textStart (vaddr) */
	uint64_t names;	  /* file offset of funcnametab */
	uint64_t functab; /* file offset of functab (= the _func base) */
};

static int fail(struct cs_go_tls *r, int err, const char *why)
{
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	return err;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Whether [off, off + len) lies in [base, limit), without overflow. */
static bool inside(uint64_t off, uint64_t len, uint64_t base, uint64_t limit)
{
	return off >= base && off <= limit && len <= limit - off;
}

/* The header at file offset off of a segment ending at limit, validated. */
static bool pcln_header(const struct cs_elfimg *img, uint64_t off, uint64_t limit, struct pcln *p)
{
	uint8_t h[HDR_SIZE];
	const struct cs_elfimg_load *text;
	uint64_t names_off, pcln_off;

	if (!inside(off, HDR_SIZE, 0, limit) || cs_elfimg_read(img, off, h, sizeof(h)))
		return false;
	if (h[4] || h[5] || h[6] != 1 || h[7] != 8)
		return false; /* x86-64: minLC 1, pointers 8 bytes */
	p->base = off;
	p->limit = limit;
	p->nfunc = le64(h + 8);
	p->text = le64(h + 24);
	names_off = le64(h + 32);
	pcln_off = le64(h + 64);
	if (!p->nfunc || p->nfunc > MAX_NFUNC || names_off >= limit || pcln_off >= limit)
		return false;
	p->names = off + names_off;
	p->functab = off + pcln_off;
	text = cs_elfimg_at(img, p->text, 1, NULL);
	return text && (text->flags & PF_X) && inside(p->functab, (p->nfunc + 1) * 8, off, limit) &&
	       p->names < limit;
}

/* A valid header at a 4-aligned pclntab magic of one chunk of a segment. */
static bool scan_chunk(const struct cs_elfimg *img, const uint8_t *buf, size_t n, uint64_t off,
		       uint64_t limit, struct pcln *p)
{
	for (size_t i = 0; i + 8 <= n; i += 4) {
		uint32_t m = le32(buf + i);

		if ((m == 0xfffffff0 || m == 0xfffffff1) && pcln_header(img, off + i, limit, p))
			return true;
	}
	return false;
}

/* The first valid header in a read-only PT_LOAD's file bytes (where Go puts it). */
static int find_pcln(const struct cs_elfimg *img, struct pcln *p, struct cs_go_tls *r)
{
	uint8_t *buf = malloc(SCAN_CHUNK);
	bool found = false;

	if (!buf)
		return fail(r, -ENOMEM, "out of memory");
	for (unsigned int s = 0; s < img->nload && !found; s++) {
		const struct cs_elfimg_load *l = &img->load[s];
		uint64_t end = l->offset + l->filesz;

		if (l->flags & (PF_X | PF_W))
			continue;
		for (uint64_t o = l->offset; o < end && !found; o += SCAN_CHUNK - 8) {
			size_t n = end - o < SCAN_CHUNK ? (size_t)(end - o) : SCAN_CHUNK;

			if (cs_elfimg_read(img, o, buf, n))
				break;
			found = scan_chunk(img, buf, n, o, end, p);
			if (n < SCAN_CHUNK)
				break;
		}
	}
	free(buf);
	return found ? 0 : fail(r, -ENOENT, "no Go 1.18+ function table");
}

/* Whether the name at nameOff of funcnametab equals want. */
static bool name_is(const struct cs_elfimg *img, const struct pcln *p, int32_t name_off,
		    const char *want, size_t len)
{
	char got[sizeof(write_name) + 1];

	if (name_off < 0 || !inside(p->names + (uint64_t)name_off, len + 1, p->base, p->limit))
		return false;
	if (cs_elfimg_read(img, p->names + (uint64_t)name_off, got, len + 1))
		return false;
	return !memcmp(got, want, len) && got[len] == '\0';
}

/* Function i's entry and end if its name is want: 1, 0 (another), -1 (bad). */
static int func_match(const struct cs_elfimg *img, const struct pcln *p, const uint8_t *ft,
		      const char *want, size_t len, struct cs_go_func *f)
{
	uint32_t entry = le32(ft), fo = le32(ft + 4), end = le32(ft + 8);
	uint8_t fn[8];

	if (!inside(p->functab + fo, sizeof(fn), p->base, p->limit) ||
	    cs_elfimg_read(img, p->functab + fo, fn, sizeof(fn)))
		return -1;
	if (!name_is(img, p, (int32_t)le32(fn + 4), want, len))
		return 0;
	/* the _func agrees with functab, and the function is not empty */
	if (le32(fn) != entry || end <= entry)
		return -1;
	f->vaddr = p->text + entry;
	f->end = p->text + end;
	return 1;
}

/* Looks both names up; a name seen twice or a bad entry refuses both. */
static int find_funcs(const struct cs_elfimg *img, const struct pcln *p, struct cs_go_tls *r)
{
	uint8_t ft[12];
	int nw = 0, nr = 0;

	for (uint64_t i = 0; i < p->nfunc; i++) {
		int m;

		if (cs_elfimg_read(img, p->functab + i * 8, ft, sizeof(ft)))
			return fail(r, -EIO, "cannot read the function table");
		m = func_match(img, p, ft, write_name, sizeof(write_name) - 1, &r->write);
		if (!m)
			m = func_match(img, p, ft, read_name, sizeof(read_name) - 1, &r->read) * 2;
		if (m < 0)
			return fail(r, -ENOENT, "inconsistent Go function table");
		nw += m == 1;
		nr += m == 2;
	}
	if (!nw && !nr)
		return fail(r, -ENOENT, "Go executable without crypto/tls");
	if (nw != 1 || nr != 1)
		return fail(r, -ENOENT, "crypto/tls.(*Conn).Write/Read not found exactly once");
	return 0;
}

/* File offset of a function in an executable segment, or -ENOENT. */
static int func_offset(const struct cs_elfimg *img, struct cs_go_func *f)
{
	const struct cs_elfimg_load *l = cs_elfimg_at(img, f->vaddr, f->end - f->vaddr, &f->offset);

	return l && (l->flags & PF_X) ? 0 : -ENOENT;
}

/* Go 1.18+ build info: magic, ptrSize, flags (2: inline strings), then at 32 the version. */
static void version_at(const struct cs_elfimg *img, uint64_t off, uint64_t limit, char *out,
		       size_t max)
{
	uint8_t b[32 + 1 + 24];
	size_t n;

	if (!inside(off, sizeof(b), 0, limit) || cs_elfimg_read(img, off, b, sizeof(b)))
		return;
	if (!(b[15] & 2) || b[32] == 0 || b[32] >= max || b[32] > 24)
		return;
	n = b[32];
	for (size_t i = 0; i < n; i++)
		if (b[33 + i] < 0x21 || b[33 + i] > 0x7e)
			return;
	memcpy(out, b + 33, n);
	out[n] = '\0';
}

/* runtime.buildVersion as the build info records it, 16-aligned in a data segment. */
static void find_version(const struct cs_elfimg *img, struct cs_go_tls *r)
{
	uint8_t buf[4096];

	for (unsigned int s = 0; s < img->nload && !r->version[0]; s++) {
		const struct cs_elfimg_load *l = &img->load[s];
		uint64_t end = l->offset + l->filesz;

		if (l->flags & PF_X)
			continue;
		/* the build info opens its section: look at the segment's first pages */
		for (uint64_t o = l->offset & ~15ull; o < end && o < l->offset + (64u << 10);
		     o += sizeof(buf)) {
			size_t n = end - o < sizeof(buf) ? (size_t)(end - o) : sizeof(buf);

			if (cs_elfimg_read(img, o, buf, n))
				break;
			for (size_t i = 0; i + BUILDINFO_MAGIC_LEN <= n && !r->version[0]; i += 16)
				if (!memcmp(buf + i, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN))
					version_at(img, o + i, end, r->version, sizeof(r->version));
		}
	}
}

static int scan(const struct cs_elfimg *img, struct cs_go_tls *r)
{
	struct pcln p;
	int e = find_pcln(img, &p, r);

	if (!e)
		e = find_funcs(img, &p, r);
	if (e)
		return e;
	r->has_tls = 1;
	find_version(img, r);
	if (func_offset(img, &r->write) || func_offset(img, &r->read))
		return fail(r, -ENOENT, "crypto/tls functions outside the executable segment");
	return cs_gorets_find(img, &r->read, r->read_rets, &r->n_rets, r->reason,
			      sizeof(r->reason));
}

int cs_gofunc_scan_mem(const void *data, size_t size, struct cs_go_tls *r)
{
	struct cs_elfimg img;

	memset(r, 0, sizeof(*r));
	if (cs_elfimg_from_mem(&img, data, size))
		return fail(r, -ENOEXEC, "not an x86-64 ELF64 executable");
	return scan(&img, r);
}

int cs_gofunc_find(const char *path, struct cs_go_tls *r)
{
	struct cs_elfimg img;
	struct stat st;
	int fd, e;

	memset(r, 0, sizeof(*r));
	fd = cs_boringssl_open(path); /* no links out of a container's root */
	if (fd < 0)
		return fail(r, fd, "cannot open the executable");
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		e = fail(r, -ENOEXEC, "not a regular file");
	else if (cs_elfimg_from_fd(&img, fd, (uint64_t)st.st_size))
		e = fail(r, -ENOEXEC, "not an x86-64 ELF64 executable");
	else
		e = scan(&img, r);
	close(fd);
	return e;
}
