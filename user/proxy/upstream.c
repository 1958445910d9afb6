/* SPDX-License-Identifier: MIT */
/* upstream.c - resolve, connect, and optionally CONNECT through a parent proxy. */
#include "upstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_msg.h"

#define PARENT_REPLY_MAX 4096

struct cs_upstream {
	struct cs_loop *loop;
	struct cs_resolver *res;
	struct cs_resolve_req *rq;
	struct cs_watch w;
	int fd;
	char host[256]; /* the origin */
	uint16_t port;
	bool via_parent;
	struct sockaddr_storage addrs[CS_RESOLVE_MAX_ADDRS];
	socklen_t lens[CS_RESOLVE_MAX_ADDRS];
	size_t naddrs, next_addr;
	cs_upstream_check_fn check;
	int refused;	/* the first refusal of check */
	bool attempted; /* connect() was tried on an address */
	enum { UP_CONNECTING, UP_SEND_CONNECT, UP_READ_REPLY } st;
	char io[PARENT_REPLY_MAX];
	size_t io_len, io_off, scan;
	cs_upstream_fn fn;
	void *ctx;
};

int cs_parent_proxy_parse(const char *url, struct cs_parent_proxy *out)
{
	struct hm_request r;
	const char *a;
	size_t len;
	int st;

	memset(out, 0, sizeof(*out));
	if (!url || !*url)
		return 0;
	if (strncmp(url, "http://", 7))
		return -1;
	a = url + 7;
	len = strcspn(a, "/");
	if (a[len] && strcmp(a + len, "/"))
		return -1;
	/* Reuse the CONNECT authority parser: it wants "CONNECT host:port HTTP/1.1". */
	char line[600], out_unused[8];
	size_t olen;

	if (len > 300)
		return -1;
	snprintf(line, sizeof(line), "CONNECT %.*s HTTP/1.1\r\n\r\n", (int)len, a);
	st = hm_parse_request(line, strlen(line), &r, out_unused, sizeof(out_unused), &olen);
	if (st)
		return -1;
	snprintf(out->host, sizeof(out->host), "%s", r.host);
	out->port = r.port;
	return 0;
}

static void finish(struct cs_upstream *u, bool ok, const char *why)
{
	int fd = u->fd;

	if (fd >= 0)
		cs_loop_del(u->loop, &u->w);
	u->fd = -1;
	if (!ok && fd >= 0) {
		close(fd);
		fd = -1;
	}
	u->fn(u->ctx, ok ? fd : -1, ok || u->attempted ? 0 : u->refused, why);
	free(u);
}

static int try_connect(struct cs_upstream *u);

static void on_event(void *ctx, uint32_t ev);

static int start_next(struct cs_upstream *u)
{
	while (u->next_addr < u->naddrs) {
		if (!try_connect(u))
			return 0;
	}
	return -1;
}

static int try_connect(struct cs_upstream *u)
{
	size_t i = u->next_addr++;
	int fd, one = 1, verdict;

	/* The policy sees the very address handed to connect(): no rebinding in between. */
	verdict =
		u->check && !u->via_parent ? u->check(u->ctx, (struct sockaddr *)&u->addrs[i]) : 0;
	if (verdict) {
		if (!u->refused)
			u->refused = verdict;
		return -1;
	}
	u->attempted = true;
	fd = socket(u->addrs[i].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&u->addrs[i], u->lens[i]) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	if (cs_loop_add(u->loop, &u->w, fd, EPOLLOUT, on_event, u)) {
		close(fd);
		return -1;
	}
	u->fd = fd;
	u->st = UP_CONNECTING;
	return 0;
}

static void connected(struct cs_upstream *u)
{
	if (!u->via_parent) {
		finish(u, true, NULL);
		return;
	}
	bool v6 = strchr(u->host, ':') != NULL;
	int n = snprintf(u->io, sizeof(u->io),
			 v6 ? "CONNECT [%s]:%u HTTP/1.1\r\nHost: [%s]:%u\r\n\r\n"
			    : "CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n\r\n",
			 u->host, u->port, u->host, u->port);

	u->io_len = (size_t)n;
	u->io_off = 0;
	u->st = UP_SEND_CONNECT;
	cs_loop_set(u->loop, &u->w, EPOLLOUT);
}

