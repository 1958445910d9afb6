// SPDX-License-Identifier: MIT
/*
 * boringssl.c - the BoringSSL stack for stripped, static builds (Bun, Bun
 * single-file executables such as Claude Code): boringssl_find.c proves where
 * the AEAD seal and open functions start; bpf/boringssl.bpf.c reads the
 * plaintext there (uprobe on seal; uprobe + uretprobe on open). Attached by
 * file offset, only at the entries the finder proved, all or nothing: a
 * partial attachment would lose one direction silently.
 */
#include "boringssl_find.h"
#include "tls_stack.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "boringssl.skel.h"

CS_TLS_SKELETON(boringssl)

/* The register and stack decoding in boringssl.bpf.c is x86-64's. */
#if defined(__x86_64__)
#define ARCH_OK 1
#else
#define ARCH_OK 0
#endif

static int attach_fns(struct boringssl_bpf *skel, struct cs_tls_links *ls, const char *path,
		      const struct cs_boringssl_fns *f)
{
	int e = 0;

	for (unsigned int i = 0; i < f->n_fns && !e; i++) {
		const struct cs_bssl_fn *fn = &f->fns[i];

		if (fn->role == CS_BSSL_SEAL)
			e = cs_tls_links_add(ls, skel->progs.cs_aead_seal, NULL, path, NULL,
					     fn->offset);
		else if (fn->role == CS_BSSL_OPEN)
			e = cs_tls_links_add(ls, skel->progs.cs_aead_open,
					     skel->progs.cs_aead_open_r, path, NULL, fn->offset);
	}
	return e;
}

/* Both directions must be visible, or the finder's answer is not used. */
static bool has_both(const struct cs_boringssl_fns *f)
{
	unsigned int roles = 0;

	for (unsigned int i = 0; i < f->n_fns; i++)
		roles |= f->fns[i].role;
	return (roles & (CS_BSSL_SEAL | CS_BSSL_OPEN)) == (CS_BSSL_SEAL | CS_BSSL_OPEN);
}

int cs_tls_boringssl_present(const char *path)
{
	struct cs_boringssl_fns f;

	return ARCH_OK && cs_boringssl_find(path, &f) == 0 && has_both(&f);
}

static void describe(const struct cs_boringssl_fns *f, char *out, size_t len)
{
	snprintf(out, len, "%u AEAD tables, %u functions%s%s%s", f->tables, f->n_fns,
		 f->version[0] ? ", Bun " : "", f->version, f->reason[0] ? "; " : "");
	if (f->reason[0])
		snprintf(out + strlen(out), len - strlen(out), "%s", f->reason);
}

static int attach(struct cs_tls_slot *slot, const char *path, struct cs_tls_attach *out)
{
	struct cs_boringssl_fns f;
	struct cs_tls_links *ls;
	int e;

	if (!ARCH_OK) {
		snprintf(out->status, sizeof(out->status), "BoringSSL capture is x86-64 only");
		return -ENOENT;
	}
	e = cs_boringssl_find(path, &f);
	if (e || !has_both(&f)) {
		snprintf(out->status, sizeof(out->status), "no BoringSSL AEAD functions: %.120s",
			 f.reason[0] ? f.reason : "none found");
		/* not an x86-64 ELF, or too large to scan: not this stack */
		return e && e != -ENOEXEC && e != -EFBIG ? e : -ENOENT;
	}
	e = load(slot);
	if (e)
		return e;
	ls = cs_tls_links_new(CS_BSSL_MAX_FNS * 2);
	if (!ls)
		return -ENOMEM;
	e = attach_fns(slot->obj, ls, path, &f);
	if (e) {
		cs_tls_links_detach(ls);
		return e;
	}
	out->att = ls;
	describe(&f, out->status, sizeof(out->status));
	return 0;
}

const struct cs_tls_stack cs_tls_boringssl = {
	.name = "boringssl_aead",
	.attach = attach,
	.detach = cs_tls_links_detach,
	.unload = unload,
};
