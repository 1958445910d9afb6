/* SPDX-License-Identifier: MIT */
/*
 * post_loop.c - sequential keep-alive HTTP/1.1 POSTs over one connection, as
 * cheap as a client can make them (one write per request, one buffer, no
 * allocation in the loop), so that the server, not the client, is what limits
 * the rate: bench/run-capture.sh measures what watching the server costs.
 */
#include "post_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (16u << 20)
#define RESP_BUF (16u << 10)

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s --port N --ca FILE --size BYTES --seconds S [--host NAME] [--path P] "
		"[--go FILE]\n",
		prog);
}

static int set_opt(struct post_opts *o, const char *name, const char *v)
{
	if (!strcmp(name, "--host"))
		o->host = v;
	else if (!strcmp(name, "--port"))
		o->port = atoi(v);
	else if (!strcmp(name, "--path"))
		o->path = v;
	else if (!strcmp(name, "--ca"))
		o->ca = v;
	else if (!strcmp(name, "--go"))
		o->go = v;
	else if (!strcmp(name, "--size"))
		o->size = strtoul(v, NULL, 10);
	else if (!strcmp(name, "--seconds"))
		o->seconds = atof(v);
	else
		return -1;
	return 0;
}

int post_parse(int argc, char **argv, const char *prog, struct post_opts *o)
{
	*o = (struct post_opts){.host = "localhost", .path = "/bench", .size = 1024, .seconds = 5};
	for (int i = 1; i < argc; i += 2)
		if (i + 1 >= argc || set_opt(o, argv[i], argv[i + 1])) {
			usage(prog);
			return -1;
		}
	if (o->port <= 0 || o->port > 65535 || !o->ca || o->size > MAX_BODY || o->seconds <= 0) {
		usage(prog);
		return -1;
	}
	return 0;
}

int post_connect(const struct post_opts *o)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)o->port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timespec poll = {0, 20 * 1000 * 1000};
	int fd, one = 1;

	while (o->go && access(o->go, F_OK))
		nanosleep(&poll, NULL);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* the request goes out in one write: nothing for Nagle to hold back */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* The whole request, head and body, in one buffer: one TLS write per request. */
static char *build_request(const struct post_opts *o, size_t *len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "POST %s HTTP/1.1\r\nHost: %s:%d\r\n"
			 "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n\r\n",
			 o->path, o->host, o->port, o->size);
	char *req;

	if (n < 0 || (size_t)n >= sizeof(head))
		return NULL;
	req = malloc((size_t)n + o->size);
	if (!req)
		return NULL;
	memcpy(req, head, (size_t)n);
	memset(req + n, 'y', o->size);
	*len = (size_t)n + o->size;
	return req;
}

struct resp {
	char buf[RESP_BUF];
	size_t len;
};

static int fill(const struct post_io *io, struct resp *r)
{
	long n;

	if (r->len == sizeof(r->buf))
		return -1; /* a head larger than the buffer: not the bench server */
	n = io->read(io->ctx, r->buf + r->len, sizeof(r->buf) - r->len);
	if (n <= 0)
		return -1;
	r->len += (size_t)n;
	return 0;
}

static void consume(struct resp *r, size_t n)
{
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
}

/* Read one 200 response with a Content-Length and drop it: 0, or -1. */
static int read_response(const struct post_io *io, struct resp *r)
{
	char *end;
	long cl = -1;

	while (!(end = memmem(r->buf, r->len, "\r\n\r\n", 4)))
		if (fill(io, r))
			return -1;
	if (r->len < 12 || strncmp(r->buf + 8, " 200", 4))
		return -1;
	for (char *l = memmem(r->buf, (size_t)(end - r->buf), "\r\n", 2); l && l < end;
	     l = memmem(l + 2, (size_t)(end + 2 - (l + 2)), "\r\n", 2))
		if (!strncasecmp(l + 2, "content-length:", 15))
			cl = atol(l + 17);
	if (cl < 0)
		return -1;
	consume(r, (size_t)(end + 4 - r->buf));
	while ((long)r->len < cl) {
		cl -= (long)r->len;
		r->len = 0;
		if (fill(io, r))
			return -1;
	}
	consume(r, (size_t)cl);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_us(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
	       (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

int post_run(const struct post_opts *o, const struct post_io *io)
{
	static struct resp r;
	size_t len;
	char *req = build_request(o, &len);
	double start = now_s(), end = start + o->seconds, cpu0 = cpu_us(), secs;
	unsigned long n = 0;

	if (!req) {
		fprintf(stderr, "post: cannot build the request\n");
		return -1;
	}
	while (now_s() < end) {
		if (io->write_all(io->ctx, req, len) || read_response(io, &r)) {
			fprintf(stderr, "post: request %lu failed\n", n + 1);
			free(req);
			return -1;
		}
		n++;
	}
	free(req);
	secs = now_s() - start;
	printf("{\"requests\":%lu,\"seconds\":%.3f,\"rps\":%.1f,\"cpu_us_per_req\":%.1f}\n", n,
	       secs, (double)n / secs, n ? (cpu_us() - cpu0) / (double)n : 0.0);
	return 0;
}
