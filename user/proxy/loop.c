/* SPDX-License-Identifier: MIT */
/* loop.c - epoll event loop with a periodic tick and an eventfd wakeup. */
#include "loop.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_BATCH 128

struct cs_loop {
	int epfd;
	int wakefd;
	unsigned tick_ms;
	struct cs_loop_ops ops;
	void *ctx;
	atomic_bool stop;
};

uint64_t cs_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct cs_loop *cs_loop_new(unsigned tick_ms, const struct cs_loop_ops *ops, void *ctx)
{
	struct cs_loop *l = calloc(1, sizeof(*l));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

	if (!l)
		return NULL;
	l->tick_ms = tick_ms ? tick_ms : 250;
	l->ops = *ops;
	l->ctx = ctx;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->wakefd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev)) {
		cs_loop_free(l);
		return NULL;
	}
	return l;
}

void cs_loop_free(struct cs_loop *l)
{
	if (!l)
		return;
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->wakefd >= 0)
		close(l->wakefd);
	free(l);
}

int cs_loop_add(struct cs_loop *l, struct cs_watch *w, int fd, uint32_t events, cs_loop_fn fn,
		void *ctx)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	w->fd = fd;
	w->events = events;
	w->muted = false;
	w->fn = fn;
	w->ctx = ctx;
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int cs_loop_set(struct cs_loop *l, struct cs_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (w->events == events || w->muted)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev))
		return -errno;
	w->events = events;
	return 0;
}

void cs_loop_mute(struct cs_loop *l, struct cs_watch *w)
{
	if (w->fd >= 0 && !w->muted)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->muted = true;
}

void cs_loop_del(struct cs_loop *l, struct cs_watch *w)
{
	if (w->fd >= 0 && !w->muted)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->muted = false;
	w->fd = -1;
	w->fn = NULL;
}

void cs_loop_stop(struct cs_loop *l)
{
	atomic_store(&l->stop, true);
	cs_loop_wake(l);
}

void cs_loop_wake(struct cs_loop *l)
{
	uint64_t one = 1;
	ssize_t n = write(l->wakefd, &one, sizeof(one));

	(void)n; /* a full counter already means "woken" */
}

static void drain_wake(struct cs_loop *l)
{
	uint64_t v;

	while (read(l->wakefd, &v, sizeof(v)) > 0)
		;
	if (l->ops.wake)
		l->ops.wake(l->ctx);
}

int cs_loop_run(struct cs_loop *l)
{
	struct epoll_event evs[LOOP_BATCH];
	uint64_t next_tick = cs_mono_ms() + l->tick_ms;

	while (!atomic_load(&l->stop)) {
		uint64_t now = cs_mono_ms();
		int timeout = next_tick > now ? (int)(next_tick - now) : 0;
		int n = epoll_wait(l->epfd, evs, LOOP_BATCH, timeout);

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			struct cs_watch *w = evs[i].data.ptr;

			if (!w)
				drain_wake(l);
			else if (w->fn)
				w->fn(w->ctx, evs[i].events);
		}
		if (l->ops.after_batch)
			l->ops.after_batch(l->ctx);
		now = cs_mono_ms();
		if (now >= next_tick) {
			next_tick = now + l->tick_ms;
			if (l->ops.tick)
				l->ops.tick(l->ctx, now);
			if (l->ops.after_batch)
				l->ops.after_batch(l->ctx);
		}
	}
	return 0;
}
