/* SPDX-License-Identifier: MIT */
/*
 * post_gnutls.c - the GnuTLS bench client (issue 12): sequential keep-alive
 * HTTPS POSTs over one connection through libgnutls.so.30's
 * gnutls_record_send/recv, the calls git and wget make through libcurl-gnutls,
 * so bench/run-capture.sh can measure what watching a GnuTLS client costs.
 *
 * usage: bench_post_gnutls --port N --ca FILE --size BYTES --seconds S
 *                          [--host NAME] [--path P] [--go FILE]
 */
#include "post_loop.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

static int gt_write_all(void *ctx, const char *p, size_t n)
{
	while (n) {
		/* a call sends at most one record's worth: loop for the rest */
		ssize_t r = gnutls_record_send(ctx, p, n);

		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static long gt_read(void *ctx, char *p, size_t n)
{
	ssize_t r;

	do
		r = gnutls_record_recv(ctx, p, n);
	while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
	return r > 0 ? (long)r : -1;
}

static int session_init(gnutls_session_t *s, gnutls_certificate_credentials_t cred,
			const char *host, int fd)
{
	int r;

	if (gnutls_init(s, GNUTLS_CLIENT) < 0)
		return -1;
	if (gnutls_set_default_priority(*s) < 0 ||
	    gnutls_credentials_set(*s, GNUTLS_CRD_CERTIFICATE, cred) < 0 ||
	    gnutls_server_name_set(*s, GNUTLS_NAME_DNS, host, strlen(host)) < 0)
		return -1;
	gnutls_session_set_verify_cert(*s, host, 0);
	gnutls_transport_set_int(*s, fd);
	do
		r = gnutls_handshake(*s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0)
		fprintf(stderr, "bench_post_gnutls: handshake: %s\n", gnutls_strerror(r));
	return r < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct post_opts o;
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t s = NULL;
	int fd = -1, rc = 1;

	if (post_parse(argc, argv, "bench_post_gnutls", &o))
		return 2;
	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_certificate_set_x509_trust_file(cred, o.ca, GNUTLS_X509_FMT_PEM) <= 0) {
		fprintf(stderr, "bench_post_gnutls: cannot load %s\n", o.ca);
	} else if ((fd = post_connect(&o)) >= 0 && !session_init(&s, cred, o.host, fd)) {
		rc = post_run(&o, &(struct post_io){s, gt_write_all, gt_read}) ? 1 : 0;
		gnutls_bye(s, GNUTLS_SHUT_WR);
	}
	if (s)
		gnutls_deinit(s);
	if (fd >= 0)
		close(fd);
	if (cred)
		gnutls_certificate_free_credentials(cred);
	return rc;
}
