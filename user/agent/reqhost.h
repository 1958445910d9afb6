/* SPDX-License-Identifier: MIT */
/*
 * reqhost.h - the host name an HTTP/1.x request head names in its Host
 * header, for TLS connections whose library gave no SNI (Bun's BoringSSL is
 * hooked below the SSL API). The bytes come from a hostile process: only a
 * plain DNS name or IP literal is accepted, nothing that could carry a
 * control byte or a path into a finding's `dest`.
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

#endif
