/* SPDX-License-Identifier: MIT */
/* proxy.c - the listener, configuration generations, statistics and the public API. */
#include "conn.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define ACCEPT_BATCH 64
#define RESOLVER_THREADS 2
#define DEFAULT_MAX_CONNS 1024
#define DEFAULT_IDLE_MS 60000
#define DEFAULT_HEADER_MS 10000
#define DEFAULT_MAX_HEADER (64u << 10)
#define DEFAULT_MAX_PER_CLIENT 256
#define LOCAL_REFRESH_TICKS 8 /* interface addresses re-read every 2 s */

static void on_listen(void *ctx, uint32_t ev);

void px_gen_put(struct px_gen *g)
{
	if (!g || --g->refs)
		return;
	cs_detector_sweep_folds(g->det, true); /* folded repeats are said, not lost */
	cs_detector_free(g->det);
	cs_mitm_free(g->mitm);
	free(g);
}

static struct px_gen *gen_new(const struct cs_config *cfg, cs_finding_fn fn, void *ctx, char *err,
			      size_t errlen)
{
	struct px_gen *g = calloc(1, sizeof(*g));
	const char *disabled[CS_CFG_MAX_LIST + 1];
	struct cs_severity_override ovr[CS_CFG_MAX_LIST];
	struct cs_detector_config dc;

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->refs = 1;
	g->cfg = *cfg;
	if (!g->cfg.proxy_max_conns)
		g->cfg.proxy_max_conns = DEFAULT_MAX_CONNS;
	if (!g->cfg.proxy_idle_timeout_ms)
		g->cfg.proxy_idle_timeout_ms = DEFAULT_IDLE_MS;
	if (!g->cfg.proxy_header_timeout_ms)
		g->cfg.proxy_header_timeout_ms = DEFAULT_HEADER_MS;
	if (!g->cfg.proxy_max_header_bytes)
		g->cfg.proxy_max_header_bytes = DEFAULT_MAX_HEADER;
	if (!g->cfg.proxy_max_conns_per_client)
		g->cfg.proxy_max_conns_per_client = DEFAULT_MAX_PER_CLIENT;
	if (!g->cfg.n_inspect_ports) {
		g->cfg.inspect_ports[0] = 443;
		g->cfg.n_inspect_ports = 1;
	}
	if (cs_parent_proxy_parse(cfg->parent_proxy, &g->parent)) {
		snprintf(err, errlen, "parent_proxy must be http://host:port");
		goto fail;
	}
	if (cs_dest_rules_init(&g->rules, &g->cfg, err, errlen))
		goto fail;
	cs_config_detector(&g->cfg, &dc, disabled, ovr);
	g->det = cs_detector_new(&dc, fn, ctx, err, errlen);
	if (!g->det)
		goto fail;
	if (cfg->https_inspection) {
		g->mitm = cs_mitm_new(cfg, getenv(CS_PROXY_UPSTREAM_BUNDLE_ENV), err, errlen);
		if (!g->mitm)
			goto fail;
	}
	return g;
fail:
	px_gen_put(g);
	return NULL;
}

/* "host:port" or "[v6]:port" resolved for bind(); NULL with err. */
static struct addrinfo *listen_addr(const char *spec, char *err, size_t errlen)
{
	char host[128], port[8];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	struct addrinfo *res = NULL;
	size_t hl;

	if (!colon || strlen(colon + 1) >= sizeof(port) || (size_t)(colon - spec) >= sizeof(host))
		goto bad;
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		memcpy(host, spec + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		memcpy(host, spec, hl);
		host[hl] = '\0';
	}
	strcpy(port, colon + 1);
	if (!getaddrinfo(host[0] ? host : NULL, port, &hints, &res) && res)
		return res;
bad:
	if (res)
		freeaddrinfo(res);
	snprintf(err, errlen, "proxy_listen must be host:port, got \"%s\"", spec);
	return NULL;
}

