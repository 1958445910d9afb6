/* SPDX-License-Identifier: MIT */
/*
 * tls_mitm.h - HTTPS inspection: terminate the client's TLS with a short-lived
 * leaf certificate minted from the host-held CA for the name the client asked
 * for, and re-originate TLS to the real server with full verification.
 *
 * The client handshake pauses right after its ClientHello (OpenSSL's client
 * hello callback) so the upstream handshake can finish first: the client only
 * gets a leaf for a name whose real certificate verified, and a failed
 * upstream verification becomes a handshake_failure alert to the client,
 * never a silent downgrade.
 */
#ifndef CLAWSEC_PROXY_TLS_MITM_H
#define CLAWSEC_PROXY_TLS_MITM_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "config.h"

#define CS_LEAF_CACHE_MAX 256

struct cs_mitm;

/* Where the client handshake stands; owned by the connection, set as the SSL's app data. */
struct cs_mitm_hello {
	bool seen;     /* the ClientHello arrived: sni is valid */
	char sni[256]; /* "" when the client sent none */
	enum { CS_HELLO_WAIT = 0, CS_HELLO_GO, CS_HELLO_FAIL } decision;
	X509 *leaf; /* set with CS_HELLO_GO */
	EVP_PKEY *key;
	/*
	 * The client's bytes as read until the decision, so a connection whose
	 * SNI turns out to be excluded can still become a plain tunnel.
	 */
	char *rec;
	size_t rec_len;
	bool rec_full; /* too much to keep: the connection cannot fall back */
};

/*
 * Load the CA from the config's CA directory; upstream certificates are
 * verified against `bundle` when non-empty, else the system store.
 */
struct cs_mitm *cs_mitm_new(const struct cs_config *c, const char *bundle, char *err,
			    size_t errlen);
void cs_mitm_free(struct cs_mitm *m);

/* Server-side SSL for the client socket; `h` must outlive it. */
SSL *cs_mitm_client_ssl(struct cs_mitm *m, int fd, struct cs_mitm_hello *h);
/* Client-side SSL to the origin, verifying `host` (a name or an IP literal). */
SSL *cs_mitm_upstream_ssl(struct cs_mitm *m, int fd, const char *host);
/* Let the paused client handshake continue with a leaf for host, or fail it. 0 or -1. */
int cs_mitm_decide(struct cs_mitm *m, struct cs_mitm_hello *h, const char *host, bool upstream_ok);
void cs_mitm_hello_clear(struct cs_mitm_hello *h);
/* Stop recording the client's bytes and free them. */
void cs_mitm_hello_drop_record(struct cs_mitm_hello *h);

/* Leaves minted and cache hits, for tests and statistics. */
void cs_mitm_counts(const struct cs_mitm *m, size_t *minted, size_t *cached);

#endif
