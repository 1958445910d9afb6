/* SPDX-License-Identifier: MIT */
/* conn.c - connection lifecycle, buffered I/O with backpressure, tunnels and TLS. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

static void on_client(void *ctx, uint32_t ev);
static void on_upstream(void *ctx, uint32_t ev);

/* ---- buffers ---- */

/* Room for at least one byte while len < limit; the free space, 0 when full or short of memory. */
static size_t buf_room(struct cs_buf *b, size_t limit)
{
	if (b->len >= limit)
		return 0;
	if (b->off && b->off + b->len == b->cap) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	if (b->off + b->len == b->cap || b->cap < limit) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < limit && cap - b->len < CS_IO_CHUNK)
			cap *= 2;
		if (cap > limit)
			cap = limit;
		if (cap > b->cap) {
			if (b->off) {
				memmove(b->data, b->data + b->off, b->len);
				b->off = 0;
			}
			char *d = realloc(b->data, cap);

			if (!d)
				return b->cap - b->off - b->len;
			b->data = d;
			b->cap = cap;
		}
	}
	size_t room = b->cap - b->off - b->len;

	return room < limit - b->len ? room : limit - b->len;
}

int buf_append(struct cs_buf *b, const void *p, size_t n)
{
	if (buf_room(b, b->len + n) < n)
		return -1;
	memcpy(b->data + b->off + b->len, p, n);
	b->len += n;
	return 0;
}

static void buf_consume(struct cs_buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (!b->len)
		b->off = 0;
}

/* Give memory back when a buffer is empty: idle connections stay small. */
static void buf_trim(struct cs_buf *b)
{
	if (!b->len && b->data) {
		free(b->data);
		b->data = NULL;
		b->cap = b->off = 0;
	}
}

/* ---- socket / TLS I/O ---- */

/* >0 bytes, 0 would block (s->need updated), -1 end of stream, -2 error. */
static ssize_t side_read(struct side *s, char *p, size_t n)
{
	if (s->ssl) {
		size_t got = 0;
		int r, e;

		ERR_clear_error();
		r = SSL_read_ex(s->ssl, p, n, &got);
		if (r == 1)
			return (ssize_t)got;
		e = SSL_get_error(s->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			s->need |= e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
			return 0;
		}
		return e == SSL_ERROR_ZERO_RETURN ? -1 : -2;
	}
	for (;;) {
		ssize_t r = recv(s->w.fd, p, n, 0);

		if (r > 0)
			return r;
		if (r == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			s->need |= EPOLLIN;
			return 0;
		}
		return -2;
	}
}

static ssize_t side_write(struct side *s, const char *p, size_t n)
{
	if (s->ssl) {
		size_t put = 0;
		int r, e;

		ERR_clear_error();
		r = SSL_write_ex(s->ssl, p, n, &put);
		if (r == 1)
			return (ssize_t)put;
		e = SSL_get_error(s->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			s->need |= e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
			return 0;
		}
		return -2;
	}
	for (;;) {
		ssize_t r = send(s->w.fd, p, n, MSG_NOSIGNAL);

		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			s->need |= EPOLLOUT;
			return 0;
		}
		return -2;
	}
}

static void side_shutdown(struct side *s)
{
	if (s->wr_shut || s->w.fd < 0)
		return;
	s->wr_shut = true;
	if (s->ssl) {
		ERR_clear_error();
		SSL_shutdown(s->ssl);
	}
	shutdown(s->w.fd, SHUT_WR);
}

static void side_close(struct cs_proxy *px, struct side *s)
{
	if (s->ssl) {
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->w.fd >= 0) {
		int fd = s->w.fd;

		cs_loop_del(px->loop, &s->w);
		close(fd);
	}
	s->w.fd = -1;
	s->rd_eof = s->wr_shut = false;
	s->need = 0;
}

/* ---- lifecycle ---- */

void conn_drop_upstream(struct conn *c)
{
	side_close(c->px, &c->up);
	if (c->flow)
		cs_flow_close(c->flow);
	c->flow = NULL;
	c->host[0] = '\0';
	c->port = 0;
}

