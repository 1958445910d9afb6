/* SPDX-License-Identifier: MIT */
/*
 * hold.h - the userspace half of the hold at exec (bpf/hold.bpf.h): resume
 * a held process once its executable is examined, or at the deadline.
 *
 * A thread beats the heartbeat the kernel side needs before it holds
 * anything, and resumes every hold older than the deadline (counted "late").
 * The agent resumes a hold itself once it has examined the executable. A
 * process is resumed only if this hold is still the one the kernel recorded
 * (tgid, start time and hold time), through a pidfd of a process whose start
 * time is the recorded one: a reused pid is never signalled. One that another
 * party stopped while held is left to that party (docs/capture.md).
 */
#ifndef CLAWSEC_HOLD_H
#define CLAWSEC_HOLD_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"

/* The kernel side's control block (mmap'ed .bss) and maps, from probes.h. */
struct cs_hold_maps {
	volatile struct cs_hold_ctl *ctl;
	int held_fd; /* tgid -> struct cs_hold */
	int seen_fd; /* struct cs_exe_key -> u8 */
	/* the kernel resumes held processes when the agent dies (kfuncs of 6.13+) */
	bool kernel_release;
};

struct cs_hold_stats {
	uint64_t released;	/* resumed after the executable was examined */
	uint64_t released_late; /* resumed by the deadline */
	uint64_t released_exit; /* resumed because the agent stops */
	uint64_t left_stopped;	/* another party stopped it meanwhile: not resumed by us */
	uint64_t resumed_other; /* another party sent it SIGCONT first */
	uint64_t gone;		/* exited (or no longer that process) before resumed */
	uint64_t total_ns;	/* summed duration of the holds */
	uint64_t max_ns;
};

struct cs_holds;

/*
 * Starts the release thread (heartbeat + deadline). Holds are placed only
 * while enabled (cs_holds_set_enabled). NULL with a reason on failure, and
 * on a kernel that could not resume held processes if the agent were killed.
 */
struct cs_holds *cs_holds_start(const struct cs_hold_maps *m, uint32_t deadline_ms, char *err,
				size_t errlen);
void cs_holds_set_enabled(struct cs_holds *h, bool on);
/*
 * The exec record e (CS_PROC_HELD set) was handled: mark its executable seen
 * when `seen` (examined, and kept probed if it carries TLS), then resume it.
 */
void cs_holds_done(struct cs_holds *h, const struct cs_ev_proc *e, bool seen);
/*
 * No new hold; every process still held is resumed; the thread is joined and
 * h freed. *last (may be NULL) gets the final counts.
 */
void cs_holds_stop(struct cs_holds *h, struct cs_hold_stats *last);
void cs_holds_get_stats(struct cs_holds *h, struct cs_hold_stats *out);

#endif
