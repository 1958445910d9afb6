// SPDX-License-Identifier: MIT
/*
 * openssl.c - the OpenSSL stack: binaries exporting SSL_write/SSL_read(_ex)
 * (libssl.so, official Node builds) get uprobes and uretprobes on them from
 * bpf/openssl.bpf.c, at the symbols' file offsets (so that cs_tls_links_add
 * can move each onto a cheaper site; by name only when the offset is unknown).
 *
 * targets.c has already read the same symbols to classify the process, but
 * the offsets are read again here, from the descriptor probes.c checked to
 * hold the file the uprobes go into (open_checked): the classification read
 * the file by path, earlier, once per process, and offsets taken from another
 * file would put probes inside instructions.
 */
#include "elfsym.h"
#include "tls_stack.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>

#include "openssl.skel.h"

CS_TLS_SKELETON(openssl)

/* Entry and return programs for symbol bit i (return may be NULL). */
static void sym_progs(struct openssl_bpf *s, unsigned int i, struct bpf_program **entry,
		      struct bpf_program **ret)
{
	struct bpf_program *e[CS_SYM_COUNT] = {
		s->progs.cs_ssl_write,	 s->progs.cs_ssl_read, s->progs.cs_ssl_write_ex,
		s->progs.cs_ssl_read_ex, s->progs.cs_ssl_ctrl, s->progs.cs_ssl_free,
	};
	struct bpf_program *r[CS_SYM_COUNT] = {
		s->progs.cs_ssl_write_r,
		s->progs.cs_ssl_read_r,
		s->progs.cs_ssl_write_exr,
		s->progs.cs_ssl_read_exr,
		NULL,
		NULL,
	};

	*entry = e[i];
	*ret = r[i];
}

/* Attaches every SSL_* function in syms; a function whose entry and return
 * probes cannot both be attached is left out. */
static int attach_syms(struct openssl_bpf *skel, struct cs_tls_links *ls, const char *path,
		       unsigned int syms, const uint64_t *offs, unsigned int *done)
{
	int e = -ENOENT;

	for (unsigned int i = 0; i < CS_SYM_COUNT; i++) {
		struct bpf_program *entry, *ret;
		int r;

		if (!(syms & (1u << i)))
			continue;
		sym_progs(skel, i, &entry, &ret);
		r = cs_tls_links_add(ls, entry, ret, path, offs[i] ? NULL : cs_sym_name(i),
				     offs[i]);
		if (r)
			e = r;
		else
			*done |= 1u << i;
	}
	return *done & CS_SYM_DATA ? 0 : e;
}

static int attach(struct cs_tls_slot *slot, const char *path, struct cs_tls_attach *out)
{
	uint64_t offs[CS_SYM_COUNT];
	unsigned int syms = 0;
	struct cs_tls_links *ls;
	int e;

	e = cs_elf_tls_symbol_offsets(path, &syms, offs);
	if (e)
		return e;
	if (!(syms & CS_SYM_DATA)) {
		snprintf(out->status, sizeof(out->status), "no SSL_write/SSL_read symbols");
		return -ENOENT;
	}
	e = load(slot);
	if (e)
		return e;
	ls = cs_tls_links_new(CS_SYM_COUNT * 2);
	if (!ls)
		return -ENOMEM;
	e = attach_syms(slot->obj, ls, path, syms, offs, &out->syms);
	if (e) {
		cs_tls_links_detach(ls);
		return e;
	}
	out->att = ls;
	snprintf(out->status, sizeof(out->status), "SSL_* symbols");
	return 0;
}

const struct cs_tls_stack cs_tls_openssl = {
	.name = "openssl",
	.attach = attach,
	.detach = cs_tls_links_detach,
	.unload = unload,
};
