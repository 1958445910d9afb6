/* SPDX-License-Identifier: MIT */
/*
 * ipc_thread.h - the IPC service (ipc.h) on a thread of its own, so that
 * answering tasks never holds up whoever embeds it: the agent's capture loop
 * (ring buffer reads) and both writers of state.json. A flood of tasks then
 * costs the IPC thread time, never capture.
 *
 *	struct cs_ipc_thread *t = cs_ipc_thread_start(&cfg, err, sizeof(err));
 *	cs_ipc_thread_get_stats(t, &st);   any thread, for state.json
 *	cs_ipc_thread_set_config(t, &cfg); after a reload; applied by the thread
 *	cs_ipc_thread_stop(t);             stops between two tasks, joins, frees
 */
#ifndef CLAWSEC_IPC_THREAD_H
#define CLAWSEC_IPC_THREAD_H

#include <stddef.h>

#include "config.h"
#include "ipc.h"

struct cs_ipc_thread;

/* NULL with a reason in err (see cs_ipc_new, or the thread could not start). */
struct cs_ipc_thread *cs_ipc_thread_start(const struct cs_config *c, char *err, size_t errlen);
/* Stop (the task in hand is finished first), join, free. NULL is fine. */
void cs_ipc_thread_stop(struct cs_ipc_thread *t);
void cs_ipc_thread_set_config(struct cs_ipc_thread *t, const struct cs_config *c);
/* The counters as of the end of the thread's last turn. */
void cs_ipc_thread_get_stats(struct cs_ipc_thread *t, struct cs_ipc_stats *out);

#endif
