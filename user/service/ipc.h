/* SPDX-License-Identifier: MIT */
/*
 * ipc.h - the host side of the IPC protocol (docs/ipc.md).
 *
 * Watches <group-dir>/clawsec_tasks/ of every group directory matched by
 * the config's ipc_roots globs (inotify, plus a full rescan every
 * ipc_poll_ms that also finds new groups), claims each task by rename into
 * a private directory under <home>/ipc/, answers it into
 * <group-dir>/clawsec_results/<requestId>.json and quarantines bad ones
 * under <home>/quarantine/<group>/.
 *
 * Embedding in an event loop:
 *
 *	struct cs_ipc *ipc = cs_ipc_new(&cfg, err, sizeof(err));
 *	for (;;) {
 *		poll on cs_ipc_fd(ipc) (may be -1: then just time out)
 *		     with timeout cs_ipc_timeout_ms(ipc, cs_now_ms());
 *		cs_ipc_process(ipc, cs_now_ms());
 *	}
 *
 * Not thread-safe: call everything from one thread.
 */
#ifndef CLAWSEC_IPC_H
#define CLAWSEC_IPC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#define CS_IPC_BATCH 256
/* Tasks of one group per turn: groups take turns, a flooding one waits for the others. */
#define CS_IPC_GROUP_TURN 4

struct cs_ipc_stats {
	uint64_t groups;	 /* group directories currently watched */
	uint64_t groups_refused; /* matches the last scan refused: bad names, over the limit */
	uint64_t scans;		 /* full rescans */
	uint64_t tasks;		 /* task files claimed */
	uint64_t answered_ok;	 /* result written with ok: true */
	uint64_t answered_error; /* result written with ok: false */
	uint64_t unanswered;	 /* handled without an answer (no readable requestId, ...) */
	uint64_t invalid;	 /* invalid_json, invalid_task, too_large, unknown_type */
	uint64_t duplicates;
	uint64_t timeouts;
	uint64_t quarantined; /* moved to quarantine */
	uint64_t dropped;     /* deleted: quarantine full (files or bytes), or a directory */
	uint64_t quarantine_bytes_cut; /* bytes of quarantined files beyond the 64 KiB kept */
	uint64_t recovered;	       /* claimed by an earlier run and handled at start-up */
	uint64_t answer_failures;      /* result could not be written */
	uint64_t claim_failures;       /* task could not be claimed */
	uint64_t watch_failures;       /* inotify watches not added (polling covers them) */
	uint64_t results_expired;      /* answers never collected, deleted after 10 minutes */
};

struct cs_ipc;
struct cJSON;

/* NULL with a reason in err when <home>/ipc or <home>/quarantine cannot be made. */
struct cs_ipc *cs_ipc_new(const struct cs_config *c, char *err, size_t errlen);
void cs_ipc_free(struct cs_ipc *ipc);
/* Readable when a watched directory changed; -1 when inotify is unavailable. */
int cs_ipc_fd(const struct cs_ipc *ipc);
/* Milliseconds until the next rescan is due (0 = now). */
int cs_ipc_timeout_ms(const struct cs_ipc *ipc, uint64_t now_ms);
/*
 * Handle what is pending, at most CS_IPC_BATCH tasks per call so that an
 * embedding event loop is never held long (cs_ipc_timeout_ms() is then 0
 * until the rest is done). Returns the number of tasks handled.
 */
int cs_ipc_process(struct cs_ipc *ipc, uint64_t now_ms);
/*
 * Stop handling tasks (between two) once *stop is true: the IPC thread's
 * stop flag (ipc_thread.h), so that stopping never waits for a whole batch.
 */
void cs_ipc_set_stop_flag(struct cs_ipc *ipc, const atomic_bool *stop);
/* Use a new config (after SIGHUP); the next call rescans. */
void cs_ipc_set_config(struct cs_ipc *ipc, const struct cs_config *c);
void cs_ipc_get_stats(const struct cs_ipc *ipc, struct cs_ipc_stats *out);
/* The "ipc" block of state.json. */
struct cJSON *cs_ipc_stats_json(const struct cs_ipc_stats *s);

#endif
