/* SPDX-License-Identifier: MIT */
/*
 * proxy_load.c - a closed-loop HTTP/1.1 load client for bench/run-proxy.sh,
 * used where wrk cannot go: HTTPS through an explicit proxy (CONNECT, then
 * TLS to the origin through the tunnel). Each connection runs on its own
 * thread with blocking I/O and keep-alive, sends GET, reads a response with
 * Content-Length, and records the latency; the same client is used for every
 * proxy compared, so the numbers are comparable with each other.
 *
 * usage: proxy_load --proxy HOST:PORT --target HOST:PORT --path P --conns N
 *                   --seconds S [--tls --ca FILE] [--direct] [--rate R]
 * --direct sends origin-form requests to --proxy as if it were the origin (the
 * baseline); --rate paces each connection to R requests/s on a fixed schedule,
 * latency counted from the scheduled time (no coordinated omission), so added
 * latency can be measured below saturation.
 * prints {"requests":N,"errors":N,"seconds":S,"rps":R,"p50_ms":X,"p99_ms":Y}
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_SAMPLES (1u << 20)
#define BUF_SIZE (64u << 10)

struct opts {
	char proxy_host[64], target[256], target_host[256], path[256];
	int proxy_port, conns;
	double seconds, rate;
	bool tls, direct;
	const char *ca;
};

struct worker {
	pthread_t t;
	const struct opts *o;
	SSL_CTX *ctx;
	double deadline;
	uint32_t *lat_us;
	size_t n, cap;
	uint64_t errors;
	int fd;
	SSL *ssl;
	char buf[BUF_SIZE];
	size_t len;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int io_write(struct worker *w, const char *p, size_t n)
{
	while (n) {
		ssize_t r = w->ssl ? SSL_write(w->ssl, p, (int)n) : send(w->fd, p, n, MSG_NOSIGNAL);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Append what arrives to w->buf; -1 on EOF/error. */
static int io_fill(struct worker *w)
{
	ssize_t r;

	if (w->len == sizeof(w->buf))
		return -1;
	r = w->ssl ? SSL_read(w->ssl, w->buf + w->len, (int)(sizeof(w->buf) - w->len))
		   : recv(w->fd, w->buf + w->len, sizeof(w->buf) - w->len, 0);
	if (r <= 0)
		return -1;
	w->len += (size_t)r;
	return 0;
}

static void consume(struct worker *w, size_t n)
{
	memmove(w->buf, w->buf + n, w->len - n);
	w->len -= n;
}