/* A listening socket on spec; the bound address in `bound`. */
static int bind_listener(const char *spec, char *bound, size_t boundlen, char *err, size_t errlen)
{
	struct addrinfo *res = listen_addr(spec, err, errlen);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = -1, one = 1;

	if (!res)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 1024) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	char h[NI_MAXHOST], p[NI_MAXSERV];

	getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p, sizeof(p),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(bound, boundlen, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, p);
	return fd;
}

/* The listener, so that a request for the proxy itself is refused (proxy-self). */
static void note_listener(struct cs_proxy *px, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	px->local.listen_port = 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) ||
	    !cs_dest_normalise((struct sockaddr *)&ss, px->local.listen))
		return;
	px->local.listen_port = ss.ss_family == AF_INET
					? ntohs(((struct sockaddr_in *)&ss)->sin_port)
					: ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	px->local.listen_any = cs_dest_class(px->local.listen) == CS_DEST_UNSPECIFIED;
}

void px_local_refresh(struct cs_proxy *px)
{
	struct ifaddrs *ifa = NULL;
	size_t n = 0;

	if (getifaddrs(&ifa))
		return; /* keep the last snapshot */
	for (struct ifaddrs *i = ifa; i && n < CS_DEST_LOCAL_MAX; i = i->ifa_next)
		if (i->ifa_addr && cs_dest_normalise(i->ifa_addr, px->local.addrs[n]))
			n++;
	px->local.n_addrs = n;
	freeifaddrs(ifa);
}

static void raise_fd_limit(uint32_t conns)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)conns * 2 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void on_listen(void *ctx, uint32_t ev)
{
	struct cs_proxy *px = ctx;

	(void)ev;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		int fd = accept4(px->lw.fd, (struct sockaddr *)&peer, &pl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Out of descriptors: stop accepting until the next tick. */
				cs_loop_set(px->loop, &px->lw, 0);
				px->listen_paused = true;
			}
			return;
		}
		if (px->nconns >= px->gen->cfg.proxy_max_conns) {
			atomic_fetch_add(&px->refused, 1);
			close(fd);
			continue;
		}
		struct cs_peer_key key;

		cs_peer_key((struct sockaddr *)&peer, &key);
		if (!cs_peers_take(px->peers, &key, px->gen->cfg.proxy_max_conns_per_client)) {
			atomic_fetch_add(&px->refused_per_client, 1);
			close(fd);
			continue;
		}
		conn_accept(px, fd, &peer, &key);
	}
}

static void tick(void *ctx, uint64_t now)
{
	struct cs_proxy *px = ctx;
	struct cs_detector_stats ds;

	for (struct conn *c = px->conns, *next; c; c = next) {
		next = c->next;
		conn_tick(c, now);
	}
	if (++px->ticks % LOCAL_REFRESH_TICKS == 0)
		px_local_refresh(px); /* interfaces come and go (Docker bridges) */
	if (px->listen_paused) {
		cs_loop_set(px->loop, &px->lw, EPOLLIN);
		px->listen_paused = false;
	}
	cs_detector_sweep_folds(px->gen->det, false);
	cs_detector_get_stats(px->gen->det, &ds);
	pthread_mutex_lock(&px->mu);
	px->det_stats = ds;
	if (px->gen->mitm) {
		size_t minted, hits;

		cs_mitm_counts(px->gen->mitm, &minted, &hits);
		px->leaves = minted;
	}
	pthread_mutex_unlock(&px->mu);
}

static void relisten(struct cs_proxy *px, const char *spec)
{
	char err[256], bound[160];
	int fd = bind_listener(spec, bound, sizeof(bound), err, sizeof(err));

	if (fd < 0) {
		fprintf(stderr, "clawsec-traffic proxy: reload: %s (still on %s)\n", err,
			px->listen);
		return;
	}
	int old = px->lw.fd;

	cs_loop_del(px->loop, &px->lw);
	close(old);
	cs_loop_add(px->loop, &px->lw, fd, EPOLLIN, on_listen, px);
	note_listener(px, fd);
	pthread_mutex_lock(&px->mu);
	snprintf(px->listen, sizeof(px->listen), "%s", bound);
	pthread_mutex_unlock(&px->mu);
	fprintf(stderr, "clawsec-traffic proxy: listening on %s\n", bound);
}

