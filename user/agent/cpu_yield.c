/* SPDX-License-Identifier: MIT */
/* cpu_yield.c - the capture thread in the idle class while it keeps up (cpu_yield.h). */
#include "cpu_yield.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "procstat.h"

/*
 * A look costs ~30-40 us of CPU on these VMs (the timer's wake-up, two /proc
 * reads): every 5 ms that is ~0.7% of a core all day. So the watchdog looks
 * as often as the ring could get into trouble: when 1/8 of it would fill at
 * the rate the producer moves, between 5 and 50 ms.
 */
#define LOOK_MIN_NS (5 * 1000000ull)
#define LOOK_MAX_NS (50 * 1000000ull)
#define LONG_PASS_NS (20 * 1000000ull)
#define FILL_NS (10 * 1000000ull) /* raised when the ring would be full this soon */
#define STARVED_NS (150 * 1000000ull)
#define WAITING_NS (15 * 1000000ull) /* runnable and not run this long: starved */
#define CALM_NS (1000 * 1000000ull)

/* What the watchdog tracks between two looks; reset when yielding starts. */
struct watch {
	uint64_t last_look, last_cons, last_prod, last_run_ns;
	uint64_t unmoved_since, calm_since;
	uint64_t waiting_since; /* runnable and not run since this look; 0: ran */
	uint64_t period;	/* until the next look */
};

struct cs_cpu_yield {
	const volatile uint64_t *cons, *prod; /* the ring buffer's positions */
	size_t page, ring_size;
	pid_t tid;		/* the capture thread */
	int stat_fd, sched_fd;	/* its /proc stat (state) and schedstat (time run); -1 */
	uint64_t pass_start_ns; /* atomic; 0 while the capture thread waits */
	pthread_mutex_t mu;	/* guards what follows */
	pthread_cond_t cv;
	bool stop, enabled, raised;
	uint64_t raised_at_ns; /* when a rule raised it; 0: not raised by a rule */
	struct watch w;
	struct cs_cpu_yield_stats st;
	pthread_t thread;
};

static int set_class(pid_t tid, int policy)
{
	struct sched_param sp = {.sched_priority = 0};

	return sched_setscheduler(tid, policy, &sp) ? -errno : 0;
}

/*
 * Leaving SCHED_IDLE takes CAP_SYS_NICE, or an RLIMIT_NICE that allows nice
 * 0 (20): without either a thread that went down could never come back.
 */
static bool may_leave_idle(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	struct rlimit rl;

	if (!syscall(SYS_capget, &h, d) &&
	    (d[CAP_SYS_NICE / 32].effective >> (CAP_SYS_NICE % 32)) & 1)
		return true;
	return !getrlimit(RLIMIT_NICE, &rl) && rl.rlim_cur >= 20;
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
	if (!y->raised || set_class(y->tid, SCHED_IDLE))
		return;
	if (y->raised_at_ns)
		y->st.raised_ns += now - y->raised_at_ns;
	y->raised = false;
}

