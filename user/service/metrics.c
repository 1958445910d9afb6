// SPDX-License-Identifier: MIT
/*
 * metrics.c - the /metrics server thread: one poll() loop over the listener,
 * a wake pipe and at most CS_METRICS_MAX_CONNS non-blocking connections,
 * each with a deadline. The state it renders is handed over by pointer
 * swap, so the publishing thread never waits on a scrape.
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "digest.h"
#include "metrics_http.h"
#include "metrics_text.h"

#define LOG_HASH_EVERY_MS 60000

struct conn {
	int fd; /* -1: free */
	uint64_t deadline_ms;
	char in[CS_METRICS_MAX_HEAD];
	size_t in_len;
	char *out; /* the response once decided */
	size_t out_len, out_off;
};

struct metrics {
	int lfd, wake[2];
	pthread_t thread;
	char addr[80], process[16], version[32], log_file[PATH_MAX];
	struct conn conns[CS_METRICS_MAX_CONNS];
	cJSON *current;	  /* owned by the thread */
	char log_sha[65]; /* "" until hashed */
	uint64_t log_hashed_ms;
	/* Shared with publishers, under mu. */
	pthread_mutex_t mu;
	cJSON *pending;
	struct cs_metrics_finding_count findings[CS_METRICS_MAX_FINDING_KEYS];
	size_t n_findings;
	uint64_t scrapes, refused;
};

static struct metrics *g;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void cs_metrics_publish(const cJSON *state)
{
	cJSON *copy, *old;

	pthread_mutex_lock(&g_mu);
	bool on = g != NULL;
	pthread_mutex_unlock(&g_mu);
	if (!on || !state || !(copy = cJSON_Duplicate(state, 1)))
		return;
	pthread_mutex_lock(&g_mu);
	if (!g) {
		pthread_mutex_unlock(&g_mu);
		cJSON_Delete(copy);
		return;
	}
	old = g->pending;
	g->pending = copy;
	pthread_mutex_unlock(&g_mu);
	cJSON_Delete(old);
}

void cs_metrics_count_finding(const struct cs_finding *f)
{
	pthread_mutex_lock(&g_mu);
	if (g && !f->folded) {
		size_t i = 0;

		while (i < g->n_findings && (g->findings[i].severity != f->severity ||
					     g->findings[i].direction != f->direction ||
					     strcmp(g->findings[i].pattern, f->pattern)))
			i++;
		if (i == g->n_findings && i < CS_METRICS_MAX_FINDING_KEYS) {
			snprintf(g->findings[i].pattern, sizeof(g->findings[i].pattern), "%s",
				 f->pattern);
			g->findings[i].severity = f->severity;
			g->findings[i].direction = f->direction;
			g->n_findings++;
		}
		if (i < g->n_findings)
			g->findings[i].count++;
	}
	pthread_mutex_unlock(&g_mu);
}

const char *cs_metrics_address(void)
{
	return g ? g->addr : "";
}

/* Hash the findings log at most once a minute: a scrape must stay cheap. */
static void refresh_log_hash(struct metrics *m)
{
	uint64_t now = mono_ms();
	char hex[65];

	if (m->log_sha[0] && now - m->log_hashed_ms < LOG_HASH_EVERY_MS)
		return;
	m->log_hashed_ms = now;
	if (cs_sha256_file_hex(m->log_file, hex) == 0)
		memcpy(m->log_sha, hex, sizeof(hex));
	else
		m->log_sha[0] = '\0';
}

