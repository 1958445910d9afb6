/* SPDX-License-Identifier: MIT */
/*
 * upstream.h - open a TCP connection to an origin, either directly or by a
 * CONNECT through a configured parent proxy (http://host:port), so the
 * guardian can sit in front of a credential gateway instead of replacing it.
 * Everything is non-blocking; the result arrives through a callback.
 */
#ifndef CLAWSEC_PROXY_UPSTREAM_H
#define CLAWSEC_PROXY_UPSTREAM_H

#include <stdint.h>

#include "loop.h"
#include "resolve.h"

struct cs_parent_proxy {
	char host[256]; /* "" = connect directly */
	uint16_t port;
};

/* Parse "http://host:port" (or "" for none); 0 or -1. */
int cs_parent_proxy_parse(const char *url, struct cs_parent_proxy *out);

struct cs_upstream;

/*
 * fd >= 0: connected (and tunnelled through the parent when there is one);
 * ownership of fd passes to the callee. fd < 0: `why` says what failed, and
 * `refused` is the check's verdict when every address was refused by it
 * (0 otherwise). Called from the loop, never from inside cs_upstream_open().
 */
typedef void (*cs_upstream_fn)(void *ctx, int fd, int refused, const char *why);
/*
 * Asked for every address, after resolution and right before connect(): 0
 * lets it be connected to, anything else skips it. Not asked for the parent
 * proxy's address (the operator chose it).
 */
typedef int (*cs_upstream_check_fn)(void *ctx, const struct sockaddr *sa);

/*
 * Start opening; NULL when it failed at once (no callback then), with
 * *refused = the check's verdict on a numeric host, or 0.
 */
struct cs_upstream *cs_upstream_open(struct cs_loop *loop, struct cs_resolver *res,
				     const struct cs_parent_proxy *parent, const char *host,
				     uint16_t port, cs_upstream_check_fn check, cs_upstream_fn fn,
				     void *ctx, int *refused);
/* Abandon a pending open: no callback, everything freed. */
void cs_upstream_cancel(struct cs_upstream *u);

#endif