void conn_feed(struct conn *c, enum cs_direction dir, const void *p, size_t n)
{
	if (c->flow && n)
		cs_flow_feed(c->flow, dir, p, n);
}

void conn_new_flow(struct conn *c, const char *protocol, enum cs_format fmt)
{
	char dest[HM_HOST_MAX + 16];
	const char *name = c->tls_name[0] ? c->tls_name : c->host;

	if (c->flow)
		cs_flow_close(c->flow);
	snprintf(dest, sizeof(dest), strchr(name, ':') ? "[%s]:%u" : "%s:%u", name, c->port);
	struct cs_flow_info info = {
		.source = c->source, .dest = dest, .protocol = protocol, .format = fmt};

	c->flow = cs_flow_new(c->gen->det, &info);
}

void conn_accept(struct cs_proxy *px, int fd, const struct sockaddr_storage *peer,
		 const struct cs_peer_key *key)
{
	struct conn *c = calloc(1, sizeof(*c));
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (!c) {
		cs_peers_release(px->peers, key);
		close(fd);
		return;
	}
	c->peer = *key;
	if (peer->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)peer;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		port = ntohs(a->sin_port);
	} else if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)peer;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		port = ntohs(a->sin6_port);
	}
	snprintf(c->source, sizeof(c->source), "proxy/%s:%u", ip, port);
	c->px = px;
	c->gen = px->gen;
	c->gen->refs++;
	c->up.w.fd = -1;
	c->last_active = c->phase_start = cs_mono_ms();
	c->phase_timed = true;
	if (cs_loop_add(px->loop, &c->cl.w, fd, EPOLLIN, on_client, c)) {
		cs_peers_release(px->peers, key);
		close(fd);
		px_gen_put(c->gen);
		free(c);
		return;
	}
	c->next = px->conns;
	if (px->conns)
		px->conns->prev = c;
	px->conns = c;
	px->nconns++;
	atomic_fetch_add(&px->connections, 1);
	atomic_fetch_add(&px->active, 1);
}

void conn_close(struct conn *c)
{
	struct cs_proxy *px = c->px;

	if (c->dead)
		return;
	c->dead = true;
	cs_upstream_cancel(c->opening);
	c->opening = NULL;
	side_close(px, &c->cl);
	side_close(px, &c->up);
	if (c->flow)
		cs_flow_close(c->flow);
	c->flow = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		px->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	px->nconns--;
	cs_peers_release(px->peers, &c->peer);
	atomic_fetch_sub(&px->active, 1);
	c->next = px->dead;
	px->dead = c;
}

void conn_free(struct conn *c)
{
	free(c->cin.data);
	free(c->upout.data);
	free(c->cout.data);
	free(c->head);
	cs_mitm_hello_clear(&c->hello);
	cs_mitm_hello_drop_record(&c->hello);
	px_gen_put(c->gen);
	free(c);
}

int conn_answer(struct conn *c, int status, const char *reason, int refused)
{
	const char *why = cs_dest_reason_name(refused);
	char msg[384], hdr[64] = "", body[96];
	int n;

	if (refused) {
		snprintf(hdr, sizeof(hdr), "X-Clawsec-Refused: %s\r\n", why);
		snprintf(body, sizeof(body), "destination refused by the proxy policy: %s", why);
	} else {
		snprintf(body, sizeof(body), "%s", reason);
	}
	n = snprintf(msg, sizeof(msg),
		     "HTTP/1.1 %d %s\r\n%sContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s\n",
		     status, reason, hdr, strlen(body) + 1, body);

	c->close_after_flush = true;
	if (buf_append(&c->cout, msg, (size_t)n))
		return -1;
	c->ready = c->cout.len;
	return 0;
}

/* ---- upstream opening ---- */

