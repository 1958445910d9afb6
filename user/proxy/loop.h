/* SPDX-License-Identifier: MIT */
/*
 * loop.h - a small epoll event loop: level-triggered fd watches, one
 * periodic tick for deadlines, and a wakeup any thread may poke. Every
 * callback runs on the thread that called cs_loop_run().
 */
#ifndef CLAWSEC_PROXY_LOOP_H
#define CLAWSEC_PROXY_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct cs_loop;

/* Called with the epoll events (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP) that fired. */
typedef void (*cs_loop_fn)(void *ctx, uint32_t events);

/* Hooks of the loop's owner; any may be NULL. */
struct cs_loop_ops {
	void (*tick)(void *ctx, uint64_t now_ms); /* every tick_ms */
	void (*wake)(void *ctx);		  /* after cs_loop_wake(), coalesced */
	void (*after_batch)(void *ctx);		  /* after each batch of events: free the dead */
};

/* A registration; embed it in the object that owns the fd. */
struct cs_watch {
	int fd;
	uint32_t events; /* current interest */
	bool muted;	 /* removed from epoll after a hang-up, fd still open */
	cs_loop_fn fn;
	void *ctx;
};

struct cs_loop *cs_loop_new(unsigned tick_ms, const struct cs_loop_ops *ops, void *ctx);
void cs_loop_free(struct cs_loop *l);

/* 0 or -errno. A watch with events 0 stays registered but silent. */
int cs_loop_add(struct cs_loop *l, struct cs_watch *w, int fd, uint32_t events, cs_loop_fn fn,
		void *ctx);
int cs_loop_set(struct cs_loop *l, struct cs_watch *w, uint32_t events);
void cs_loop_del(struct cs_loop *l, struct cs_watch *w);
/*
 * Stop watching an fd whose peer hung up but which still has data the owner
 * cannot take yet (epoll reports hang-ups whatever the interest, so a
 * level-triggered watch would spin). The owner keeps reading it directly.
 */
void cs_loop_mute(struct cs_loop *l, struct cs_watch *w);

/*
 * Runs until cs_loop_stop(). A watch removed with cs_loop_del() during a
 * batch gets no further callbacks, so its memory may be freed in after_batch.
 */
int cs_loop_run(struct cs_loop *l);
void cs_loop_stop(struct cs_loop *l); /* any thread, async-signal-safe */
void cs_loop_wake(struct cs_loop *l); /* any thread, async-signal-safe */

/* Monotonic clock in milliseconds, for deadlines. */
uint64_t cs_mono_ms(void);

#endif
