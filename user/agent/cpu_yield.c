/* SPDX-License-Identifier: MIT */
/* cpu_yield.c - the capture thread in the idle class while it keeps up (cpu_yield.h). */
#include "cpu_yield.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"

#define WATCH_NS (5 * 1000000ull)
#define LONG_PASS_NS (20 * 1000000ull)
#define STARVED_NS (150 * 1000000ull)
#define WAITING_LOOKS 3 /* looks in a row that found the thread runnable outside a pass */
#define CALM_NS (1000 * 1000000ull)

struct cs_cpu_yield {
	const volatile uint64_t *cons, *prod; /* the ring buffer's positions */
	size_t page, ring_size;
	pid_t tid;		/* the capture thread */
	int stat_fd;		/* its /proc stat (the state: runnable or not); -1 */
	uint64_t pass_start_ns; /* atomic; 0 while the capture thread waits */
	pthread_mutex_t mu;	/* guards what follows */
	pthread_cond_t cv;
	bool stop, enabled, raised;
	uint64_t raised_at_ns;
	struct cs_cpu_yield_stats st;
	pthread_t thread;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int set_class(pid_t tid, int policy)
{
	struct sched_param sp = {.sched_priority = 0};

	return sched_setscheduler(tid, policy, &sp) ? -errno : 0;
}

/* Into the normal class for `why`; call with mu held. */
static void raise_class(struct cs_cpu_yield *y, enum cs_cpu_yield_why why, uint64_t now)
{
	if (y->raised || set_class(y->tid, SCHED_OTHER))
		return;
	y->raised = true;
	y->raised_at_ns = now;
	y->st.raises++;
	y->st.by_why[why]++;
}

/* Back to the idle class; call with mu held. */
static void lower_class(struct cs_cpu_yield *y, uint64_t now)
{
	if (y->raised)
		y->st.raised_ns += now - y->raised_at_ns;
	if (set_class(y->tid, SCHED_IDLE) == 0)
		y->raised = false;
}

/* What the watchdog tracks between two looks. */
struct watch {
	uint64_t last_cons, unmoved_since, calm_since;
	unsigned waiting; /* looks in a row that found the thread runnable outside a pass */
};

/* Whether the capture thread is runnable (running, or waiting for a CPU). */
static bool runnable(const struct cs_cpu_yield *y)
{
	char buf[512];
	const char *p;
	ssize_t n = y->stat_fd >= 0 ? pread(y->stat_fd, buf, sizeof(buf) - 1, 0) : -1;

	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
	return p && p[1] == ' ' && p[2] == 'R';
}

/*
 * Starved: runnable outside a pass for WAITING_LOOKS looks in a row (woken,
 * and not given a CPU: what the idle class gets on a saturated machine,
 * found in ~15 ms; in a pass, the long-pass rule applies), or records left
 * unread past the thread's own 100 ms timer.
 */
static bool starved(const struct cs_cpu_yield *y, struct watch *w, uint64_t pass, uint64_t now)
{
	if (!pass && runnable(y))
		w->waiting++;
	else
		w->waiting = 0;
	return w->waiting >= WAITING_LOOKS || now - w->unmoved_since >= STARVED_NS;
}

static void look(struct cs_cpu_yield *y, struct watch *w, uint64_t now)
{
	uint64_t cons = __atomic_load_n(y->cons, __ATOMIC_ACQUIRE);
	uint64_t prod = __atomic_load_n(y->prod, __ATOMIC_ACQUIRE);
	uint64_t pass = __atomic_load_n(&y->pass_start_ns, __ATOMIC_RELAXED);
	uint64_t avail = prod - cons;
	int why = -1;

	if (!avail || cons != w->last_cons)
		w->unmoved_since = now;
	w->last_cons = cons;
	if (avail >= y->ring_size / 4)
		why = CS_YIELD_BACKLOG;
	else if (pass && now - pass >= LONG_PASS_NS)
		why = CS_YIELD_LONG_PASS;
	if (starved(y, w, pass, now) && why < 0)
		why = CS_YIELD_STARVED;
	if (why >= 0) {
		raise_class(y, (enum cs_cpu_yield_why)why, now);
		w->calm_since = now;
	} else if (y->raised && now - w->calm_since >= CALM_NS) {
		lower_class(y, now);
	}
}

static void *run(void *arg)
{
	struct cs_cpu_yield *y = arg;
	uint64_t now = mono_ns();
	struct watch w = {.unmoved_since = now, .calm_since = now};
	struct timespec until;

	pthread_mutex_lock(&y->mu);
	while (!y->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)WATCH_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&y->cv, &y->mu, &until);
		if (y->enabled && !y->stop)
			look(y, &w, mono_ns());
	}
	pthread_mutex_unlock(&y->mu);
	return NULL;
}

