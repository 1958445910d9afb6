/* SPDX-License-Identifier: MIT */
/*
 * reqhost.h - two things read from an HTTP/1.x request head a hostile
 * process wrote:
 *  - the host its Host header names, for TLS connections whose library gave
 *    no SNI (Bun's BoringSSL is hooked below the SSL API): only a plain DNS
 *    name or IP literal is accepted, nothing that could carry a control byte
 *    or a path into a finding's `dest`;
 *  - a proxy head without its Proxy-Authorization lines (the proxy's
 *    credential, which must be written nowhere), their values handed over
 *    apart so that a secret put there is still scanned on its own.
 */
#ifndef CLAWSEC_REQHOST_H
#define CLAWSEC_REQHOST_H

#include <stddef.h>
#include <stdint.h>

#define CS_REQHOST_MAX 128

/*
 * p[0..n) starts with a request line ("METHOD target HTTP/1.x"): copies the
 * Host header's host, without the port, to host (NUL-terminated, at most
 * len - 1 bytes; len <= CS_REQHOST_MAX). Only the head within p is looked
 * at. Returns 0, or -1 when there is no acceptable Host header.
 */
int cs_req_host(const uint8_t *p, size_t n, char *host, size_t len);

typedef void (*cs_req_value_fn)(void *ctx, const uint8_t *value, size_t len);

/*
 * head[0..n) is a request head (through its blank line): copies it to out
 * (n bytes of room) without its Proxy-Authorization lines and calls fn with
 * each such line's value (spaces trimmed). Returns the length of the copy
 * (out may be NULL: only fn is called).
 */
size_t cs_req_strip_proxy_auth(const uint8_t *head, size_t n, uint8_t *out, cs_req_value_fn fn,
			       void *ctx);

#endif
