// SPDX-License-Identifier: MIT
/*
 * gotls.c - the Go crypto/tls stack: gofunc.c finds (*Conn).Write, (*Conn).Read
 * and Read's RETs in a Go executable's own function table; bpf/gotls.bpf.c is
 * attached by file offset at Write's entry, Read's entry and each RET of Read,
 * all or nothing (one direction lost silently is worse than "not visible").
 * x86-64 only: the register decoding and the RET sweep are x86-64's.
 */
#include "gofunc.h"
#include "tls_stack.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>

#if defined(__x86_64__)

#include "gotls.skel.h"

CS_TLS_SKELETON(gotls)

static int attach_all(struct gotls_bpf *s, struct cs_tls_links *ls, const char *path,
		      const struct cs_go_tls *g)
{
	int e = cs_tls_links_add(ls, s->progs.cs_go_write, NULL, path, NULL, g->write.offset);

	if (!e)
		e = cs_tls_links_add(ls, s->progs.cs_go_read, NULL, path, NULL, g->read.offset);
	for (unsigned int i = 0; i < g->n_rets && !e; i++)
		e = cs_tls_links_add(ls, s->progs.cs_go_read_ret, NULL, path, NULL,
				     g->read_rets[i]);
	return e;
}

static int attach(struct cs_tls_slot *slot, const char *path, struct cs_tls_attach *out)
{
	struct cs_go_tls g;
	struct cs_tls_links *ls;
	int e;

	e = cs_gofunc_find(path, &g);
	if (e) {
		snprintf(out->status, sizeof(out->status), "no Go crypto/tls: %.120s", g.reason);
		return -ENOENT;
	}
	e = load(slot);
	if (e)
		return e;
	ls = cs_tls_links_new(2 + CS_GO_MAX_RETS);
	if (!ls)
		return -ENOMEM;
	e = attach_all(slot->obj, ls, path, &g);
	if (e) {
		cs_tls_links_detach(ls);
		return e;
	}
	out->att = ls;
	snprintf(out->status, sizeof(out->status), "%s, crypto/tls (%u returns of Read)",
		 g.version[0] ? g.version : "Go version unknown", g.n_rets);
	return 0;
}

int cs_tls_go_present(const char *path, char *why, size_t len)
{
	struct cs_go_tls g;
	int e = cs_gofunc_find(path, &g);

	snprintf(why, len, "%s", !e || !g.has_tls ? "" : g.reason);
	return !e;
}

#else

static int attach(struct cs_tls_slot *slot, const char *path, struct cs_tls_attach *out)
{
	(void)slot;
	(void)path;
	snprintf(out->status, sizeof(out->status), "Go capture is x86-64 only");
	return -ENOENT;
}

static void unload(struct cs_tls_slot *slot)
{
	(void)slot;
}

int cs_tls_go_present(const char *path, char *why, size_t len)
{
	(void)path;
	snprintf(why, len, "%s", "");
	return 0;
}

#endif

const struct cs_tls_stack cs_tls_go = {
	.name = "go",
	.attach = attach,
	.detach = cs_tls_links_detach,
	.unload = unload,
};