static void opened(void *ctx, int fd, int refused, const char *why)
{
	struct conn *c = ctx;

	c->opening = NULL;
	if (fd < 0) {
		if (refused) {
			atomic_fetch_add(&c->px->dest_refused[refused], 1);
			why = cs_dest_reason_name(refused);
		} else {
			atomic_fetch_add(&c->px->upstream_errors, 1);
		}
		fprintf(stderr, "clawsec-traffic proxy: %s: upstream %s:%u: %s%s\n", c->source,
			c->host, c->port, refused ? "refused by the destination policy: " : "",
			why);
		if (c->st == C_HTTP) {
			http_upstream_failed(c, refused);
		} else {
			conn_answer(c, refused ? 403 : 502, refused ? "Forbidden" : "Bad Gateway",
				    refused);
			c->st = C_HTTP;
			c->rq = RQ_STOP;
		}
		conn_pump(c);
		return;
	}
	if (cs_loop_add(c->px->loop, &c->up.w, fd, 0, on_upstream, c)) {
		close(fd);
		conn_close(c);
		return;
	}
	if (c->st == C_HTTP)
		http_upstream_ready(c);
	else
		conn_connect_parsed(c);
	conn_pump(c);
}

/* The policy on one address about to be connected to (upstream.c asks, right before connect()). */
static int dest_check(void *ctx, const struct sockaddr *sa)
{
	struct conn *c = ctx;

	return (int)cs_dest_check_addr(&c->gen->rules, &c->px->local, c->host, sa);
}

/*
 * Through a parent proxy the parent resolves names, but a numeric target in
 * any spelling getaddrinfo() accepts ("2130706433", "0x7f.1") is judged here.
 */
static int parent_target_check(struct conn *c)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
	struct addrinfo *res = NULL;
	char port[8];
	int verdict = 0;

	snprintf(port, sizeof(port), "%u", c->port);
	if (getaddrinfo(c->host, port, &hints, &res))
		return 0; /* a name: the parent resolves it */
	for (struct addrinfo *a = res; a && !verdict; a = a->ai_next)
		verdict = dest_check(c, a->ai_addr);
	freeaddrinfo(res);
	return verdict;
}

void conn_open_upstream(struct conn *c, const char *host, uint16_t port)
{
	int refused;

	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port;
	refused = (int)cs_dest_check_request(&c->gen->rules, host, port, c->st == C_CONNECT);
	if (!refused && c->gen->parent.host[0])
		refused = parent_target_check(c);
	if (refused) {
		opened(c, -1, refused, NULL);
		return;
	}
	c->opening = cs_upstream_open(c->px->loop, c->px->res, &c->gen->parent, host, port,
				      dest_check, opened, c, &refused);
	if (!c->opening)
		opened(c, -1, refused, "cannot open a connection");
}

/* ---- CONNECT: tunnel or inspect ---- */

static bool excluded(const struct cs_config *cfg, const char *host)
{
	for (size_t i = 0; i < cfg->n_inspect_exclude; i++)
		if (cs_host_pattern_match(cfg->inspect_exclude[i], host))
			return true;
	return false;
}

static bool inspect(const struct conn *c)
{
	const struct cs_config *cfg = &c->gen->cfg;

	if (!c->gen->mitm || excluded(cfg, c->host))
		return false;
	for (size_t i = 0; i < cfg->n_inspect_ports; i++)
		if (cfg->inspect_ports[i] == c->port)
			return true;
	return false;
}

/*
 * Tunnel bytes are scanned only when they are not TLS (a handshake record
 * starts with 0x16): ciphertext would only cost time and invent matches.
 */
static void tunnel_decide(struct conn *c, unsigned char first)
{
	c->scan_decided = true;
	if (first != 0x16)
		conn_new_flow(c, "tcp", CS_FORMAT_AUTO);
}

static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";

/* The upstream of a CONNECT is open: say so, then relay opaque bytes or start inspection. */
void conn_connect_parsed(struct conn *c)
{
	if (buf_append(&c->cout, established, sizeof(established) - 1)) {
		conn_close(c);
		return;
	}
	c->ready = c->cout.len;
	c->phase_start = cs_mono_ms();
	if (inspect(c)) {
		if (c->cin.len) {
			/* Bytes sent before our 200: not a client we can terminate TLS for. */
			atomic_fetch_add(&c->px->client_errors, 1);
			conn_close(c);
			return;
		}
		c->st = C_TLS_CLIENT;
		c->phase_timed = true;
		return;
	}
	atomic_fetch_add(&c->px->tunnelled, 1);
	c->st = C_TUNNEL;
	c->phase_timed = false;
	if (c->cin.len) {
		tunnel_decide(c, (unsigned char)c->cin.data[c->cin.off]);
		conn_feed(c, CS_DIR_OUTBOUND, c->cin.data + c->cin.off, c->cin.len);
	}
}

