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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__x86_64__)

#include "gotls.skel.h"

CS_TLS_SKELETON(gotls)

struct go_att {
	struct bpf_link *links[2 + CS_GO_MAX_RETS];
	size_t n;
};

static void detach(void *att)
{
	struct go_att *a = att;

	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		bpf_link__destroy(a->links[i]);
	free(a);
}

static int link_at(struct go_att *a, struct bpf_program *prog, const char *path, uint64_t offset)
{
	struct bpf_link *l = cs_tls_uprobe(prog, path, NULL, offset, false);

	if (!l)
		return errno ? -errno : -EINVAL;
	a->links[a->n++] = l;
	return 0;
}

static int attach_all(struct gotls_bpf *s, struct go_att *a, const char *path,
		      const struct cs_go_tls *g)
{
	int e = link_at(a, s->progs.cs_go_write, path, g->write.offset);

	if (!e)
		e = link_at(a, s->progs.cs_go_read, path, g->read.offset);
	for (unsigned int i = 0; i < g->n_rets && !e; i++)
		e = link_at(a, s->progs.cs_go_read_ret, path, g->read_rets[i]);
	return e;
}

static int attach(struct cs_tls_slot *slot, const char *path, struct cs_tls_attach *out)
{
	struct cs_go_tls g;
	struct go_att *a;
	int e;

	e = cs_gofunc_find(path, &g);
	if (e) {
		snprintf(out->status, sizeof(out->status), "no Go crypto/tls: %.120s", g.reason);
		return -ENOENT;
	}
	e = load(slot);
	if (e)
		return e;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	e = attach_all(slot->obj, a, path, &g);
	if (e) {
		detach(a);
		return e;
	}
	out->att = a;
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

static void detach(void *att)
{
	(void)att;
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
	.detach = detach,
	.unload = unload,
};
