/* SPDX-License-Identifier: MIT */
/*
 * cpu_yield.h - the capture thread yields the CPU to the processes it watches.
 *
 * The capture thread decodes and scans what the probes copy (tens of µs per
 * 64 KiB request). At normal priority that work competes with the watched
 * processes, and, woken from their CPU by the ring buffer, it often runs
 * right there: a busy HTTPS server lost 10-15% of its requests/s to it on a
 * 2-core machine (docs/capture.md, "Cost"). So the thread runs in the idle
 * scheduling class (SCHED_IDLE: CPU time no other task wants) while it keeps
 * up, and a watchdog thread (normal class; a look every 5 to 50 ms, as
 * often as 1/8 of the ring would fill at the producer's rate) puts it back
 * in the normal class the moment it does not:
 *   - backlog: the ring holds 1/4 of its size (the kernel's wake-up point),
 *     or at the rate it fills it would be full within 10 ms (a small ring);
 *   - long pass: one pass of the thread has lasted 20 ms (attaching probes,
 *     a burst, or a lock another thread waits on);
 *   - starved: runnable and not run for 15 ms or more (woken and given no
 *     CPU), or records left unread for 150 ms with the consumer not moving
 *     (longer than its own 100 ms timer);
 * and lowers it again after a second with none of these. Yielding starts
 * in the normal class, lowered after the first calm second. Threads the
 * capture thread creates inherit its class: call
 * cs_cpu_yield_set_enabled(y, false) around code that starts threads.
 */
#ifndef CLAWSEC_CPU_YIELD_H
#define CLAWSEC_CPU_YIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cs_cpu_yield_why {
	CS_YIELD_BACKLOG,   /* the ring filled to 1/4, or would be full within 10 ms */
	CS_YIELD_LONG_PASS, /* one pass ran 20 ms */
	CS_YIELD_STARVED,   /* runnable, not run for ~15 ms; or records left 150 ms */
	CS_YIELD_WHY_MAX,
};

struct cs_cpu_yield_stats {
	bool enabled;	 /* yielding now (config and the kernel allow it) */
	uint64_t raises; /* back to the normal class, by any reason */
	uint64_t by_why[CS_YIELD_WHY_MAX];
	uint64_t raised_ns; /* time spent in the normal class while enabled */
};

struct cs_cpu_yield;

/*
 * Call on the capture thread: it is the one moved between classes.
 * ring_fd is the BPF ring buffer map (its positions are mapped read-only),
 * ring_size its data size. NULL with a reason when the positions cannot be
 * mapped or the thread could not leave the idle class again (neither
 * CAP_SYS_NICE nor an RLIMIT_NICE of 20): the thread then stays in the
 * normal class, untouched.
 */
struct cs_cpu_yield *cs_cpu_yield_start(int ring_fd, size_t ring_size, bool enabled, char *err,
					size_t errlen);
void cs_cpu_yield_set_enabled(struct cs_cpu_yield *y, bool on);
/* The capture thread starts (true) or ends (false) a pass of work. NULL: no-op. */
void cs_cpu_yield_busy(struct cs_cpu_yield *y, bool busy);
/*
 * Called by any thread before it takes a lock another thread may wait on
 * (the findings log): when it is the capture thread in the idle class, it is
 * raised at once (counted as a long pass) rather than after 20 ms. NULL and
 * other threads: no-op.
 */
void cs_cpu_yield_hurry(struct cs_cpu_yield *y);
void cs_cpu_yield_get_stats(struct cs_cpu_yield *y, struct cs_cpu_yield_stats *out);
/* Back to the normal class, the watchdog joined, y freed. NULL: no-op. */
void cs_cpu_yield_stop(struct cs_cpu_yield *y);

#endif