static void tls_failed(struct conn *c, struct side *s, const char *what)
{
	unsigned long e = ERR_peek_error();
	char reason[160] = "";

	if (s == &c->up) {
		long v = SSL_get_verify_result(s->ssl);

		atomic_fetch_add(&c->px->upstream_errors, 1);
		if (v != X509_V_OK)
			snprintf(reason, sizeof(reason), "%s", X509_verify_cert_error_string(v));
	} else {
		atomic_fetch_add(&c->px->client_errors, 1);
	}
	if (!reason[0] && e)
		ERR_error_string_n(e, reason, sizeof(reason));
	fprintf(stderr, "clawsec-traffic proxy: %s: %s TLS with %s:%u failed: %s\n", c->source,
		what, c->tls_name[0] ? c->tls_name : c->host, c->port,
		reason[0] ? reason : "connection closed");
	ERR_clear_error();
}

/*
 * The ClientHello names an excluded host: give up the TLS session before any
 * answer and relay the client's bytes, the hello included, as a tunnel.
 */
static bool untls(struct conn *c)
{
	if (c->hello.rec_full || buf_append(&c->cin, c->hello.rec, c->hello.rec_len)) {
		conn_close(c); /* cannot replay what was read: better closed than inspected */
		return false;
	}
	cs_mitm_hello_drop_record(&c->hello);
	SSL_free(c->cl.ssl);
	c->cl.ssl = NULL;
	c->st = C_TUNNEL;
	c->scan_decided = true;
	c->phase_timed = false;
	atomic_fetch_add(&c->px->tunnelled, 1);
	return true;
}

/* Drive the two handshakes; returns true when something changed. */
static bool tls_step(struct conn *c)
{
	int r, e;

	if (c->st == C_TLS_CLIENT) {
		if (c->cout.len)
			return false; /* the 200 goes out in clear first */
		if (!c->cl.ssl) {
			c->cl.ssl = cs_mitm_client_ssl(c->gen->mitm, c->cl.w.fd, &c->hello);
			if (!c->cl.ssl) {
				conn_close(c);
				return false;
			}
		}
		ERR_clear_error();
		r = SSL_do_handshake(c->cl.ssl);
		if (r == 1) {
			cs_mitm_hello_drop_record(&c->hello);
			c->st = C_TLS_RELAY;
			c->phase_timed = false;
			atomic_fetch_add(&c->px->inspected, 1);
			conn_new_flow(c, "https", CS_FORMAT_HTTP);
			return true;
		}
		e = SSL_get_error(c->cl.ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			c->cl.need |= e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
			return false;
		}
		if (e == SSL_ERROR_WANT_CLIENT_HELLO_CB && c->hello.decision == CS_HELLO_WAIT) {
			if (c->hello.sni[0] && excluded(&c->gen->cfg, c->hello.sni))
				return untls(c);
			snprintf(c->tls_name, sizeof(c->tls_name), "%s",
				 c->hello.sni[0] ? c->hello.sni : c->host);
			c->up.ssl = cs_mitm_upstream_ssl(c->gen->mitm, c->up.w.fd, c->tls_name);
			if (!c->up.ssl) {
				conn_close(c);
				return false;
			}
			c->st = C_TLS_UP;
			return true;
		}
		if (c->hello.decision != CS_HELLO_FAIL)
			tls_failed(c, &c->cl, "client");
		conn_close(c);
		return false;
	}
	/* C_TLS_UP */
	ERR_clear_error();
	r = SSL_do_handshake(c->up.ssl);
	if (r == 1) {
		if (cs_mitm_decide(c->gen->mitm, &c->hello, c->tls_name, true))
			fprintf(stderr, "clawsec-traffic proxy: cannot mint a certificate for %s\n",
				c->tls_name);
		c->st = C_TLS_CLIENT;
		return true;
	}
	e = SSL_get_error(c->up.ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->up.need |= e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
		return false;
	}
	tls_failed(c, &c->up, "upstream");
	cs_mitm_decide(c->gen->mitm, &c->hello, c->tls_name, false);
	c->st = C_TLS_CLIENT; /* the client now gets a handshake_failure alert */
	return true;
}

