// SPDX-License-Identifier: MIT
/*
 * ship.c - the shipping thread and its bounded queue. A record that cannot
 * be sent (receiver down, queue full) is dropped and counted; the thread
 * reconnects a TCP receiver at most once a second, so a dead one costs no
 * more than a failed connect() now and then.
 */
#include "ship.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ship_format.h"

#define MSG_MAX (96u << 10)
#define RECONNECT_MS 1000
#define IO_TIMEOUT_MS 1000
#define STOP_DRAIN_MS 2000

enum transport { T_NONE, T_UNIX, T_UDP, T_TCP };

struct shipper {
	/* config, fixed after start */
	enum transport syslog;
	char target[PATH_MAX + 8], host[256];
	bool journald;
	char journald_socket[PATH_MAX];
	/* thread-owned */
	pthread_t thread;
	int syslog_fd, journald_fd;
	uint64_t next_connect_ms;
	char *msg;
	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct cs_ship_rec *q;
	size_t cap, head, n;
	bool stopping;
	uint64_t sent, dropped, send_failures;
};

static struct shipper *g;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void cs_ship_finding(const struct cs_finding *f)
{
	struct cs_ship_rec r = {.severity = f->severity, .direction = f->direction};

	pthread_mutex_lock(&g_mu);
	struct shipper *s = g;

	if (!s) {
		pthread_mutex_unlock(&g_mu);
		return;
	}
	snprintf(r.pattern, sizeof(r.pattern), "%s", f->pattern);
	snprintf(r.dest, sizeof(r.dest), "%s", f->dest);
	r.fold = f->folded > 0;
	r.timestamp_ms = f->timestamp_ms;
	pthread_mutex_lock(&s->mu);
	if (s->n == s->cap || !(r.json = cs_finding_to_line(f))) {
		s->dropped++;
	} else {
		s->q[(s->head + s->n) % s->cap] = r;
		s->n++;
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_unlock(&g_mu);
}

/* A connected datagram or stream socket to the target; -1 on failure. */
static int open_inet(const char *hostport, int type)
{
	char host[256], port[8];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = {.ai_socktype = type, .ai_flags = AI_NUMERICSERV}, *ai;
	size_t hl = (size_t)(colon - hostport);
	int fd = -1;

	if (hostport[0] == '[' && hl > 2)
		snprintf(host, sizeof(host), "%.*s", (int)hl - 2, hostport + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hl, hostport);
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (getaddrinfo(host, port, &hints, &ai))
		return -1;
	fd = socket(ai->ai_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd >= 0 && type == SOCK_STREAM) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int err = 0;
		socklen_t len = sizeof(err);

		if (poll(&p, 1, IO_TIMEOUT_MS) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int open_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Write all of buf within the I/O timeout (TCP); false on failure. */
static bool send_all(int fd, const char *buf, size_t len)
{
	uint64_t deadline = mono_ms() + IO_TIMEOUT_MS;

	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		uint64_t now = mono_ms();
		struct pollfd p = {.fd = fd, .events = POLLOUT};

		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) != 1)
			return false;
	}
	return true;
}

static void connect_syslog(struct shipper *s)
{
	uint64_t now = mono_ms();

	if (s->syslog_fd >= 0 || now < s->next_connect_ms)
		return;
	s->next_connect_ms = now + RECONNECT_MS;
	if (s->syslog == T_UNIX)
		s->syslog_fd = open_unix(s->target + 5);
	else
		s->syslog_fd =
			open_inet(s->target + 6, s->syslog == T_TCP ? SOCK_STREAM : SOCK_DGRAM);
}

/* One message to syslog; false when it could not be sent. */
static bool to_syslog(struct shipper *s, const struct cs_ship_rec *r)
{
	size_t len = cs_ship_syslog(r, s->host, (int)getpid(), s->msg + 16, MSG_MAX - 16);
	bool ok;

	connect_syslog(s);
	if (!len || s->syslog_fd < 0)
		return false;
	if (s->syslog == T_TCP) {
		/* RFC 6587 octet counting: "LEN SP MSG", no trailer to escape. */
		char pre[16];
		int pl = snprintf(pre, sizeof(pre), "%zu ", len);

		memcpy(s->msg + 16 - pl, pre, (size_t)pl);
		ok = send_all(s->syslog_fd, s->msg + 16 - pl, len + (size_t)pl);
	} else {
		ok = send(s->syslog_fd, s->msg + 16, len, MSG_NOSIGNAL) == (ssize_t)len;
	}
	if (!ok) {
		close(s->syslog_fd);
		s->syslog_fd = -1;
	}
	return ok;
}