/* A /proc file of the capture thread, read whole into buf; false if unreadable. */
static bool read_proc(int fd, char *buf, size_t len)
{
	ssize_t n = fd >= 0 ? pread(fd, buf, len - 1, 0) : -1;

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/*
 * Runnable (state R) and not run since the last look (its run time, from
 * schedstat, unchanged): woken and waiting for a CPU. Unknown (false) when
 * /proc cannot be read.
 */
static bool waiting_for_cpu(const struct cs_cpu_yield *y, struct watch *w)
{
	char st[512], ss[96];
	uint64_t run_ns = 0;
	const char *p;
	bool waiting;

	if (!read_proc(y->stat_fd, st, sizeof(st)) || !read_proc(y->sched_fd, ss, sizeof(ss)) ||
	    sscanf(ss, "%" SCNu64, &run_ns) != 1)
		return false;
	p = cs_procstat_field(st, 3); /* the state */
	waiting = p && *p == 'R' && run_ns == w->last_run_ns;
	w->last_run_ns = run_ns;
	return waiting;
}

/*
 * Falling behind: the ring holds 1/4 of its size (the kernel's wake-up
 * point), or at the rate it fills it would be full within FILL_NS (a small
 * ring, or a burst: the raise itself takes a look and a wake-up).
 */
static bool behind(const struct cs_cpu_yield *y, const struct watch *w, uint64_t avail,
		   uint64_t prod, uint64_t now)
{
	uint64_t in = prod - w->last_prod, dt = now - w->last_look;

	if (avail >= y->ring_size / 4)
		return true;
	return dt && in && (y->ring_size - avail) * dt / in < FILL_NS;
}

/*
 * Starved: outside a pass, runnable and not run for WAITING_NS (what the idle
 * class gets on a saturated machine; in a pass the long-pass rule applies),
 * or records left unread past the thread's own 100 ms timer (where /proc
 * cannot tell). A consumer that moved since the last look ran: /proc is not
 * read then.
 */
static bool starved(const struct cs_cpu_yield *y, struct watch *w, uint64_t cons, uint64_t pass,
		    uint64_t now)
{
	if (!pass && cons == w->last_cons && waiting_for_cpu(y, w)) {
		if (!w->waiting_since)
			w->waiting_since = w->last_look;
	} else {
		w->waiting_since = 0;
	}
	return (w->waiting_since && now - w->waiting_since >= WAITING_NS) ||
	       now - w->unmoved_since >= STARVED_NS;
}

/* Until the next look: while 1/8 of the ring would fill at the rate just seen. */
static uint64_t look_period(const struct cs_cpu_yield *y, uint64_t in, uint64_t dt)
{
	uint64_t t = in ? y->ring_size / 8 * dt / in : LOOK_MAX_NS;

	return t < LOOK_MIN_NS ? LOOK_MIN_NS : t > LOOK_MAX_NS ? LOOK_MAX_NS : t;
}

static void look(struct cs_cpu_yield *y, uint64_t now)
{
	struct watch *w = &y->w;
	uint64_t cons = __atomic_load_n(y->cons, __ATOMIC_ACQUIRE);
	uint64_t prod = __atomic_load_n(y->prod, __ATOMIC_ACQUIRE);
	uint64_t pass = __atomic_load_n(&y->pass_start_ns, __ATOMIC_RELAXED);
	uint64_t avail = prod - cons;
	int why = -1;

	if (!avail || cons != w->last_cons)
		w->unmoved_since = now;
	if (behind(y, w, avail, prod, now))
		why = CS_YIELD_BACKLOG;
	else if (pass && now - pass >= LONG_PASS_NS)
		why = CS_YIELD_LONG_PASS;
	if (starved(y, w, cons, pass, now) && why < 0)
		why = CS_YIELD_STARVED;
	w->period = look_period(y, prod - w->last_prod, now - w->last_look);
	w->last_cons = cons;
	w->last_prod = prod;
	w->last_look = now;
	if (why >= 0) {
		raise_class(y, (enum cs_cpu_yield_why)why, now);
		w->calm_since = now;
	} else if (now - w->calm_since >= CALM_NS) {
		lower_class(y, now);
	}
}

static void *run(void *arg)
{
	struct cs_cpu_yield *y = arg;
	struct timespec until;

	pthread_mutex_lock(&y->mu);
	while (!y->stop) {
		if (!y->enabled) {
			/* nothing to watch: no wake-ups until yielding starts again */
			pthread_cond_wait(&y->cv, &y->mu);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)(y->w.period / 1000000000ull);
		until.tv_nsec += (long)(y->w.period % 1000000000ull);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&y->cv, &y->mu, &until);
		if (y->enabled && !y->stop)
			look(y, cs_mono_ns());
	}
	pthread_mutex_unlock(&y->mu);
	return NULL;
}

