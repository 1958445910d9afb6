/* SPDX-License-Identifier: MIT */
/* hold.c - resume processes held at exec (see hold.h, bpf/hold.bpf.h). */
#include "hold.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "procstat.h"

#define BEAT_MS 100
#define HOLD_KEYS 1024 /* the kernel map's size (HOLD_MAX) */

enum why { WHY_EXAMINED, WHY_LATE, WHY_EXIT };

struct cs_holds {
	struct cs_hold_maps m;
	uint64_t deadline_ns;
	uint64_t tick_ns;   /* nanoseconds per /proc start-time tick */
	pthread_mutex_t mu; /* one release at a time; guards st */
	pthread_cond_t cv;
	bool stop;
	pthread_t thread;
	struct cs_hold_stats st;
	__u32 keys[HOLD_KEYS];
};

/* /proc/PID/stat field 22 (start time in ticks) of the process now at pid. */
static int start_ticks(uint32_t pid, unsigned long long *out)
{
	char path[64], buf[1024];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = cs_procstat_field(buf, 22);
	if (!p || sscanf(p, "%llu", out) != 1)
		return -EIO;
	return 0;
}

/* SIGCONT to tgid if it is still the process that was held (start time). */
static int resume_pid(const struct cs_holds *h, uint32_t tgid, uint64_t start_ns)
{
	unsigned long long ticks;
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0), e = 0;

	if (fd < 0)
		return -errno;
	/* the pidfd names one process: checked once, it cannot be another */
	if (start_ticks(tgid, &ticks) || ticks != start_ns / h->tick_ns)
		e = -ESRCH;
	else if (syscall(SYS_pidfd_send_signal, fd, SIGCONT, NULL, 0))
		e = -errno;
	close(fd);
	return e;
}

static void account(struct cs_holds *h, const struct cs_hold *hd, enum why why, int e)
{
	uint64_t now = cs_mono_ns(), d = now > hd->since_ns ? now - hd->since_ns : 0;

	h->st.total_ns += d;
	if (d > h->st.max_ns)
		h->st.max_ns = d;
	if (hd->flags & CS_HOLD_FOREIGN_STOP)
		h->st.left_stopped++;
	else if (hd->flags & CS_HOLD_FOREIGN_CONT)
		h->st.resumed_other++;
	else if (e)
		h->st.gone++;
	else if (why == WHY_EXAMINED)
		h->st.released++;
	else if (why == WHY_LATE)
		h->st.released_late++;
	else
		h->st.released_exit++;
}

/*
 * Takes tgid's hold out of the map (the claim: the kernel's exit handling and
 * the other thread find it gone) and resumes the process unless another party
 * stopped or continued it. want: the hold the caller means; a different one
 * (a later exec) is put back. Call with h->mu held.
 */
static void release(struct cs_holds *h, uint32_t tgid, const struct cs_hold *want, enum why why)
{
	struct cs_hold hd;
	int e = 0;

	if (bpf_map_lookup_and_delete_elem(h->m.held_fd, &tgid, &hd))
		return; /* exited (the kernel dropped it) or already released */
	if (hd.start_ns != want->start_ns || hd.since_ns != want->since_ns) {
		bpf_map_update_elem(h->m.held_fd, &tgid, &hd, BPF_NOEXIST);
		return;
	}
	if (!(hd.flags & (CS_HOLD_FOREIGN_STOP | CS_HOLD_FOREIGN_CONT)))
		e = resume_pid(h, tgid, hd.start_ns);
	account(h, &hd, why, e);
}

/* Every hold older than max_age_ns (0: all of them). Call with h->mu held. */
static void sweep(struct cs_holds *h, uint64_t max_age_ns, enum why why)
{
	uint64_t now = cs_mono_ns();
	size_t n = 0;
	__u32 key, *prev = NULL;

	/* keys first: deleting while walking a hash map restarts the walk */
	while (n < HOLD_KEYS && !bpf_map_get_next_key(h->m.held_fd, prev, &key)) {
		h->keys[n++] = key;
		prev = &h->keys[n - 1];
	}
	for (size_t i = 0; i < n; i++) {
		struct cs_hold hd;

		if (bpf_map_lookup_elem(h->m.held_fd, &h->keys[i], &hd))
			continue;
		/* a hold placed after `now` was read is the youngest of all */
		if (max_age_ns && (hd.since_ns > now || now - hd.since_ns < max_age_ns))
			continue;
		release(h, h->keys[i], &hd, why);
	}
}

