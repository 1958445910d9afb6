/* SPDX-License-Identifier: MIT */
/* tls_mitm.c - TLS contexts, leaf minting and the leaf cache (see tls_mitm.h). */
#include "tls_mitm.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca.h"

#define LEAF_VALID_SECS (2 * 86400)
#define HELLO_RECORD_MAX (32u << 10)
#define LEAF_REUSE_SECS 86400

struct leaf {
	char host[256];
	X509 *cert;
	time_t minted;
	uint64_t used;
};

struct cs_mitm {
	SSL_CTX *server, *client;
	X509 *ca;
	EVP_PKEY *ca_key, *leaf_key;
	struct leaf cache[CS_LEAF_CACHE_MAX];
	uint64_t clock;
	size_t minted, hits;
};

/* host_name entry of a server_name extension; "" when absent or not a plain name. */
static void sni_from_hello(SSL *ssl, char *out, size_t outlen)
{
	const unsigned char *p;
	size_t len, n;

	out[0] = '\0';
	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) || len < 5)
		return;
	if ((size_t)((p[0] << 8) | p[1]) != len - 2 || p[2] != 0)
		return;
	n = (size_t)((p[3] << 8) | p[4]);
	if (n == 0 || n + 5 > len || n >= outlen)
		return;
	for (size_t i = 0; i < n; i++)
		if (!isalnum(p[5 + i]) && p[5 + i] != '-' && p[5 + i] != '.' && p[5 + i] != '_')
			return;
	memcpy(out, p + 5, n);
	out[n] = '\0';
}

static int hello_cb(SSL *ssl, int *al, void *arg)
{
	struct cs_mitm_hello *h = SSL_get_app_data(ssl);

	(void)arg;
	if (!h) {
		*al = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	switch (h->decision) {
	case CS_HELLO_WAIT:
		if (!h->seen) {
			sni_from_hello(ssl, h->sni, sizeof(h->sni));
			h->seen = true;
		}
		return SSL_CLIENT_HELLO_RETRY;
	case CS_HELLO_GO:
		if (SSL_use_cert_and_key(ssl, h->leaf, h->key, NULL, 1) == 1)
			return SSL_CLIENT_HELLO_SUCCESS;
		*al = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	default:
		*al = SSL_AD_HANDSHAKE_FAILURE;
		return SSL_CLIENT_HELLO_ERROR;
	}
}

static SSL_CTX *server_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_client_hello_cb(ctx, hello_cb, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

static SSL_CTX *client_ctx(const char *bundle, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	static const unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
	int ok;

	if (!ctx) {
		snprintf(err, errlen, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn));
	ok = bundle && bundle[0] ? SSL_CTX_load_verify_locations(ctx, bundle, NULL)
				 : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		snprintf(err, errlen, "cannot load the upstream CA bundle %s",
			 bundle && bundle[0] ? bundle : "(system store)");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct cs_mitm *cs_mitm_new(const struct cs_config *c, const char *bundle, char *err, size_t errlen)
{
	struct cs_mitm *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (cs_ca_load(c, &m->ca, &m->ca_key, err, errlen))
		goto fail;
	m->leaf_key = EVP_EC_gen("P-256");
	m->server = server_ctx();
	if (!m->leaf_key || !m->server) {
		snprintf(err, errlen, "cannot set up the TLS server context");
		goto fail;
	}
	m->client = client_ctx(bundle, err, errlen);
	if (!m->client)
		goto fail;
	return m;
fail:
	cs_mitm_free(m);
	return NULL;
}

void cs_mitm_free(struct cs_mitm *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < CS_LEAF_CACHE_MAX; i++)
		X509_free(m->cache[i].cert);
	SSL_CTX_free(m->server);
	SSL_CTX_free(m->client);
	X509_free(m->ca);
	EVP_PKEY_free(m->ca_key);
	EVP_PKEY_free(m->leaf_key);
	free(m);
}

static bool is_ip(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int leaf_ext(X509 *x, X509 *ca, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* A leaf for host: SAN only (CN too when it fits), serverAuth, two days. */
static X509 *mint(struct cs_mitm *m, const char *host)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn = BN_new();
	char san[300];
	bool ok;

	snprintf(san, sizeof(san), "%s:%s", is_ip(host) ? "IP" : "DNS", host);
	ok = x && name && bn && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) && X509_set_version(x, 2) &&
	     (strlen(host) > 64 ||
	      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)host, -1,
					 -1, 0)) &&
	     X509_set_subject_name(x, name) &&
	     X509_set_issuer_name(x, X509_get_subject_name(m->ca)) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), LEAF_VALID_SECS) &&
	     X509_set_pubkey(x, m->leaf_key) &&
	     !leaf_ext(x, m->ca, NID_basic_constraints, "critical,CA:FALSE") &&
	     !leaf_ext(x, m->ca, NID_key_usage, "critical,digitalSignature") &&
	     !leaf_ext(x, m->ca, NID_ext_key_usage, "serverAuth") &&
	     !leaf_ext(x, m->ca, NID_subject_alt_name, san) &&
	     !leaf_ext(x, m->ca, NID_authority_key_identifier, "keyid:always") &&
	     X509_sign(x, m->ca_key, EVP_sha256());
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	X509_NAME_free(name);
	BN_free(bn);
	return x;
}

