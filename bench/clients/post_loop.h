/* SPDX-License-Identifier: MIT */
/*
 * post_loop.h - the part every bench load client shares: options, the wait for
 * the go-file, one loopback TCP connection, and the loop of sequential
 * keep-alive POSTs. Each client only plugs its TLS library in (struct post_io).
 */
#ifndef CS_BENCH_POST_LOOP_H
#define CS_BENCH_POST_LOOP_H

#include <stddef.h>

struct post_opts {
	const char *host; /* SNI, certificate name and Host header */
	int port;	  /* on 127.0.0.1: bench traffic stays on loopback */
	const char *path;
	const char *ca; /* PEM file of the server's certificate */
	const char *go; /* start only once this file exists (or NULL) */
	size_t size;	/* request body bytes */
	double seconds;
};

/* One established TLS connection, blocking. */
struct post_io {
	void *ctx;
	/* Write all n bytes: 0, or -1 on error. */
	int (*write_all)(void *ctx, const char *p, size_t n);
	/* Read up to n bytes: how many (> 0), or -1 on EOF or error. */
	long (*read)(void *ctx, char *p, size_t n);
};

/* Parse argv (see post_usage); 0, or -1 with the usage printed. */
int post_parse(int argc, char **argv, const char *prog, struct post_opts *o);
/* Wait for o->go, then connect to 127.0.0.1:o->port: the socket, or -1. */
int post_connect(const struct post_opts *o);
/* POST for o->seconds, then print {"requests","seconds","rps","cpu_us_per_req"}
 * on stdout: 0, or -1 (reason on stderr) if a request failed. */
int post_run(const struct post_opts *o, const struct post_io *io);

#endif