static const volatile uint64_t *map_pos(int fd, size_t page, off_t off)
{
	void *p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

static void unmap(struct cs_cpu_yield *y)
{
	if (y->stat_fd >= 0)
		close(y->stat_fd);
	if (y->cons)
		munmap((void *)y->cons, y->page);
	if (y->prod)
		munmap((void *)y->prod, y->page);
}

struct cs_cpu_yield *cs_cpu_yield_start(int ring_fd, size_t ring_size, bool enabled, char *err,
					size_t errlen)
{
	struct cs_cpu_yield *y = calloc(1, sizeof(*y));
	pthread_condattr_t ca;
	int e;

	if (!y) {
		cs_set_err(err, errlen, "out of memory");
		return NULL;
	}
	y->page = (size_t)sysconf(_SC_PAGESIZE);
	y->ring_size = ring_size;
	y->tid = gettid();
	y->stat_fd = open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC);
	/* the kernel's layout: the consumer's page, then the producer's */
	y->cons = map_pos(ring_fd, y->page, 0);
	y->prod = map_pos(ring_fd, y->page, (off_t)y->page);
	if (!y->cons || !y->prod) {
		cs_set_err(err, errlen, "cannot map the ring buffer's positions: %s",
			   strerror(errno));
		goto fail;
	}
	/* prove the way back before taking the way down */
	if ((e = set_class(y->tid, SCHED_IDLE)) || (e = set_class(y->tid, SCHED_OTHER))) {
		set_class(y->tid, SCHED_OTHER);
		cs_set_err(err, errlen, "cannot change the capture thread's class: %s",
			   strerror(-e));
		goto fail;
	}
	y->raised = true;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&y->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&y->mu, NULL);
	/* created in the normal class: the watchdog must never starve */
	e = pthread_create(&y->thread, NULL, run, y);
	if (e) {
		cs_set_err(err, errlen, "cannot start the watchdog thread: %s", strerror(e));
		pthread_cond_destroy(&y->cv);
		pthread_mutex_destroy(&y->mu);
		goto fail;
	}
	cs_cpu_yield_set_enabled(y, enabled);
	return y;
fail:
	unmap(y);
	free(y);
	return NULL;
}

void cs_cpu_yield_set_enabled(struct cs_cpu_yield *y, bool on)
{
	uint64_t now = mono_ns();

	if (!y)
		return;
	pthread_mutex_lock(&y->mu);
	if (on && !y->enabled) {
		y->enabled = true;
		y->raised_at_ns = now;
		lower_class(y, now);
	} else if (!on && y->enabled) {
		if (y->raised)
			y->st.raised_ns += now - y->raised_at_ns;
		set_class(y->tid, SCHED_OTHER);
		y->raised = true;
		y->enabled = false;
	}
	pthread_mutex_unlock(&y->mu);
}

void cs_cpu_yield_busy(struct cs_cpu_yield *y, bool busy)
{
	if (y)
		__atomic_store_n(&y->pass_start_ns, busy ? mono_ns() : 0, __ATOMIC_RELAXED);
}

void cs_cpu_yield_get_stats(struct cs_cpu_yield *y, struct cs_cpu_yield_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!y)
		return;
	pthread_mutex_lock(&y->mu);
	*out = y->st;
	out->enabled = y->enabled;
	if (y->enabled && y->raised)
		out->raised_ns += mono_ns() - y->raised_at_ns;
	pthread_mutex_unlock(&y->mu);
}

void cs_cpu_yield_stop(struct cs_cpu_yield *y)
{
	if (!y)
		return;
	cs_cpu_yield_set_enabled(y, false);
	pthread_mutex_lock(&y->mu);
	y->stop = true;
	pthread_cond_signal(&y->cv);
	pthread_mutex_unlock(&y->mu);
	pthread_join(y->thread, NULL);
	pthread_cond_destroy(&y->cv);
	pthread_mutex_destroy(&y->mu);
	unmap(y);
	free(y);
}