/* Cached leaf for host, minting (and evicting the least recently used) on a miss. */
static X509 *leaf_for(struct cs_mitm *m, const char *host)
{
	struct leaf *slot = &m->cache[0];
	time_t now = time(NULL);

	for (size_t i = 0; i < CS_LEAF_CACHE_MAX; i++) {
		struct leaf *l = &m->cache[i];

		if (l->cert && !strcmp(l->host, host) && now - l->minted < LEAF_REUSE_SECS) {
			l->used = ++m->clock;
			m->hits++;
			return l->cert;
		}
		if (!l->cert || l->used < slot->used)
			slot = l;
		if (!slot->cert)
			break;
	}
	X509 *x = mint(m, host);

	if (!x)
		return NULL;
	X509_free(slot->cert);
	snprintf(slot->host, sizeof(slot->host), "%s", host);
	slot->cert = x;
	slot->minted = now;
	slot->used = ++m->clock;
	m->minted++;
	return x;
}

/* Socket BIO callback: keep a copy of what the client sent until the decision. */
static long record_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
		      size_t *processed)
{
	struct cs_mitm_hello *h = (struct cs_mitm_hello *)BIO_get_callback_arg(b);
	size_t n = processed ? *processed : 0;

	(void)len, (void)argi, (void)argl;
	if (oper != (BIO_CB_READ | BIO_CB_RETURN) || ret <= 0 || !n || !h || h->rec_full ||
	    h->decision != CS_HELLO_WAIT)
		return ret;
	if (h->rec_len + n > HELLO_RECORD_MAX) {
		h->rec_full = true;
		return ret;
	}
	char *p = realloc(h->rec, h->rec_len + n);

	if (!p) {
		h->rec_full = true;
		return ret;
	}
	memcpy(p + h->rec_len, argp, n);
	h->rec = p;
	h->rec_len += n;
	return ret;
}

SSL *cs_mitm_client_ssl(struct cs_mitm *m, int fd, struct cs_mitm_hello *h)
{
	SSL *ssl = SSL_new(m->server);
	BIO *bio = BIO_new_socket(fd, BIO_NOCLOSE);

	if (!ssl || !bio) {
		SSL_free(ssl);
		BIO_free(bio);
		return NULL;
	}
	BIO_set_callback_ex(bio, record_cb);
	BIO_set_callback_arg(bio, (char *)h);
	SSL_set_bio(ssl, bio, bio);
	SSL_set_app_data(ssl, h);
	SSL_set_accept_state(ssl);
	return ssl;
}

SSL *cs_mitm_upstream_ssl(struct cs_mitm *m, int fd, const char *host)
{
	SSL *ssl = SSL_new(m->client);
	bool ok;

	if (!ssl)
		return NULL;
	if (is_ip(host))
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
	else
		ok = SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
	if (!ok || !SSL_set_fd(ssl, fd)) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_connect_state(ssl);
	return ssl;
}

int cs_mitm_decide(struct cs_mitm *m, struct cs_mitm_hello *h, const char *host, bool upstream_ok)
{
	X509 *leaf = upstream_ok ? leaf_for(m, host) : NULL;

	if (!leaf) {
		h->decision = CS_HELLO_FAIL;
		return upstream_ok ? -1 : 0;
	}
	X509_up_ref(leaf);
	EVP_PKEY_up_ref(m->leaf_key);
	cs_mitm_hello_clear(h);
	h->leaf = leaf;
	h->key = m->leaf_key;
	h->decision = CS_HELLO_GO;
	return 0;
}

void cs_mitm_hello_clear(struct cs_mitm_hello *h)
{
	X509_free(h->leaf);
	EVP_PKEY_free(h->key);
	h->leaf = NULL;
	h->key = NULL;
}

void cs_mitm_hello_drop_record(struct cs_mitm_hello *h)
{
	free(h->rec);
	h->rec = NULL;
	h->rec_len = 0;
	h->rec_full = true;
}

void cs_mitm_counts(const struct cs_mitm *m, size_t *minted, size_t *cached)
{
	*minted = m->minted;
	*cached = m->hits;
}