static bool to_journald(struct shipper *s, const struct cs_ship_rec *r)
{
	size_t len = cs_ship_journald(r, s->msg, MSG_MAX);

	if (s->journald_fd < 0)
		s->journald_fd = open_unix(s->journald_socket);
	if (!len || s->journald_fd < 0)
		return false;
	if (send(s->journald_fd, s->msg, len, MSG_NOSIGNAL) == (ssize_t)len)
		return true;
	close(s->journald_fd);
	s->journald_fd = -1;
	return false;
}

static void ship_one(struct shipper *s, struct cs_ship_rec *r)
{
	bool ok = true;

	if (s->syslog != T_NONE)
		ok = to_syslog(s, r) && ok;
	if (s->journald)
		ok = to_journald(s, r) && ok;
	pthread_mutex_lock(&s->mu);
	if (ok)
		s->sent++;
	else
		s->send_failures++, s->dropped++;
	pthread_mutex_unlock(&s->mu);
	free(r->json);
}

static void *run(void *arg)
{
	struct shipper *s = arg;
	uint64_t stop_by = 0;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->n && !s->stopping)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->stopping && !stop_by)
			stop_by = mono_ms() + STOP_DRAIN_MS;
		if (!s->n || (stop_by && mono_ms() > stop_by))
			break;
		struct cs_ship_rec r = s->q[s->head];

		s->head = (s->head + 1) % s->cap;
		s->n--;
		pthread_mutex_unlock(&s->mu);
		ship_one(s, &r);
		pthread_mutex_lock(&s->mu);
	}
	/* Whatever is left after the drain time is dropped, and counted. */
	for (; s->n; s->n--, s->head = (s->head + 1) % s->cap) {
		free(s->q[s->head].json);
		s->dropped++;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static enum transport transport_of(const char *t)
{
	if (!t[0])
		return T_NONE;
	if (!strncmp(t, "unix:", 5))
		return T_UNIX;
	return strncmp(t, "tcp://", 6) ? T_UDP : T_TCP;
}

static void free_shipper(struct shipper *s)
{
	if (s->syslog_fd >= 0)
		close(s->syslog_fd);
	if (s->journald_fd >= 0)
		close(s->journald_fd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->q);
	free(s->msg);
	free(s);
}

int cs_ship_start(const struct cs_config *c, char *err, size_t errlen)
{
	struct shipper *s;
	int rc;

	if (!c->ship_syslog[0] && !c->ship_journald)
		return 0;
	if (g) {
		snprintf(err, errlen, "shipping already started");
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->q = calloc(c->ship_queue ? c->ship_queue : 1024, sizeof(*s->q))) ||
	    !(s->msg = malloc(MSG_MAX))) {
		if (s)
			free(s->q);
		free(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->cap = c->ship_queue ? c->ship_queue : 1024;
	s->syslog = transport_of(c->ship_syslog);
	snprintf(s->target, sizeof(s->target), "%s", c->ship_syslog);
	s->journald = c->ship_journald;
	snprintf(s->journald_socket, sizeof(s->journald_socket), "%s", c->ship_journald_socket);
	if (gethostname(s->host, sizeof(s->host) - 1))
		snprintf(s->host, sizeof(s->host), "-");
	s->syslog_fd = s->journald_fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	rc = pthread_create(&s->thread, NULL, run, s);
	if (rc) {
		snprintf(err, errlen, "shipping thread: %s", strerror(rc));
		free_shipper(s);
		return -1;
	}
	pthread_mutex_lock(&g_mu);
	g = s;
	pthread_mutex_unlock(&g_mu);
	return 0;
}

void cs_ship_stop(void)
{
	struct shipper *s;

	pthread_mutex_lock(&g_mu);
	s = g;
	g = NULL;
	pthread_mutex_unlock(&g_mu);
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	free_shipper(s);
}

cJSON *cs_ship_state_json(void)
{
	cJSON *o;

	pthread_mutex_lock(&g_mu);
	if (!g || !(o = cJSON_CreateObject())) {
		pthread_mutex_unlock(&g_mu);
		return NULL;
	}
	pthread_mutex_lock(&g->mu);
	cJSON_AddStringToObject(o, "syslog", g->target);
	cJSON_AddBoolToObject(o, "journald", g->journald);
	cJSON_AddNumberToObject(o, "queued", (double)g->n);
	cJSON_AddNumberToObject(o, "sent", (double)g->sent);
	cJSON_AddNumberToObject(o, "dropped", (double)g->dropped);
	cJSON_AddNumberToObject(o, "send_failures", (double)g->send_failures);
	pthread_mutex_unlock(&g->mu);
	pthread_mutex_unlock(&g_mu);
	return o;
}