/* The heartbeat the kernel side needs to hold anything, and the deadline. */
static void *run(void *arg)
{
	struct cs_holds *h = arg;
	struct timespec until;

	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		h->m.ctl->heartbeat_ns = cs_mono_ns();
		sweep(h, h->deadline_ns, WHY_LATE);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += BEAT_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->cv, &h->mu, &until);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static int init_sync(struct cs_holds *h)
{
	pthread_condattr_t ca;
	int e = pthread_condattr_init(&ca);

	if (e)
		return e;
	e = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!e)
		e = pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (!e)
		e = pthread_mutex_init(&h->mu, NULL);
	return e;
}

/* Signals stay with the agent's signalfd: the thread blocks them all. */
static int start_thread(struct cs_holds *h)
{
	sigset_t all, old;
	int e;

	sigfillset(&all);
	e = pthread_sigmask(SIG_BLOCK, &all, &old);
	if (e)
		return e;
	e = pthread_create(&h->thread, NULL, run, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

struct cs_holds *cs_holds_start(const struct cs_hold_maps *m, uint32_t deadline_ms, char *err,
				size_t errlen)
{
	struct cs_holds *h = calloc(1, sizeof(*h));
	long hz = sysconf(_SC_CLK_TCK);
	int e;

	if (!m->kernel_release) {
		cs_set_err(err, errlen,
			   "this kernel lacks bpf_send_signal_task (6.13+): a killed "
			   "agent would leave held processes stopped");
		free(h);
		return NULL;
	}
	if (!h || hz <= 0 || !m->ctl) {
		cs_set_err(err, errlen, "%s", !h ? "out of memory" : "no hold control block");
		free(h);
		return NULL;
	}
	h->m = *m;
	h->deadline_ns = (uint64_t)deadline_ms * 1000000ull;
	h->tick_ns = 1000000000ull / (uint64_t)hz;
	e = init_sync(h);
	if (!e) {
		h->m.ctl->agent_tgid = (__u32)getpid();
		h->m.ctl->heartbeat_ns = cs_mono_ns();
		e = start_thread(h);
	}
	if (e) {
		cs_set_err(err, errlen, "hold release thread: %s", strerror(e));
		h->m.ctl->agent_tgid = 0;
		free(h);
		return NULL;
	}
	return h;
}

void cs_holds_set_enabled(struct cs_holds *h, bool on)
{
	if (h)
		h->m.ctl->enabled = on;
}

void cs_holds_done(struct cs_holds *h, const struct cs_ev_proc *e, bool seen)
{
	struct cs_hold want = {.start_ns = e->start_ns, .since_ns = e->h.ts_ns};
	__u8 one = 1;

	if (!h || !(e->flags & CS_PROC_HELD))
		return;
	if (seen)
		bpf_map_update_elem(h->m.seen_fd, &e->exe, &one, BPF_ANY);
	pthread_mutex_lock(&h->mu);
	release(h, e->h.tgid, &want, WHY_EXAMINED);
	pthread_mutex_unlock(&h->mu);
}

void cs_holds_stop(struct cs_holds *h, struct cs_hold_stats *last)
{
	if (!h)
		return;
	h->m.ctl->enabled = 0;
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	/* an exec that read `enabled` before it was cleared finished long ago */
	sweep(h, 0, WHY_EXIT);
	h->m.ctl->agent_tgid = 0;
	if (last)
		*last = h->st;
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

void cs_holds_get_stats(struct cs_holds *h, struct cs_hold_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	*out = h->st;
	pthread_mutex_unlock(&h->mu);
}
