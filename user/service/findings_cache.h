/* SPDX-License-Identifier: MIT */
/*
 * findings_cache.h - answers to recent findings queries, so that a group
 * asking the same question again (an agent polling, or a flood) costs two
 * stat() calls instead of a read of the log store. An answer is reused only
 * while the store is unchanged: the live file's device, inode, size and
 * mtime, and the newest rotated file's inode and size, are the same as
 * when it was computed (an append or a rotation changes them). Bounded:
 * CS_FCACHE_SLOTS answers, least recently used evicted. Thread-safe.
 */
#ifndef CLAWSEC_FINDINGS_CACHE_H
#define CLAWSEC_FINDINGS_CACHE_H

#include <sys/types.h>
#include <time.h>

#include "tasks.h"

#define CS_FCACHE_SLOTS 16

struct cJSON;

/* What an answer depends on besides the query: the state of the store. */
struct cs_fcache_sig {
	dev_t dev;
	ino_t ino, ino1;
	off_t size, size1;
	struct timespec mtime;
};

/*
 * A copy of the cached answer to this query of group, or NULL; *now gets the
 * store's state as of this call, to hand to cs_fcache_put() after a read:
 * taken before the read, so a change during it only costs a later miss.
 */
struct cJSON *cs_fcache_get(const char *log_dir, const char *group, const struct cs_task *t,
			    struct cs_fcache_sig *now);
/* Remember res (copied) as the answer to this query for the store in state sig. */
void cs_fcache_put(const char *log_dir, const char *group, const struct cs_task *t,
		   const struct cs_fcache_sig *sig, const struct cJSON *res);
/* Hits and misses since start, for state.json. */
void cs_fcache_counts(uint64_t *hits, uint64_t *misses);

#endif
