/* SPDX-License-Identifier: MIT */
/* agent_internal.h - the agent's state, shared by agent.c and agent_state.c. */
#ifndef CLAWSEC_AGENT_INTERNAL_H
#define CLAWSEC_AGENT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <linux/types.h>
#include <stdint.h>

#include "agent.h"
#include "capture.h"
#include "config.h"
#include "cpu_yield.h"
#include "detector.h"
#include "flows.h"
#include "hold.h"
#include "ipc_thread.h"
#include "state_file_writer.h"
#include "jsonl.h"
#include "lock.h"
#include "probes.h"
#include "proxy.h"
#include "targets.h"

#define CS_AGENT_MAX_FAMILIES 64
#define CS_AGENT_MAX_PINNED 64	   /* TLS binaries kept probed for the agent's lifetime */
#define CS_AGENT_MAX_WARMED 256	   /* mount namespaces whose TLS libraries were probed */
#define CS_AGENT_RECENT_COMMS 1024 /* names of recently exec'd processes, by tgid */

/* A process's name as the exec/fork record gave it (see remember_comm). */
struct recent_comm {
	uint32_t tgid;
	char comm[CS_COMM_LEN + 1];
};

/* A loaded config with the storage its detector config points into. */
struct agent_conf {
	struct cs_config cfg;
	const char *disabled[CS_CFG_MAX_LIST + 1];
	struct cs_severity_override ovr[CS_CFG_MAX_LIST];
	struct cs_detector_config det;
};

struct agent {
	struct agent_conf *conf;
	const struct cs_agent_opts *opts;
	struct cs_detector *det;
	struct cs_jsonl *log;
	struct cs_probes *probes;
	struct cs_holds *holds;		 /* hold at exec; NULL when it could not start */
	struct cs_hold_stats hold_stats; /* as of the last refresh */
	struct cs_cpu_yield *yield;	 /* NULL: the capture thread stays in the normal class */
	struct cs_cpu_yield_stats yield_stats; /* as of the last refresh */
	size_t ring_bytes;		       /* the ring buffer's data size */
	size_t polled_bytes;		       /* records' bytes handled by the current poll */
	uint64_t last_poll_ns;
	struct cs_targets *targets;
	struct cs_flows *flows;
	struct cs_bin_key pinned[CS_AGENT_MAX_PINNED];
	size_t n_pinned;
	uint64_t warmed[CS_AGENT_MAX_WARMED]; /* mount namespace inodes, see prewarm() */
	size_t n_warmed;
	struct recent_comm recent[CS_AGENT_RECENT_COMMS]; /* direct-mapped by tgid */
	struct cs_ipc_thread *ipc; /* answers IPC tasks on its own thread; NULL if unavailable */
	struct cs_proxy *proxy;	   /* proxy.enabled: serving on its own thread, else NULL */
	/*
	 * The proxy thread reports findings too: mu guards log (swapped by a
	 * reload), by_family and by_severity.
	 */
	pthread_mutex_t mu;
	struct cs_lock lock;
	bool locked;
	int epfd, sigfd, timerfd;
	uint64_t started_ms;
	/* findings written, by family (index of cs_family_id) and severity */
	uint64_t by_family[CS_AGENT_MAX_FAMILIES];
	uint64_t by_severity[4];
	/* capture counters and the event rate over the last second */
	uint64_t stats[CS_STAT_MAX];
	uint64_t rate_events, rate_ms, events_per_sec;
	struct cs_probes_cost bpf_cost; /* refreshed with stats */
	unsigned ticks;
	bool stop;
	bool state_failing; /* said once, not every second */
	/* state.json's write and fsyncs, off the capture loop; NULL: written inline */
	struct cs_state_file_writer *state_writer;
};

/* Write state.json (atomically, 0600); 0 or -errno. */
int cs_agent_write_state(struct agent *a);

#endif