static void wake(void *ctx)
{
	struct cs_proxy *px = ctx;
	struct px_gen *g;

	cs_resolver_deliver(px->res);
	pthread_mutex_lock(&px->mu);
	g = px->pending;
	px->pending = NULL;
	pthread_mutex_unlock(&px->mu);
	if (!g)
		return;
	if (strcmp(g->cfg.proxy_listen, px->gen->cfg.proxy_listen))
		relisten(px, g->cfg.proxy_listen);
	px_gen_put(px->gen);
	px->gen = g;
	pthread_mutex_lock(&px->mu);
	px->inspecting = g->mitm != NULL;
	pthread_mutex_unlock(&px->mu);
}

static void after_batch(void *ctx)
{
	struct cs_proxy *px = ctx;

	while (px->dead) {
		struct conn *c = px->dead;

		px->dead = c->next;
		conn_free(c);
	}
}

static const struct cs_loop_ops loop_ops = {
	.tick = tick,
	.wake = wake,
	.after_batch = after_batch,
};

struct cs_proxy *cs_proxy_new(const struct cs_config *cfg, cs_finding_fn fn, void *ctx, char *err,
			      size_t errlen)
{
	struct cs_proxy *px = calloc(1, sizeof(*px));
	int fd;

	if (!px) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&px->mu, NULL);
	px->lw.fd = -1;
	px->fn = fn;
	px->fn_ctx = ctx;
	px->gen = gen_new(cfg, fn, ctx, err, errlen);
	if (!px->gen)
		goto fail;
	px->loop = cs_loop_new(250, &loop_ops, px);
	px->res = px->loop ? cs_resolver_new(px->loop, RESOLVER_THREADS) : NULL;
	px->peers = cs_peers_new();
	if (!px->res || !px->peers) {
		snprintf(err, errlen, "cannot create the event loop");
		goto fail;
	}
	fd = bind_listener(cfg->proxy_listen, px->listen, sizeof(px->listen), err, errlen);
	if (fd < 0)
		goto fail;
	if (cs_loop_add(px->loop, &px->lw, fd, EPOLLIN, on_listen, px)) {
		close(fd);
		snprintf(err, errlen, "cannot watch the listening socket");
		goto fail;
	}
	raise_fd_limit(px->gen->cfg.proxy_max_conns);
	note_listener(px, fd);
	px_local_refresh(px);
	px->inspecting = px->gen->mitm != NULL;
	return px;
fail:
	cs_proxy_free(px);
	return NULL;
}

static void no_findings(void *ctx, const struct cs_finding *f)
{
	(void)ctx;
	(void)f;
}

int cs_proxy_check(const struct cs_config *cfg, char *err, size_t errlen)
{
	struct px_gen *g = gen_new(cfg, no_findings, NULL, err, errlen);
	struct addrinfo *res;

	if (!g)
		return -1;
	px_gen_put(g);
	res = listen_addr(cfg->proxy_listen, err, errlen);
	if (!res)
		return -1;
	freeaddrinfo(res);
	return 0;
}

const char *cs_proxy_listen_addr(const struct cs_proxy *p)
{
	return p->listen;
}

int cs_proxy_run(struct cs_proxy *p)
{
	return cs_loop_run(p->loop);
}

static void *thread_main(void *arg)
{
	cs_proxy_run(arg);
	return NULL;
}

int cs_proxy_start(struct cs_proxy *p)
{
	int rc = pthread_create(&p->thread, NULL, thread_main, p);

	if (rc)
		return -rc;
	p->thread_started = true;
	return 0;
}

void cs_proxy_stop(struct cs_proxy *p)
{
	cs_loop_stop(p->loop);
}

int cs_proxy_reload(struct cs_proxy *p, const struct cs_config *cfg, char *err, size_t errlen)
{
	struct px_gen *g = gen_new(cfg, p->fn, p->fn_ctx, err, errlen);

	if (!g)
		return -1;
	pthread_mutex_lock(&p->mu);
	if (p->pending)
		px_gen_put(p->pending);
	p->pending = g;
	pthread_mutex_unlock(&p->mu);
	cs_loop_wake(p->loop);
	return 0;
}

