/* SPDX-License-Identifier: MIT */
/*
 * post_openssl.c - the server-side bench client (issue 13): sequential
 * keep-alive HTTPS POSTs over one OpenSSL connection, cheap enough that the
 * Node server it loads is the bottleneck (Node's own fetch() client is not).
 *
 * usage: bench_post_openssl --port N --ca FILE --size BYTES --seconds S
 *                           [--host NAME] [--path P] [--go FILE]
 */
#include "post_loop.h"

#include <stdio.h>
#include <unistd.h>

#include <openssl/ssl.h>

static int ossl_write_all(void *ctx, const char *p, size_t n)
{
	size_t done;

	while (n) {
		if (SSL_write_ex(ctx, p, n, &done) != 1)
			return -1;
		p += done;
		n -= done;
	}
	return 0;
}

static long ossl_read(void *ctx, char *p, size_t n)
{
	size_t got;

	return SSL_read_ex(ctx, p, n, &got) == 1 ? (long)got : -1;
}

static SSL_CTX *client_ctx(const char *ca)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	if (!c)
		return NULL;
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(c, ca, NULL) != 1) {
		fprintf(stderr, "bench_post_openssl: cannot load %s\n", ca);
		SSL_CTX_free(c);
		return NULL;
	}
	return c;
}

static int handshake(SSL *s, int fd, const char *host)
{
	return SSL_set_fd(s, fd) == 1 && SSL_set_tlsext_host_name(s, host) == 1 &&
			       SSL_set1_host(s, host) == 1 && SSL_connect(s) == 1
		       ? 0
		       : -1;
}

int main(int argc, char **argv)
{
	struct post_opts o;
	SSL_CTX *c;
	SSL *s = NULL;
	int fd = -1, rc = 1;

	if (post_parse(argc, argv, "bench_post_openssl", &o))
		return 2;
	c = client_ctx(o.ca);
	if (c && (fd = post_connect(&o)) >= 0 && (s = SSL_new(c))) {
		if (handshake(s, fd, o.host))
			fprintf(stderr, "bench_post_openssl: TLS handshake failed\n");
		else
			rc = post_run(&o, &(struct post_io){s, ossl_write_all, ossl_read}) ? 1 : 0;
	}
	SSL_free(s);
	if (fd >= 0)
		close(fd);
	SSL_CTX_free(c);
	return rc;
}