/* The body for a GET; the state handed over since the last scrape is taken here. */
static char *render(struct metrics *m, size_t *len)
{
	struct cs_metrics_finding_count *f = malloc(sizeof(m->findings));
	struct cs_metrics_view v = {.process = m->process, .version = m->version};
	cJSON *taken;
	char *body;

	if (!f)
		return NULL;
	pthread_mutex_lock(&g_mu);
	taken = m->pending;
	m->pending = NULL;
	memcpy(f, m->findings, m->n_findings * sizeof(*f));
	v.n_findings = m->n_findings;
	v.scrapes = m->scrapes++;
	v.refused = m->refused;
	pthread_mutex_unlock(&g_mu);
	if (taken) {
		cJSON_Delete(m->current);
		m->current = taken;
	}
	refresh_log_hash(m);
	v.state = m->current;
	v.findings = f;
	v.log_sha256 = m->log_sha[0] ? m->log_sha : NULL;
	body = cs_metrics_render(&v, len);
	free(f);
	return body;
}

static void respond(struct metrics *m, struct conn *c, enum cs_metrics_req r)
{
	const char *reason;
	int status = cs_metrics_status(r, &reason);
	size_t body_len = 0;
	char *body = NULL, head[256];
	int n;

	if (r == CS_MREQ_METRICS || r == CS_MREQ_HEAD) {
		body = render(m, &body_len);
		if (!body)
			status = 500, reason = "Internal Server Error";
	}
	if (!body) {
		char text[64];

		body_len = (size_t)snprintf(text, sizeof(text), "%d %s\n", status, reason);
		body = strdup(text);
		if (!body)
			body_len = 0;
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
		     status, reason,
		     status == 200 ? "text/plain; version=0.0.4; charset=utf-8"
				   : "text/plain; charset=utf-8",
		     body_len, status == 405 ? "Allow: GET, HEAD\r\n" : "");
	size_t send_body = r == CS_MREQ_HEAD ? 0 : body_len;

	c->out = malloc((size_t)n + send_body);
	if (c->out) {
		memcpy(c->out, head, (size_t)n);
		memcpy(c->out + n, body ? body : "", send_body);
		c->out_len = (size_t)n + send_body;
		c->out_off = 0;
	}
	free(body);
}

static void close_conn(struct conn *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void on_readable(struct metrics *m, struct conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	enum cs_metrics_req r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		return close_conn(c);
	c->in_len += (size_t)n;
	r = cs_metrics_parse(c->in, c->in_len);
	if (r == CS_MREQ_INCOMPLETE)
		return;
	respond(m, c, r);
	if (!c->out)
		close_conn(c);
}

static void on_writable(struct conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		return close_conn(c);
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len) {
		shutdown(c->fd, SHUT_WR);
		close_conn(c);
	}
}

static void on_accept(struct metrics *m)
{
	int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < CS_METRICS_MAX_CONNS; i++) {
		if (m->conns[i].fd < 0) {
			m->conns[i].fd = fd;
			m->conns[i].deadline_ms = mono_ms() + CS_METRICS_DEADLINE_MS;
			return;
		}
	}
	/* Over the cap: refused at once and counted, never queued. */
	close(fd);
	pthread_mutex_lock(&g_mu);
	m->refused++;
	pthread_mutex_unlock(&g_mu);
}

/* One poll() round; false when told to stop. */
static bool serve_once(struct metrics *m)
{
	struct pollfd p[CS_METRICS_MAX_CONNS + 2] = {
		{.fd = m->wake[0], .events = POLLIN},
		{.fd = m->lfd, .events = POLLIN},
	};
	uint64_t now = mono_ms();
	int timeout = 1000;

	for (size_t i = 0; i < CS_METRICS_MAX_CONNS; i++) {
		struct conn *c = &m->conns[i];

		p[i + 2].fd = c->fd;
		p[i + 2].events = c->out ? POLLOUT : POLLIN;
		if (c->fd >= 0 && c->deadline_ms > now && c->deadline_ms - now < (uint64_t)timeout)
			timeout = (int)(c->deadline_ms - now);
	}
	if (poll(p, CS_METRICS_MAX_CONNS + 2, timeout) < 0 && errno != EINTR)
		return false;
	if (p[0].revents)
		return false;
	now = mono_ms();
	for (size_t i = 0; i < CS_METRICS_MAX_CONNS; i++) {
		struct conn *c = &m->conns[i];

		if (c->fd < 0)
			continue;
		if (now >= c->deadline_ms || (p[i + 2].revents & (POLLERR | POLLNVAL)))
			close_conn(c);
		else if (p[i + 2].revents & POLLOUT)
			on_writable(c);
		else if (p[i + 2].revents & (POLLIN | POLLHUP))
			on_readable(m, c);
	}
	if (p[1].revents & POLLIN)
		on_accept(m);
	return true;
}