/* Read one response head; its Content-Length in *cl (-1 when absent). Head length or -1. */
static long read_head(struct worker *w, long *cl, int *status)
{
	char *end;

	while (!(end = memmem(w->buf, w->len, "\r\n\r\n", 4)))
		if (io_fill(w))
			return -1;
	*cl = -1;
	*status = atoi(w->buf + 9);
	for (char *l = strstr(w->buf, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n"))
		if (!strncasecmp(l + 2, "content-length:", 15))
			*cl = atol(l + 17);
	return end + 4 - w->buf;
}

static int one_request(struct worker *w)
{
	char req[768];
	long head, cl;
	int status, n;

	if (w->o->tls || w->o->direct)
		n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", w->o->path,
			     w->o->target);
	else
		n = snprintf(req, sizeof(req), "GET http://%s%s HTTP/1.1\r\nHost: %s\r\n\r\n",
			     w->o->target, w->o->path, w->o->target);
	if (io_write(w, req, (size_t)n))
		return -1;
	head = read_head(w, &cl, &status);
	if (head < 0 || cl < 0 || status != 200)
		return -1;
	consume(w, (size_t)head);
	while ((long)w->len < cl) {
		cl -= (long)w->len;
		w->len = 0;
		if (io_fill(w))
			return -1;
	}
	consume(w, (size_t)cl);
	return 0;
}

static void disconnect(struct worker *w)
{
	if (w->ssl)
		SSL_free(w->ssl);
	w->ssl = NULL;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->len = 0;
}

static int dial(struct worker *w)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(w->o->proxy_port)};
	int one = 1, status;
	long cl;

	inet_pton(AF_INET, w->o->proxy_host, &a.sin_addr);
	w->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (w->fd < 0 || connect(w->fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!w->o->tls)
		return 0;
	char req[600];
	int n = snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", w->o->target,
			 w->o->target);
	long head;

	if (io_write(w, req, (size_t)n))
		return -1;
	head = read_head(w, &cl, &status);
	if (head < 0 || status != 200)
		return -1;
	consume(w, (size_t)head);
	w->ssl = SSL_new(w->ctx);
	SSL_set_fd(w->ssl, w->fd);
	SSL_set_tlsext_host_name(w->ssl, w->o->target_host);
	SSL_set1_host(w->ssl, w->o->target_host);
	return SSL_connect(w->ssl) == 1 ? 0 : -1;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	double next = now_s();

	w->fd = -1;
	while (now_s() < w->deadline) {
		if (w->fd < 0 && dial(w)) {
			w->errors++;
			disconnect(w);
			usleep(1000);
			continue;
		}
		double t0 = now_s();

		if (w->o->rate > 0) {
			if (next > t0) {
				usleep((useconds_t)((next - t0) * 1e6));
				t0 = next;
			} else {
				t0 = next; /* late: the wait counts as latency */
			}
			next += 1.0 / w->o->rate;
		}
		if (one_request(w)) {
			w->errors++;
			disconnect(w);
			continue;
		}
		if (w->n < w->cap)
			w->lat_us[w->n++] = (uint32_t)((now_s() - t0) * 1e6);
	}
	disconnect(w);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int parse(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--tls")) {
			o->tls = true;
			continue;
		}
		if (!strcmp(a, "--direct")) {
			o->direct = true;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(a, "--proxy")) {
			if (sscanf(v, "%63[^:]:%d", o->proxy_host, &o->proxy_port) != 2)
				return -1;
		} else if (!strcmp(a, "--target")) {
			snprintf(o->target, sizeof(o->target), "%s", v);
			snprintf(o->target_host, sizeof(o->target_host), "%.*s",
				 (int)strcspn(v, ":"), v);
		} else if (!strcmp(a, "--path")) {
			snprintf(o->path, sizeof(o->path), "%s", v);
		} else if (!strcmp(a, "--conns")) {
			o->conns = atoi(v);
		} else if (!strcmp(a, "--seconds")) {
			o->seconds = atof(v);
		} else if (!strcmp(a, "--rate")) {
			o->rate = atof(v);
		} else if (!strcmp(a, "--ca")) {
			o->ca = v;
		} else {
			return -1;
		}
	}
	return o->proxy_port && o->target[0] && o->path[0] && o->conns > 0 && o->seconds > 0 &&
			       (!o->tls || o->ca)
		       ? 0
		       : -1;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct worker *ws;
	SSL_CTX *ctx = NULL;
	uint32_t *all;
	size_t total = 0;
	uint64_t errors = 0;
	double start;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: proxy_load --proxy HOST:PORT --target HOST:PORT --path P "
				"--conns N --seconds S [--tls --ca FILE] [--direct] [--rate R]\n");
		return 2;
	}
	if (o.tls) {
		ctx = SSL_CTX_new(TLS_client_method());
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (SSL_CTX_load_verify_locations(ctx, o.ca, NULL) != 1) {
			fprintf(stderr, "proxy_load: cannot load %s\n", o.ca);
			return 1;
		}
	}
	ws = calloc((size_t)o.conns, sizeof(*ws));
	start = now_s();
	for (int i = 0; i < o.conns; i++) {
		ws[i].o = &o;
		ws[i].ctx = ctx;
		ws[i].deadline = start + o.seconds;
		ws[i].cap = MAX_SAMPLES / (size_t)o.conns;
		ws[i].lat_us = malloc(ws[i].cap * sizeof(uint32_t));
		pthread_create(&ws[i].t, NULL, run, &ws[i]);
	}
	for (int i = 0; i < o.conns; i++) {
		pthread_join(ws[i].t, NULL);
		total += ws[i].n;
		errors += ws[i].errors;
	}
	double secs = now_s() - start;

	all = malloc((total ? total : 1) * sizeof(uint32_t));
	total = 0;
	for (int i = 0; i < o.conns; i++) {
		memcpy(all + total, ws[i].lat_us, ws[i].n * sizeof(uint32_t));
		total += ws[i].n;
		free(ws[i].lat_us);
	}
	qsort(all, total, sizeof(uint32_t), cmp_u32);
	printf("{\"requests\":%zu,\"errors\":%llu,\"seconds\":%.2f,\"rps\":%.1f,\"p50_ms\":%.3f,"
	       "\"p99_ms\":%.3f}\n",
	       total, (unsigned long long)errors, secs, (double)total / secs,
	       total ? all[total / 2] / 1000.0 : 0, total ? all[total * 99 / 100] / 1000.0 : 0);
	free(all);
	free(ws);
	SSL_CTX_free(ctx);
	return 0;
}