/* Read the parent's reply byte-exactly up to its blank line: what follows is the tunnel's. */
static void read_reply(struct cs_upstream *u)
{
	struct hm_response resp;
	size_t end;

	for (;;) {
		ssize_t n = recv(u->fd, u->io + u->io_len, 1, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			finish(u, false, "parent proxy closed the connection");
			return;
		}
		u->io_len++;
		end = hm_head_end(u->io, u->io_len, &u->scan);
		if (end)
			break;
		if (u->io_len == sizeof(u->io)) {
			finish(u, false, "parent proxy reply too large");
			return;
		}
	}
	if (hm_parse_response(u->io, u->io_len, true, &resp) || resp.status / 100 != 2)
		finish(u, false, "parent proxy refused CONNECT");
	else
		finish(u, true, NULL);
}

static void on_event(void *ctx, uint32_t ev)
{
	struct cs_upstream *u = ctx;
	int err = 0;
	socklen_t el = sizeof(err);

	(void)ev;
	switch (u->st) {
	case UP_CONNECTING:
		getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err == EINPROGRESS)
			return;
		if (err) {
			cs_loop_del(u->loop, &u->w);
			close(u->fd);
			u->fd = -1;
			if (start_next(u))
				finish(u, false,
				       u->via_parent ? "parent proxy unreachable"
						     : "connection refused or unreachable");
			return;
		}
		connected(u);
		return;
	case UP_SEND_CONNECT: {
		ssize_t n = send(u->fd, u->io + u->io_off, u->io_len - u->io_off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			finish(u, false, "parent proxy write failed");
			return;
		}
		u->io_off += (size_t)n;
		if (u->io_off == u->io_len) {
			u->st = UP_READ_REPLY;
			u->io_len = 0;
			u->scan = 0;
			cs_loop_set(u->loop, &u->w, EPOLLIN);
		}
		return;
	}
	case UP_READ_REPLY:
		read_reply(u);
		return;
	}
}

static void on_resolved(void *ctx, int err, const struct sockaddr_storage *addrs,
			const socklen_t *lens, size_t n)
{
	struct cs_upstream *u = ctx;

	u->rq = NULL;
	if (err || !n) {
		finish(u, false, "name resolution failed");
		return;
	}
	memcpy(u->addrs, addrs, n * sizeof(addrs[0]));
	memcpy(u->lens, lens, n * sizeof(lens[0]));
	u->naddrs = n;
	if (start_next(u))
		finish(u, false, "connect failed");
}

/* Numeric addresses skip the resolver pool. */
static bool numeric(struct cs_upstream *u, const char *host, uint16_t port)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&u->addrs[0];
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&u->addrs[0];

	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		u->lens[0] = sizeof(*a4);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		u->lens[0] = sizeof(*a6);
	} else {
		return false;
	}
	u->naddrs = 1;
	return true;
}

struct cs_upstream *cs_upstream_open(struct cs_loop *loop, struct cs_resolver *res,
				     const struct cs_parent_proxy *parent, const char *host,
				     uint16_t port, cs_upstream_check_fn check, cs_upstream_fn fn,
				     void *ctx, int *refused)
{
	struct cs_upstream *u = calloc(1, sizeof(*u));
	const char *chost = host;
	uint16_t cport = port;

	*refused = 0;
	if (!u)
		return NULL;
	u->loop = loop;
	u->res = res;
	u->fd = -1;
	u->fn = fn;
	u->check = check;
	u->ctx = ctx;
	u->port = port;
	snprintf(u->host, sizeof(u->host), "%s", host);
	if (parent && parent->host[0]) {
		u->via_parent = true;
		chost = parent->host;
		cport = parent->port;
	}
	if (numeric(u, chost, cport)) {
		if (!start_next(u))
			return u;
		*refused = u->attempted ? 0 : u->refused;
		free(u);
		return NULL;
	}
	u->rq = cs_resolve(res, chost, cport, on_resolved, u);
	if (!u->rq) {
		free(u);
		return NULL;
	}
	return u;
}

void cs_upstream_cancel(struct cs_upstream *u)
{
	if (!u)
		return;
	if (u->rq)
		cs_resolve_cancel(u->res, u->rq);
	if (u->fd >= 0) {
		cs_loop_del(u->loop, &u->w);
		close(u->fd);
	}
	free(u);
}