static const volatile uint64_t *map_pos(int fd, size_t page, off_t off)
{
	void *p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

static void release(struct cs_cpu_yield *y)
{
	if (y->cons)
		munmap((void *)y->cons, y->page);
	if (y->prod)
		munmap((void *)y->prod, y->page);
	if (y->stat_fd >= 0)
		close(y->stat_fd);
	if (y->sched_fd >= 0)
		close(y->sched_fd);
	free(y);
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
	y->sched_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	/* the kernel's layout: the consumer's page, then the producer's */
	y->cons = map_pos(ring_fd, y->page, 0);
	y->prod = map_pos(ring_fd, y->page, (off_t)y->page);
	if (!y->cons || !y->prod) {
		cs_set_err(err, errlen, "cannot map the ring buffer's positions: %s",
			   strerror(errno));
		release(y);
		return NULL;
	}
	if (!may_leave_idle()) {
		cs_set_err(err, errlen,
			   "no CAP_SYS_NICE (nor RLIMIT_NICE 20) to leave the idle class");
		release(y);
		return NULL;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&y->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&y->mu, NULL);
	y->raised = true; /* the normal class, until the watchdog's first calm second */
	/* created in the normal class: the watchdog must never starve */
	e = pthread_create(&y->thread, NULL, run, y);
	if (e) {
		cs_set_err(err, errlen, "cannot start the watchdog thread: %s", strerror(e));
		pthread_cond_destroy(&y->cv);
		pthread_mutex_destroy(&y->mu);
		release(y);
		return NULL;
	}
	cs_cpu_yield_set_enabled(y, enabled);
	return y;
}

/*
 * Enabling starts in the normal class: the watchdog lowers the thread after
 * a calm second (the pass that enabled it, attaching probes or reloading,
 * is not held against it). Disabling puts it back in the normal class.
 */
void cs_cpu_yield_set_enabled(struct cs_cpu_yield *y, bool on)
{
	uint64_t now = cs_mono_ns();

	if (!y)
		return;
	pthread_mutex_lock(&y->mu);
	if (on && !y->enabled) {
		y->enabled = true;
		y->w = (struct watch){.last_look = now,
				      .last_cons = __atomic_load_n(y->cons, __ATOMIC_ACQUIRE),
				      .last_prod = __atomic_load_n(y->prod, __ATOMIC_ACQUIRE),
				      .unmoved_since = now,
				      .calm_since = now,
				      .period = LOOK_MIN_NS};
		pthread_cond_signal(&y->cv);
	} else if (!on && y->enabled) {
		if (y->raised && y->raised_at_ns)
			y->st.raised_ns += now - y->raised_at_ns;
		if (!y->raised)
			set_class(y->tid, SCHED_OTHER);
		y->raised = true;
		y->raised_at_ns = 0;
		y->enabled = false;
	}
	pthread_mutex_unlock(&y->mu);
}

void cs_cpu_yield_busy(struct cs_cpu_yield *y, bool busy)
{
	if (y)
		__atomic_store_n(&y->pass_start_ns, busy ? cs_mono_ns() : 0, __ATOMIC_RELAXED);
}

void cs_cpu_yield_hurry(struct cs_cpu_yield *y)
{
	if (!y || gettid() != y->tid)
		return;
	pthread_mutex_lock(&y->mu);
	if (y->enabled) {
		raise_class(y, CS_YIELD_LONG_PASS, cs_mono_ns());
		y->w.calm_since = cs_mono_ns(); /* then a calm second, as after any raise */
	}
	pthread_mutex_unlock(&y->mu);
}

void cs_cpu_yield_get_stats(struct cs_cpu_yield *y, struct cs_cpu_yield_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!y)
		return;
	pthread_mutex_lock(&y->mu);
	*out = y->st;
	out->enabled = y->enabled;
	if (y->enabled && y->raised && y->raised_at_ns)
		out->raised_ns += cs_mono_ns() - y->raised_at_ns;
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
	release(y);
}
