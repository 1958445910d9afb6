/* SPDX-License-Identifier: MIT */
/* ipc_thread.c - see ipc_thread.h: the IPC service off the caller's thread. */
#include "ipc_thread.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "finding.h"

#define IDLE_WAKE_MS 1000 /* upper bound on a poll, so that a missed wake-up costs little */

struct cs_ipc_thread {
	struct cs_ipc *ipc;
	pthread_t th;
	int wakefd;
	atomic_bool stop;
	pthread_mutex_t mu;	   /* guards what follows */
	struct cs_config *pending; /* a new config for the thread to apply, or NULL */
	struct cs_ipc_stats snap;
};

static void wake(struct cs_ipc_thread *t)
{
	uint64_t one = 1;

	if (write(t->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		fprintf(stderr, "clawsec-traffic: ipc: wake-up failed: %s\n", strerror(errno));
}

static void take_pending(struct cs_ipc_thread *t)
{
	struct cs_config *c;

	pthread_mutex_lock(&t->mu);
	c = t->pending;
	t->pending = NULL;
	pthread_mutex_unlock(&t->mu);
	if (c)
		cs_ipc_set_config(t->ipc, c);
	free(c);
}

static void publish(struct cs_ipc_thread *t)
{
	struct cs_ipc_stats st;

	cs_ipc_get_stats(t->ipc, &st);
	pthread_mutex_lock(&t->mu);
	t->snap = st;
	pthread_mutex_unlock(&t->mu);
}

static void *run(void *arg)
{
	struct cs_ipc_thread *t = arg;

	while (!atomic_load(&t->stop)) {
		int timeout = cs_ipc_timeout_ms(t->ipc, cs_now_ms());
		struct pollfd p[2] = {
			{.fd = t->wakefd, .events = POLLIN},
			{.fd = cs_ipc_fd(t->ipc), .events = POLLIN},
		};
		uint64_t n;

		if (timeout < 0 || timeout > IDLE_WAKE_MS)
			timeout = IDLE_WAKE_MS;
		if (poll(p, 2, timeout) > 0 && (p[0].revents & POLLIN) &&
		    read(t->wakefd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			break;
		take_pending(t);
		if (!atomic_load(&t->stop))
			cs_ipc_process(t->ipc, cs_now_ms());
		publish(t);
	}
	return NULL;
}

struct cs_ipc_thread *cs_ipc_thread_start(const struct cs_config *c, char *err, size_t errlen)
{
	struct cs_ipc_thread *t = calloc(1, sizeof(*t));
	sigset_t all, old;
	int rc;

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->mu, NULL);
	t->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	t->ipc = t->wakefd >= 0 ? cs_ipc_new(c, err, errlen) : NULL;
	if (t->wakefd < 0)
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
	if (!t->ipc)
		goto fail;
	cs_ipc_set_stop_flag(t->ipc, &t->stop);
	/* Signals stay with the embedding thread's signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&t->th, NULL, run, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		return t;
	snprintf(err, errlen, "cannot start the IPC thread: %s", strerror(rc));
fail:
	cs_ipc_free(t->ipc);
	if (t->wakefd >= 0)
		close(t->wakefd);
	pthread_mutex_destroy(&t->mu);
	free(t);
	return NULL;
}

void cs_ipc_thread_stop(struct cs_ipc_thread *t)
{
	if (!t)
		return;
	atomic_store(&t->stop, true);
	wake(t);
	pthread_join(t->th, NULL);
	cs_ipc_free(t->ipc);
	close(t->wakefd);
	free(t->pending);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void cs_ipc_thread_set_config(struct cs_ipc_thread *t, const struct cs_config *c)
{
	struct cs_config *copy = malloc(sizeof(*copy));

	if (!copy) {
		fprintf(stderr, "clawsec-traffic: ipc: out of memory, config not applied\n");
		return;
	}
	*copy = *c;
	pthread_mutex_lock(&t->mu);
	free(t->pending);
	t->pending = copy;
	pthread_mutex_unlock(&t->mu);
	wake(t);
}

void cs_ipc_thread_get_stats(struct cs_ipc_thread *t, struct cs_ipc_stats *out)
{
	pthread_mutex_lock(&t->mu);
	*out = t->snap;
	pthread_mutex_unlock(&t->mu);
}
