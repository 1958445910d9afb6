/* SPDX-License-Identifier: MIT */
/* flows.c - reassemble capture records per connection and feed the detector. */
#include <linux/types.h>

#include "flows.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "capture.h"
#include "http_msg.h"
#include "reqhost.h"
#include "sockpeer.h"

enum { KIND_SSL = 1, KIND_SOCK = 2 };
enum { TLS_UNKNOWN = 0, TLS_NO, TLS_YES };

/* Where the next bytes of a call in one direction are expected. */
struct callstate {
	bool active;
	uint32_t call_id, next, captured, total;
};

/* Held data is a run of segments: header then `len` bytes (none for a gap). */
struct seg {
	uint8_t dir;
	uint8_t gap;
	uint32_t len;
};

struct entry {
	struct entry *hnext;	   /* hash chain */
	struct entry *prev, *next; /* LRU list, most recent first */
	uint32_t tgid;
	uint8_t kind;
	uint64_t conn;
	struct cs_flow *flow;
	struct callstate call[2];
	/* socket */
	char peer[64]; /* "ip:port", "" when unknown */
	uint16_t rport;
	int tls;
	bool http;
	char tunnel[HM_HOST_MAX + 8]; /* "host:port" of a CONNECT or absolute-form request */
	/* both: the Host header of a TLS request, when the library gave no SNI */
	char host[CS_REQHOST_MAX];
	/* SSL */
	char sni[CS_SNI_LEN];
	bool host_tried;
	int32_t fd;
	bool have_fd;
	/* data held until the destination is known */
	bool holding;
	uint8_t *hold;
	size_t hold_len;
	uint64_t hold_since_ns;
};

struct cs_flows {
	struct cs_detector *d;
	cs_source_fn fn;
	void *ctx;
	size_t max, n, nbuckets;
	struct entry **buckets;
	struct entry lru; /* sentinel */
	size_t hold_total;
	struct cs_flows_stats st;
};

static size_t bucket_of(const struct cs_flows *fl, uint32_t tgid, uint8_t kind, uint64_t conn)
{
	uint64_t h = conn * 0x9e3779b97f4a7c15ull ^ ((uint64_t)tgid << 8 | kind);

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (size_t)(h & (fl->nbuckets - 1));
}

struct cs_flows *cs_flows_new(struct cs_detector *d, size_t max_flows, cs_source_fn fn, void *ctx)
{
	struct cs_flows *fl = calloc(1, sizeof(*fl));

	if (!fl)
		return NULL;
	fl->max = max_flows ? max_flows : CS_FLOWS_MAX_DEFAULT;
	for (fl->nbuckets = 64; fl->nbuckets < fl->max; fl->nbuckets <<= 1)
		;
	fl->buckets = calloc(fl->nbuckets, sizeof(*fl->buckets));
	if (!fl->buckets) {
		free(fl);
		return NULL;
	}
	fl->d = d;
	fl->fn = fn;
	fl->ctx = ctx;
	fl->lru.next = fl->lru.prev = &fl->lru;
	return fl;
}