static void *run(void *arg)
{
	struct metrics *m = arg;

	while (serve_once(m))
		;
	return NULL;
}

/* Bind and listen on "host:port" / "[v6]:port"; the bound address into m->addr. */
static int bind_listen(struct metrics *m, const char *spec, char *err, size_t errlen)
{
	char host[128], port[8];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai;
	size_t hl = colon ? (size_t)(colon - spec) : 0;
	int one = 1, rc;

	if (!colon || hl == 0 || hl >= sizeof(host) || strlen(colon + 1) >= sizeof(port)) {
		snprintf(err, errlen, "metrics listen \"%s\" is not host:port", spec);
		return -1;
	}
	if (spec[0] == '[' && hl > 2 && spec[hl - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)hl - 2, spec + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hl, spec);
	snprintf(port, sizeof(port), "%s", colon + 1);
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "metrics listen %s: %s", spec, gai_strerror(rc));
		return -1;
	}
	m->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->lfd < 0 || setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->lfd, ai->ai_addr, ai->ai_addrlen) || listen(m->lfd, 16)) {
		snprintf(err, errlen, "metrics listen %s: %s", spec, strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	snprintf(m->addr, sizeof(m->addr), "%s", spec);
	return 0;
}

static void free_metrics(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < CS_METRICS_MAX_CONNS; i++)
		if (m->conns[i].fd >= 0)
			close_conn(&m->conns[i]);
	if (m->lfd >= 0)
		close(m->lfd);
	if (m->wake[0] >= 0)
		close(m->wake[0]);
	if (m->wake[1] >= 0)
		close(m->wake[1]);
	cJSON_Delete(m->current);
	cJSON_Delete(m->pending);
	free(m);
}

static struct metrics *new_metrics(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->lfd = m->wake[0] = m->wake[1] = -1;
	for (size_t i = 0; i < CS_METRICS_MAX_CONNS; i++)
		m->conns[i].fd = -1;
	if (pipe2(m->wake, O_CLOEXEC)) {
		free_metrics(m);
		return NULL;
	}
	return m;
}

int cs_metrics_start(const char *listen, const char *process, const char *log_file, char *err,
		     size_t errlen)
{
	struct metrics *m;

	if (!listen || !listen[0])
		return 0;
	if (g) {
		snprintf(err, errlen, "metrics already started");
		return -1;
	}
	m = new_metrics();
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(m->process, sizeof(m->process), "%s", process);
	snprintf(m->version, sizeof(m->version), "%s", CS_VERSION);
	snprintf(m->log_file, sizeof(m->log_file), "%s", log_file);
	if (bind_listen(m, listen, err, errlen)) {
		free_metrics(m);
		return -1;
	}
	int rc = pthread_create(&m->thread, NULL, run, m);

	if (rc) {
		snprintf(err, errlen, "metrics thread: %s", strerror(rc));
		free_metrics(m);
		return -1;
	}
	pthread_mutex_lock(&g_mu);
	g = m;
	pthread_mutex_unlock(&g_mu);
	return 0;
}

void cs_metrics_stop(void)
{
	struct metrics *m;

	pthread_mutex_lock(&g_mu);
	m = g;
	g = NULL;
	pthread_mutex_unlock(&g_mu);
	if (!m)
		return;
	if (write(m->wake[1], "x", 1) < 0)
		perror("clawsec-traffic: metrics stop");
	pthread_join(m->thread, NULL);
	free_metrics(m);
}