void cs_proxy_get_stats(struct cs_proxy *p, struct cs_proxy_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->connections = atomic_load(&p->connections);
	out->refused = atomic_load(&p->refused);
	out->refused_per_client = atomic_load(&p->refused_per_client);
	out->bytes_up = atomic_load(&p->bytes_up);
	out->bytes_down = atomic_load(&p->bytes_down);
	out->inspected = atomic_load(&p->inspected);
	out->tunnelled = atomic_load(&p->tunnelled);
	out->upstream_errors = atomic_load(&p->upstream_errors);
	out->client_errors = atomic_load(&p->client_errors);
	for (int r = 0; r < CS_DEST_REASONS; r++)
		out->dest_refused[r] = atomic_load(&p->dest_refused[r]);
	pthread_mutex_lock(&p->mu);
	out->detector = p->det_stats;
	out->leaves_minted = p->leaves;
	pthread_mutex_unlock(&p->mu);
	out->active = atomic_load(&p->active);
}

/* "dest_refused": {"total": n, "loopback": n, ...}, every reason present. */
static void add_dest_refused(cJSON *o, const struct cs_proxy_stats *s)
{
	cJSON *d = cJSON_AddObjectToObject(o, "dest_refused");
	uint64_t total = 0;

	for (int r = 1; r < CS_DEST_REASONS; r++)
		total += s->dest_refused[r];
	cJSON_AddNumberToObject(d, "total", (double)total);
	for (int r = 1; r < CS_DEST_REASONS; r++)
		cJSON_AddNumberToObject(d, cs_dest_reason_name(r), (double)s->dest_refused[r]);
}

cJSON *cs_proxy_state_json(struct cs_proxy *p)
{
	struct cs_proxy_stats s;
	cJSON *o = cJSON_CreateObject();
	char listen[sizeof(p->listen)];
	bool inspecting;

	cs_proxy_get_stats(p, &s);
	pthread_mutex_lock(&p->mu);
	snprintf(listen, sizeof(listen), "%s", p->listen);
	inspecting = p->inspecting;
	pthread_mutex_unlock(&p->mu);
	cJSON_AddBoolToObject(o, "enabled", true);
	cJSON_AddStringToObject(o, "listen", listen);
	cJSON_AddBoolToObject(o, "https_inspection", inspecting);
	cJSON_AddNumberToObject(o, "connections", (double)s.connections);
	cJSON_AddNumberToObject(o, "active", (double)s.active);
	cJSON_AddNumberToObject(o, "bytes_up", (double)s.bytes_up);
	cJSON_AddNumberToObject(o, "bytes_down", (double)s.bytes_down);
	cJSON_AddNumberToObject(o, "inspected", (double)s.inspected);
	cJSON_AddNumberToObject(o, "tunnelled", (double)s.tunnelled);
	cJSON_AddNumberToObject(o, "upstream_errors", (double)s.upstream_errors);
	cJSON_AddNumberToObject(o, "refused", (double)s.refused);
	cJSON_AddNumberToObject(o, "refused_per_client", (double)s.refused_per_client);
	cJSON_AddNumberToObject(o, "client_errors", (double)s.client_errors);
	add_dest_refused(o, &s);
	return o;
}

void cs_proxy_free(struct cs_proxy *p)
{
	if (!p)
		return;
	if (p->loop)
		cs_loop_stop(p->loop);
	if (p->thread_started)
		pthread_join(p->thread, NULL);
	while (p->conns)
		conn_close(p->conns);
	after_batch(p);
	if (p->lw.fd >= 0) {
		close(p->lw.fd);
		p->lw.fd = -1;
	}
	cs_resolver_free(p->res);
	cs_loop_free(p->loop);
	cs_peers_free(p->peers);
	px_gen_put(p->pending);
	px_gen_put(p->gen);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
