/* SPDX-License-Identifier: MIT */
/*
 * resolve.h - name resolution off the event loop: getaddrinfo() blocks, so
 * a small fixed pool of threads runs it and hands results back through the
 * loop's wakeup. Numeric addresses never reach the pool.
 */
#ifndef CLAWSEC_PROXY_RESOLVE_H
#define CLAWSEC_PROXY_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"

#define CS_RESOLVE_MAX_ADDRS 4

struct cs_resolver;
struct cs_resolve_req;

/* err is 0 or an EAI_* code; called on the loop thread, never after cancel. */
typedef void (*cs_resolve_fn)(void *ctx, int err, const struct sockaddr_storage *addrs,
			      const socklen_t *lens, size_t n);

struct cs_resolver *cs_resolver_new(struct cs_loop *loop, unsigned threads);
void cs_resolver_free(struct cs_resolver *r);
/* NULL when the queue is full or memory is short. */
struct cs_resolve_req *cs_resolve(struct cs_resolver *r, const char *host, uint16_t port,
				  cs_resolve_fn fn, void *ctx);
/* The callback will not run; the request is freed by the pool. */
void cs_resolve_cancel(struct cs_resolver *r, struct cs_resolve_req *q);
/* Deliver finished lookups; call from the loop's wake hook. */
void cs_resolver_deliver(struct cs_resolver *r);

#endif