static void lru_unlink(struct entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void lru_push(struct cs_flows *fl, struct entry *e)
{
	e->next = fl->lru.next;
	e->prev = &fl->lru;
	fl->lru.next->prev = e;
	fl->lru.next = e;
}

static struct entry *find(struct cs_flows *fl, uint32_t tgid, uint8_t kind, uint64_t conn)
{
	struct entry *e = fl->buckets[bucket_of(fl, tgid, kind, conn)];

	while (e && !(e->tgid == tgid && e->kind == kind && e->conn == conn))
		e = e->hnext;
	return e;
}

static void format_addr(uint16_t family, const uint8_t *addr, uint16_t port, char *out, size_t len)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char ip[INET6_ADDRSTRLEN] = "?";

	if (family == AF_INET6 && !memcmp(addr, v4mapped, 12)) {
		inet_ntop(AF_INET, addr + 12, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, port);
	} else if (family == AF_INET6) {
		inet_ntop(AF_INET6, addr, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%u", ip, port);
	} else {
		inet_ntop(AF_INET, addr, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, port);
	}
}

/* A socket's peer from /proc when its connect()/accept() was not seen. */
static void learn_peer(struct entry *s)
{
	struct cs_sock_peer p;

	if (s->peer[0] || cs_sock_peer(s->tgid, (int)s->conn, &p))
		return;
	format_addr(p.family, p.raddr, p.rport, s->peer, sizeof(s->peer));
	s->rport = p.rport;
}

static void dest_of(struct cs_flows *fl, struct entry *e, char *out, size_t len)
{
	struct entry *s = e;
	const char *name;

	if (e->kind == KIND_SSL)
		s = e->have_fd ? find(fl, e->tgid, KIND_SOCK, (uint64_t)e->fd) : NULL;
	name = e->sni[0] ? e->sni : e->host[0] ? e->host : s ? s->host : "";
	/* through a proxy the peer is the proxy: the request named the real one */
	if (s && s->tunnel[0])
		snprintf(out, len, "%s", s->tunnel);
	else if (name[0] && s && s->peer[0])
		snprintf(out, len, "%s:%u", name, s->rport);
	else if (name[0])
		snprintf(out, len, "%s:0", name);
	else if (s && s->peer[0])
		snprintf(out, len, "%s", s->peer);
	else
		snprintf(out, len, "unknown:0");
}

/* The destination may have become better known since the flow was opened. */
static void refresh_dest(struct cs_flows *fl, struct entry *e)
{
	char dest[CS_SNI_LEN + HM_HOST_MAX + 16];

	if (!e->flow)
		return;
	dest_of(fl, e, dest, sizeof(dest));
	cs_flow_set_dest(e->flow, dest);
}

static void ensure_flow(struct cs_flows *fl, struct entry *e)
{
	char source[128], dest[CS_SNI_LEN + HM_HOST_MAX + 16];
	struct cs_flow_info info = {.format = CS_FORMAT_AUTO};

	if (e->flow)
		return;
	fl->fn(fl->ctx, e->tgid, source, sizeof(source));
	dest_of(fl, e, dest, sizeof(dest));
	info.source = source;
	info.dest = dest;
	info.protocol = e->kind == KIND_SSL ? "https" : e->http ? "http" : "tcp";
	e->flow = cs_flow_new(fl->d, &info);
	fl->st.flows_opened++;
}

static void feed(struct cs_flows *fl, struct entry *e, const struct seg *s, const uint8_t *data)
{
	enum cs_direction dir = s->dir == CS_DATA_INGRESS ? CS_DIR_INBOUND : CS_DIR_OUTBOUND;

	ensure_flow(fl, e);
	if (!e->flow)
		return;
	if (s->gap)
		cs_flow_gap(e->flow, dir, s->len);
	else
		cs_flow_feed(e->flow, dir, data, s->len);
}

/* Give held data to the detector with the destination known so far. */
static void release(struct cs_flows *fl, struct entry *e)
{
	size_t off = 0;

	if (!e->holding)
		return;
	e->holding = false;
	while (off + sizeof(struct seg) <= e->hold_len) {
		struct seg s;

		memcpy(&s, e->hold + off, sizeof(s));
		off += sizeof(s);
		feed(fl, e, &s, e->hold + off);
		if (!s.gap)
			off += s.len;
	}
	fl->hold_total -= e->hold_len;
	free(e->hold);
	e->hold = NULL;
	e->hold_len = 0;
}

static bool hold(struct cs_flows *fl, struct entry *e, const struct seg *s, const uint8_t *data,
		 uint64_t now_ns)
{
	size_t need = sizeof(*s) + (s->gap ? 0 : s->len);
	uint8_t *nb;

	if (e->hold_len + need > CS_FLOWS_HOLD_BYTES || fl->hold_total + need > CS_FLOWS_HOLD_TOTAL)
		return false;
	nb = realloc(e->hold, e->hold_len + need);
	if (!nb)
		return false;
	e->hold = nb;
	memcpy(e->hold + e->hold_len, s, sizeof(*s));
	if (!s->gap)
		memcpy(e->hold + e->hold_len + sizeof(*s), data, s->len);
	if (!e->hold_len)
		e->hold_since_ns = now_ns;
	e->hold_len += need;
	fl->hold_total += need;
	return true;
}

static void emit(struct cs_flows *fl, struct entry *e, const struct seg *s, const uint8_t *data,
		 uint64_t now_ns)
{
	if (s->gap) {
		fl->st.gaps++;
		fl->st.gap_bytes += s->len;
	}
	if (e->holding && hold(fl, e, s, data, now_ns))
		return;
	if (e->holding)
		fl->st.released_without_dest++;
	release(fl, e);
	feed(fl, e, s, data);
}

static void emit_gap(struct cs_flows *fl, struct entry *e, uint8_t dir, uint64_t lost,
		     uint64_t now_ns)
{
	struct seg s = {
		.dir = dir, .gap = 1, .len = lost > UINT32_MAX ? UINT32_MAX : (uint32_t)lost};

	if (lost)
		emit(fl, e, &s, NULL, now_ns);
}

static void close_entry(struct cs_flows *fl, struct entry *e)
{
	struct entry **pp = &fl->buckets[bucket_of(fl, e->tgid, e->kind, e->conn)];

	release(fl, e);
	if (e->flow)
		cs_flow_close(e->flow);
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(e);
	fl->n--;
	free(e);
}

static struct entry *get(struct cs_flows *fl, uint32_t tgid, uint8_t kind, uint64_t conn)
{
	struct entry *e = find(fl, tgid, kind, conn);
	size_t b;

	if (e) {
		lru_unlink(e);
		lru_push(fl, e);
		return e;
	}
	if (fl->n >= fl->max) {
		close_entry(fl, fl->lru.prev);
		fl->st.flows_evicted++;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->tgid = tgid;
	e->kind = kind;
	e->conn = conn;
	e->holding = kind == KIND_SSL;
	b = bucket_of(fl, tgid, kind, conn);
	e->hnext = fl->buckets[b];
	fl->buckets[b] = e;
	lru_push(fl, e);
	fl->n++;
	return e;
}

/* TLS record header: content type 20..23, major version 3. */
static bool looks_tls(const uint8_t *p, uint32_t len)
{
	return len >= 3 && p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 0x03;
}

static bool looks_http(const uint8_t *p, uint32_t len)
{
	static const char *const starts[] = {"GET ",   "POST ",	   "PUT ",     "HEAD ",	 "DELETE ",
					     "PATCH ", "OPTIONS ", "CONNECT ", "HTTP/1."};

	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		size_t n = strlen(starts[i]);

		if (len >= n && !memcmp(p, starts[i], n))
			return true;
	}
	return false;
}

/* Socket data: TLS records are left to the SSL flow; the rest is cleartext. */
static bool socket_wanted(struct cs_flows *fl, struct entry *e, const struct cs_ev_data *d)
{
	if (e->tls == TLS_UNKNOWN) {
		e->tls = looks_tls(d->data, d->len) ? TLS_YES : TLS_NO;
		e->http = looks_http(d->data, d->len);
		if (e->tls == TLS_YES)
			fl->st.tls_sockets++;
		else
			learn_peer(e);
	}
	return e->tls == TLS_NO;
}

/* The end of a call: report what never arrived and what the kernel cut. */
static void finish_call(struct cs_flows *fl, struct entry *e, uint8_t dir, uint64_t now_ns)
{
	struct callstate *c = &e->call[dir];

	if (!c->active)
		return;
	c->active = false;
	if (c->captured > c->next)
		emit_gap(fl, e, dir, c->captured - c->next, now_ns);
	if (c->total > c->captured)
		emit_gap(fl, e, dir, c->total - c->captured, now_ns);
}

/*
 * A TLS request whose library gave no SNI (BoringSSL hooked below the SSL
 * API): its Host header names the server. Looked for in the first call only.
 */
static void learn_host(struct cs_flows *fl, struct entry *e, const struct cs_ev_data *d)
{
	if (e->kind != KIND_SSL || e->sni[0] || e->host_tried || d->dir != CS_DATA_EGRESS)
		return;
	e->host_tried = true;
	if (!cs_req_host(d->data, d->len, e->host, sizeof(e->host)))
		refresh_dest(fl, e);
}

/* The rest of a record after a proxy request head was handled. */
static void emit_rest(struct cs_flows *fl, struct entry *e, const struct cs_ev_data *d, size_t head,
		      uint64_t now)
{
	struct seg s = {.dir = d->dir, .len = d->len - (uint32_t)head};

	if (s.len)
		emit(fl, e, &s, d->data + head, now);
}

/* A Proxy-Authorization value, scanned on its own (see proxy_head). */
struct auth_scan {
	struct cs_flows *fl;
	struct entry *e;
};

static void scan_proxy_auth(void *ctx, const uint8_t *v, size_t len)
{
	struct auth_scan *a = ctx;
	char source[128], dest[CS_SNI_LEN + HM_HOST_MAX + 16];
	struct cs_flow_info info = {.format = CS_FORMAT_AUTO, .protocol = "http"};

	a->fl->fn(a->fl->ctx, a->e->tgid, source, sizeof(source));
	dest_of(a->fl, a->e, dest, sizeof(dest));
	info.source = source;
	info.dest = dest;
	cs_detector_scan_buffer(a->fl->d, &info, CS_DIR_OUTBOUND, v, len);
}

/*
 * The first bytes of a socket call to a proxy: `CONNECT host:port` (the TLS
 * that follows goes to host:port) or an absolute-form `GET http://host/...`.
 * Either names the real destination. The head carries the proxy's credential
 * (Proxy-Authorization), which must be written nowhere: the head is scanned
 * without it (a CONNECT head as sent, an absolute-form one as the proxy
 * forwards it: origin form, proxy headers removed), and each credential value
 * is scanned alone, so a secret hidden there is still found while a snippet
 * of another finding cannot carry the credential. Returns true when d was
 * handled here.
 */
static bool proxy_head(struct cs_flows *fl, struct entry *e, const struct cs_ev_data *d,
		       uint64_t now)
{
	size_t scan = 0, head, outlen = 0, cap;
	struct auth_scan as = {fl, e};
	struct hm_request r;
	struct seg s = {.dir = d->dir};
	char *out;

	if (e->kind != KIND_SOCK || d->dir != CS_DATA_EGRESS || !looks_http(d->data, d->len) ||
	    !(head = hm_head_end((const char *)d->data, d->len, &scan)))
		return false;
	cap = head + HM_HOST_MAX + 16;
	out = malloc(cap);
	if (!out)
		return false;
	if (hm_parse_request((const char *)d->data, head, &r, out, cap, &outlen)) {
		free(out);
		return false; /* origin form (not for a proxy) or malformed: scanned as is */
	}
	snprintf(e->tunnel, sizeof(e->tunnel), strchr(r.host, ':') ? "[%s]:%u" : "%s:%u", r.host,
		 r.port);
	refresh_dest(fl, e);
	if (r.connect) /* out is free: head bytes fit in cap */
		outlen = cs_req_strip_proxy_auth(d->data, head, (uint8_t *)out, scan_proxy_auth,
						 &as);
	else /* out is the forwarded head; the values are still scanned */
		cs_req_strip_proxy_auth(d->data, head, NULL, scan_proxy_auth, &as);
	s.len = (uint32_t)outlen;
	emit(fl, e, &s, (const uint8_t *)out, now);
	free(out);
	emit_rest(fl, e, d, head, now);
	return true;
}

static void on_data(struct cs_flows *fl, const struct cs_ev_data *d)
{
	uint8_t kind = d->src == CS_SRC_SSL ? KIND_SSL : KIND_SOCK;
	struct entry *e = get(fl, d->h.tgid, kind, d->conn);
	uint64_t now = d->h.ts_ns;
	struct callstate *c;
	struct seg s = {.dir = d->dir};
	uint32_t skip = 0;

	if (!e || (kind == KIND_SOCK && !socket_wanted(fl, e, d)))
		return;
	c = &e->call[d->dir];
	if (c->active && c->call_id != d->call_id)
		finish_call(fl, e, d->dir, now);
	if (!c->active) {
		*c = (struct callstate){.active = true,
					.call_id = d->call_id,
					.captured = d->captured,
					.total = d->total};
	}
	if (d->offset > c->next)
		emit_gap(fl, e, d->dir, d->offset - c->next, now);
	else if (d->offset < c->next)
		skip = c->next - d->offset; /* repeated bytes: keep the first copy */
	if (!skip && !d->offset)
		learn_host(fl, e, d);
	if (skip < d->len) {
		s.len = d->len - skip;
		if (skip || d->offset || !proxy_head(fl, e, d, now))
			emit(fl, e, &s, d->data + skip, now);
	}
	if (d->offset + d->len > c->next)
		c->next = d->offset + d->len;
	if (c->next >= c->captured)
		finish_call(fl, e, d->dir, now);
}

static void on_sock(struct cs_flows *fl, const struct cs_ev_sock *s)
{
	struct entry *e;

	if (s->h.type == CS_EV_SOCK_CLOSE) {
		e = find(fl, s->h.tgid, KIND_SOCK, (uint64_t)(uint32_t)s->fd);
		if (e)
			close_entry(fl, e);
		return;
	}
	/* A new connection on this fd number: forget the old one first. */
	e = find(fl, s->h.tgid, KIND_SOCK, (uint64_t)(uint32_t)s->fd);
	if (e && s->h.type != CS_EV_SOCK_SEEN)
		close_entry(fl, e);
	e = get(fl, s->h.tgid, KIND_SOCK, (uint64_t)(uint32_t)s->fd);
	if (!e)
		return;
	format_addr(s->family, s->raddr, s->rport, e->peer, sizeof(e->peer));
	e->rport = s->rport;
}

static void on_ssl(struct cs_flows *fl, const struct cs_ev_ssl *ev)
{
	struct entry *e, *s;

	if (ev->h.type == CS_EV_SSL_FREE) {
		e = find(fl, ev->h.tgid, KIND_SSL, ev->ssl);
		if (e)
			close_entry(fl, e);
		return;
	}
	e = get(fl, ev->h.tgid, KIND_SSL, ev->ssl);
	if (!e)
		return;
	if (ev->h.type == CS_EV_SSL_SNI) {
		snprintf(e->sni, sizeof(e->sni), "%.*s", (int)sizeof(ev->sni), ev->sni);
	} else {
		e->fd = ev->fd;
		e->have_fd = true;
		s = get(fl, ev->h.tgid, KIND_SOCK, (uint64_t)(uint32_t)ev->fd);
		if (s) {
			if (s->tls != TLS_YES)
				fl->st.tls_sockets++;
			s->tls = TLS_YES;
			learn_peer(s);
			/* the response's connection (another AEAD context) is named too */
			if (e->host[0] && !s->host[0])
				snprintf(s->host, sizeof(s->host), "%s", e->host);
		}
		release(fl, e);
	}
	refresh_dest(fl, e);
}

void cs_flows_close_pid(struct cs_flows *fl, uint32_t tgid)
{
	for (struct entry *e = fl->lru.next, *n; e != &fl->lru; e = n) {
		n = e->next;
		if (e->tgid == tgid)
			close_entry(fl, e);
	}
}

/* After exec the old SSL* pointers mean nothing; sockets may survive. */
static void close_ssl_of(struct cs_flows *fl, uint32_t tgid)
{
	for (struct entry *e = fl->lru.next, *n; e != &fl->lru; e = n) {
		n = e->next;
		if (e->tgid == tgid && e->kind == KIND_SSL)
			close_entry(fl, e);
	}
}

static size_t min_size(uint32_t type)
{
	switch (type) {
	case CS_EV_DATA:
		return offsetof(struct cs_ev_data, data);
	case CS_EV_SOCK_CONNECT:
	case CS_EV_SOCK_ACCEPT:
	case CS_EV_SOCK_CLOSE:
	case CS_EV_SOCK_SEEN:
		return sizeof(struct cs_ev_sock);
	case CS_EV_SSL_SNI:
	case CS_EV_SSL_FD:
	case CS_EV_SSL_FREE:
		return sizeof(struct cs_ev_ssl);
	case CS_EV_PROC_FORK:
	case CS_EV_PROC_EXEC:
	case CS_EV_PROC_EXIT:
		return sizeof(struct cs_ev_proc);
	default:
		return 0; /* unknown types are skipped */
	}
}

static bool data_ok(const struct cs_ev_data *d, size_t len)
{
	return d->len <= CS_DATA_CHUNK && offsetof(struct cs_ev_data, data) + d->len <= len &&
	       (uint64_t)d->offset + d->len <= d->captured && d->dir <= CS_DATA_INGRESS &&
	       (d->src == CS_SRC_SSL || d->src == CS_SRC_SOCK);
}

int cs_flows_record(struct cs_flows *fl, const void *rec, size_t len)
{
	const struct cs_ev_hdr *h = rec;

	fl->st.records++;
	if (len < sizeof(*h) || len < min_size(h->type) ||
	    (h->type == CS_EV_DATA && !data_ok(rec, len))) {
		fl->st.bad_records++;
		return -1;
	}
	switch (h->type) {
	case CS_EV_DATA:
		on_data(fl, rec);
		break;
	case CS_EV_SOCK_CONNECT:
	case CS_EV_SOCK_ACCEPT:
	case CS_EV_SOCK_CLOSE:
	case CS_EV_SOCK_SEEN:
		on_sock(fl, rec);
		break;
	case CS_EV_SSL_SNI:
	case CS_EV_SSL_FD:
	case CS_EV_SSL_FREE:
		on_ssl(fl, rec);
		break;
	case CS_EV_PROC_EXEC:
		close_ssl_of(fl, h->tgid);
		break;
	case CS_EV_PROC_EXIT:
		cs_flows_close_pid(fl, h->tgid);
		break;
	default:
		break;
	}
	return 0;
}

void cs_flows_tick(struct cs_flows *fl, uint64_t now_ns)
{
	uint64_t wait = (uint64_t)CS_FLOWS_HOLD_MS * 1000000ull;

	for (struct entry *e = fl->lru.next; e != &fl->lru; e = e->next) {
		if (e->holding && e->hold_len && now_ns - e->hold_since_ns >= wait) {
			fl->st.released_without_dest++;
			release(fl, e);
		}
	}
}

static void close_all(struct cs_flows *fl)
{
	while (fl->lru.next != &fl->lru)
		close_entry(fl, fl->lru.next);
}

void cs_flows_set_detector(struct cs_flows *fl, struct cs_detector *d)
{
	close_all(fl);
	fl->d = d;
}

void cs_flows_free(struct cs_flows *fl)
{
	if (!fl)
		return;
	close_all(fl);
	free(fl->buckets);
	free(fl);
}

void cs_flows_get_stats(const struct cs_flows *fl, struct cs_flows_stats *out)
{
	*out = fl->st;
	out->open = fl->n;
}
