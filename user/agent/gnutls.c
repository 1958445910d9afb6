// SPDX-License-Identifier: MIT
/*
 * gnutls.c - the GnuTLS stack: a library exporting gnutls_record_send/recv
 * (libgnutls.so.30, which git and wget use through libcurl-gnutls) gets the
 * probes of bpf/gnutls.bpf.c, at the symbols' file offsets (by name only
 * when an offset is unknown), as openssl.c.
 */
#include "elfsym.h"
#include "tls_stack.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>

#include "gnutls.skel.h"

CS_TLS_SKELETON(gnutls)

enum { G_SEND, G_RECV, G_SNI, G_DEINIT, G_COUNT };
#define G_DATA ((1u << G_SEND) | (1u << G_RECV))

static const char *const names[G_COUNT] = {
	"gnutls_record_send",
	"gnutls_record_recv",
	"gnutls_server_name_set",
	"gnutls_deinit",
};

/* Both data functions are needed (a session writes and reads); the SNI and
 * deinit probes are kept when they attach, as they only add names. */
static int attach_all(struct gnutls_bpf *s, struct cs_tls_links *ls, const char *path,
		      unsigned int have, const uint64_t *offs)
{
	struct bpf_program *entry[G_COUNT] = {s->progs.cs_gnutls_send, s->progs.cs_gnutls_recv,
					      s->progs.cs_gnutls_sni, s->progs.cs_gnutls_deinit};
	struct bpf_program *ret[G_COUNT] = {s->progs.cs_gnutls_send_r, s->progs.cs_gnutls_recv_r,
					    NULL, NULL};

	for (unsigned int i = 0; i < G_COUNT; i++) {
		int e;

		if (!(have & (1u << i)))
			continue;
		e = cs_tls_links_add(ls, entry[i], ret[i], path, offs[i] ? NULL : names[i],
				     offs[i]);
		if (e && (G_DATA & (1u << i)))
			return e;
	}
	return 0;
}

static int attach(struct cs_tls_slot *slot, const char *path, struct cs_tls_attach *out)
{
	uint64_t offs[G_COUNT];
	unsigned int have = 0;
	struct cs_tls_links *ls;
	int e;

	e = cs_elf_function_offsets(path, names, G_COUNT, &have, offs);
	if (e)
		return e;
	if ((have & G_DATA) != G_DATA) {
		snprintf(out->status, sizeof(out->status), "no gnutls_record_send/recv symbols");
		return -ENOENT;
	}
	e = load(slot);
	if (e)
		return e;
	ls = cs_tls_links_new(G_COUNT * 2);
	if (!ls)
		return -ENOMEM;
	e = attach_all(slot->obj, ls, path, have, offs);
	if (e) {
		cs_tls_links_detach(ls);
		return e;
	}
	out->att = ls;
	snprintf(out->status, sizeof(out->status), "gnutls_record_* symbols");
	return 0;
}

const struct cs_tls_stack cs_tls_gnutls = {
	.name = "gnutls",
	.attach = attach,
	.detach = cs_tls_links_detach,
	.unload = unload,
};
