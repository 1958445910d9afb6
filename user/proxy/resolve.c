/* SPDX-License-Identifier: MIT */
/* resolve.c - getaddrinfo() on a thread pool, results delivered on the loop. */
#include "resolve.h"

#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESOLVE_QUEUE_MAX 1024
#define RESOLVE_THREADS_MAX 8

struct cs_resolve_req {
	struct cs_resolve_req *next;
	char host[256];
	char port[8];
	cs_resolve_fn fn;
	void *ctx;
	bool cancelled;
	int err;
	struct sockaddr_storage addrs[CS_RESOLVE_MAX_ADDRS];
	socklen_t lens[CS_RESOLVE_MAX_ADDRS];
	size_t n;
};

struct cs_resolver {
	struct cs_loop *loop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct cs_resolve_req *todo, **todo_tail, *done;
	size_t queued;
	bool quit;
	pthread_t threads[RESOLVE_THREADS_MAX];
	unsigned nthreads;
};

static void lookup(struct cs_resolve_req *q)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *res = NULL;

	q->err = getaddrinfo(q->host, q->port, &hints, &res);
	for (struct addrinfo *a = res; a && q->n < CS_RESOLVE_MAX_ADDRS; a = a->ai_next) {
		if (a->ai_addrlen > sizeof(q->addrs[0]))
			continue;
		memcpy(&q->addrs[q->n], a->ai_addr, a->ai_addrlen);
		q->lens[q->n++] = a->ai_addrlen;
	}
	if (!q->err && !q->n)
		q->err = EAI_NONAME;
	if (res)
		freeaddrinfo(res);
}

static void *worker(void *arg)
{
	struct cs_resolver *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct cs_resolve_req *q;

		while (!r->todo && !r->quit)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->quit)
			break;
		q = r->todo;
		r->todo = q->next;
		if (!r->todo)
			r->todo_tail = &r->todo;
		pthread_mutex_unlock(&r->mu);
		lookup(q);
		pthread_mutex_lock(&r->mu);
		q->next = r->done;
		r->done = q;
		cs_loop_wake(r->loop);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

struct cs_resolver *cs_resolver_new(struct cs_loop *loop, unsigned threads)
{
	struct cs_resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->loop = loop;
	r->todo_tail = &r->todo;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (threads > RESOLVE_THREADS_MAX)
		threads = RESOLVE_THREADS_MAX;
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&r->threads[i], NULL, worker, r))
			break;
		r->nthreads++;
	}
	if (!r->nthreads) {
		cs_resolver_free(r);
		return NULL;
	}
	return r;
}

static void free_list(struct cs_resolve_req *q)
{
	while (q) {
		struct cs_resolve_req *next = q->next;

		free(q);
		q = next;
	}
}

void cs_resolver_free(struct cs_resolver *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->quit = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	for (unsigned i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	free_list(r->todo);
	free_list(r->done);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

struct cs_resolve_req *cs_resolve(struct cs_resolver *r, const char *host, uint16_t port,
				  cs_resolve_fn fn, void *ctx)
{
	struct cs_resolve_req *q;

	if (strlen(host) >= sizeof(q->host))
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	strcpy(q->host, host);
	snprintf(q->port, sizeof(q->port), "%u", port);
	q->fn = fn;
	q->ctx = ctx;
	pthread_mutex_lock(&r->mu);
	if (r->queued >= RESOLVE_QUEUE_MAX) {
		pthread_mutex_unlock(&r->mu);
		free(q);
		return NULL;
	}
	r->queued++;
	*r->todo_tail = q;
	r->todo_tail = &q->next;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return q;
}

void cs_resolve_cancel(struct cs_resolver *r, struct cs_resolve_req *q)
{
	pthread_mutex_lock(&r->mu);
	q->cancelled = true;
	pthread_mutex_unlock(&r->mu);
}

void cs_resolver_deliver(struct cs_resolver *r)
{
	struct cs_resolve_req *q;

	pthread_mutex_lock(&r->mu);
	q = r->done;
	r->done = NULL;
	pthread_mutex_unlock(&r->mu);
	while (q) {
		struct cs_resolve_req *next = q->next;

		pthread_mutex_lock(&r->mu);
		r->queued--;
		bool cancelled = q->cancelled;
		pthread_mutex_unlock(&r->mu);
		if (!cancelled)
			q->fn(q->ctx, q->err, q->addrs, q->lens, q->n);
		free(q);
		q = next;
	}
}