/* ---- the pump ---- */

static bool relaying(const struct conn *c)
{
	return c->st == C_TUNNEL || c->st == C_TLS_RELAY;
}

static size_t cin_limit(const struct conn *c)
{
	if (c->st == C_HTTP && c->rq == RQ_HEAD)
		return c->gen->cfg.proxy_max_header_bytes + 1;
	return CS_IO_CHUNK;
}

static bool may_read_client(const struct conn *c)
{
	if (c->cl.rd_eof || c->close_after_flush)
		return false;
	if (c->st == C_HTTP)
		return c->rq == RQ_HEAD || c->rq == RQ_BODY;
	return relaying(c);
}

static bool read_client(struct conn *c)
{
	size_t room;
	ssize_t n;

	if (!may_read_client(c))
		return false;
	room = buf_room(&c->cin, cin_limit(c));
	if (!room)
		return false;
	n = side_read(&c->cl, c->cin.data + c->cin.off + c->cin.len, room);
	if (n == 0)
		return false;
	if (n < 0) {
		/* An error ends this direction like a FIN: what is buffered still goes out. */
		c->cl.rd_eof = true;
		return true;
	}
	if (c->st == C_TUNNEL && !c->scan_decided)
		tunnel_decide(c, (unsigned char)c->cin.data[c->cin.off + c->cin.len]);
	if (relaying(c))
		conn_feed(c, CS_DIR_OUTBOUND, c->cin.data + c->cin.off + c->cin.len, (size_t)n);
	c->cin.len += (size_t)n;
	return true;
}

static struct cs_buf *to_upstream(struct conn *c)
{
	return c->st == C_HTTP ? &c->upout : &c->cin;
}

static bool write_upstream(struct conn *c)
{
	struct cs_buf *b = to_upstream(c);
	ssize_t n;

	if (c->up.w.fd < 0 || c->opening || !b->len || c->up.wr_shut ||
	    (c->st != C_HTTP && !relaying(c)))
		return false;
	n = side_write(&c->up, b->data + b->off, b->len);
	if (n == 0)
		return false;
	if (n < 0) {
		conn_close(c);
		return false;
	}
	atomic_fetch_add(&c->px->bytes_up, (uint64_t)n);
	buf_consume(b, (size_t)n);
	return true;
}

static size_t cout_limit(const struct conn *c)
{
	if (c->st == C_HTTP && !c->rs_in_body)
		return c->ready + CS_RESP_HEAD_MAX;
	return CS_IO_CHUNK;
}

static bool read_upstream(struct conn *c)
{
	size_t room;
	ssize_t n;

	if (c->up.w.fd < 0 || c->opening || c->up.rd_eof || (c->st != C_HTTP && !relaying(c)))
		return false;
	room = buf_room(&c->cout, cout_limit(c));
	if (!room)
		return false;
	n = side_read(&c->up, c->cout.data + c->cout.off + c->cout.len, room);
	if (n == 0)
		return false;
	if (n < 0) {
		c->up.rd_eof = true;
		if (c->st == C_HTTP)
			http_upstream_eof(c);
		return true;
	}
	conn_feed(c, CS_DIR_INBOUND, c->cout.data + c->cout.off + c->cout.len, (size_t)n);
	c->cout.len += (size_t)n;
	if (c->st != C_HTTP)
		c->ready = c->cout.len;
	return true;
}

static bool write_client(struct conn *c)
{
	size_t len = c->ready < c->cout.len ? c->ready : c->cout.len;
	ssize_t n;

	if (!len || c->cl.wr_shut)
		return false;
	n = side_write(&c->cl, c->cout.data + c->cout.off, len);
	if (n == 0)
		return false;
	if (n < 0) {
		conn_close(c);
		return false;
	}
	atomic_fetch_add(&c->px->bytes_down, (uint64_t)n);
	buf_consume(&c->cout, (size_t)n);
	c->ready -= (size_t)n;
	return true;
}

/* Half-close in relays: pass each FIN on once its direction has drained. */
static void relay_shutdowns(struct conn *c)
{
	if (c->cl.rd_eof && !c->cin.len)
		side_shutdown(&c->up);
	if (c->up.rd_eof && !c->cout.len)
		side_shutdown(&c->cl);
	if (c->cl.wr_shut && c->up.wr_shut)
		conn_close(c);
}

static void finish_check(struct conn *c)
{
	if (c->close_after_flush && !c->cout.len) {
		conn_close(c);
		return;
	}
	if (relaying(c))
		relay_shutdowns(c);
	else if (c->st == C_HTTP && http_done(c))
		conn_close(c);
}

static void set_interest(struct conn *c)
{
	cs_loop_set(c->px->loop, &c->cl.w, c->cl.need);
	if (c->up.w.fd >= 0 && !c->opening)
		cs_loop_set(c->px->loop, &c->up.w, c->up.need);
}

void conn_pump(struct conn *c)
{
	bool progress;

	do {
		progress = false;
		c->cl.need = c->up.need = 0;
		if (c->st == C_TLS_CLIENT || c->st == C_TLS_UP) {
			progress |= write_client(c);
			if (!c->dead)
				progress |= tls_step(c);
			if (c->dead)
				return;
			continue;
		}
		progress |= read_client(c);
		if (!c->dead && c->st == C_HTTP)
			http_client_process(c);
		if (!c->dead)
			progress |= write_upstream(c);
		if (!c->dead)
			progress |= read_upstream(c);
		if (!c->dead && c->st == C_HTTP)
			http_upstream_process(c);
		if (!c->dead)
			progress |= write_client(c);
		if (!c->dead)
			finish_check(c);
		if (c->dead)
			return;
	} while (progress);
	if (c->st == C_HTTP && c->rq != RQ_BODY && !c->cin.len)
		buf_trim(&c->cin);
	buf_trim(&c->upout);
	buf_trim(&c->cout);
	set_interest(c);
}

static void on_event(struct conn *c, struct side *s, uint32_t ev)
{
	uint64_t before_up = atomic_load(&c->px->bytes_up);
	uint64_t before_down = atomic_load(&c->px->bytes_down);
	size_t before_in = c->cin.len, before_out = c->cout.len;

	c->last_active = cs_mono_ms();
	conn_pump(c);
	if (c->dead || !(ev & (EPOLLERR | EPOLLHUP)))
		return;
	if (before_up != atomic_load(&c->px->bytes_up) ||
	    before_down != atomic_load(&c->px->bytes_down) || before_in != c->cin.len ||
	    before_out != c->cout.len)
		return;
	/*
	 * A hang-up nothing could be done about now: the socket may still hold
	 * data the other side is not ready for. Stop watching it (it would spin)
	 * and let the other side's events drive it; an error, or both sides hung
	 * up, ends the connection.
	 */
	if (ev & EPOLLERR || c->cl.w.muted || c->up.w.muted || c->opening)
		conn_close(c);
	else
		cs_loop_mute(c->px->loop, &s->w);
}

static void on_client(void *ctx, uint32_t ev)
{
	struct conn *c = ctx;

	on_event(c, &c->cl, ev);
}

static void on_upstream(void *ctx, uint32_t ev)
{
	struct conn *c = ctx;

	on_event(c, &c->up, ev);
}

void conn_tick(struct conn *c, uint64_t now)
{
	const struct cs_config *cfg = &c->gen->cfg;

	if (c->phase_timed && now - c->phase_start > cfg->proxy_header_timeout_ms) {
		atomic_fetch_add(&c->px->client_errors, 1);
		if (c->st == C_HTTP && !c->inflight && !c->cout.len && c->rq == RQ_HEAD &&
		    c->cin.len) {
			conn_answer(c, 408, "Request Timeout", 0);
			c->rq = RQ_STOP;
			c->phase_timed = false;
			c->phase_start = now;
			conn_pump(c);
			return;
		}
		conn_close(c);
		return;
	}
	if (now - c->last_active > cfg->proxy_idle_timeout_ms)
		conn_close(c);
}
