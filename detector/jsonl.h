/* SPDX-License-Identifier: MIT */
/*
 * jsonl.h - the findings log: one JSON finding per line, append-only.
 *
 * Every line reaches the file through a single O_APPEND write() of the whole
 * line, so readers and other writers (several processes may append to the
 * same file) never see a half line; a short write is cut back. A full disk
 * is counted, not fatal: the oldest rotated files are deleted first so that
 * the newest findings are kept. After a torn last line (a crash mid-write)
 * the next line starts fresh. The file is created 0600 and rotated by size:
 * findings.jsonl -> findings.jsonl.1 -> ... -> findings.jsonl.<keep>.
 */
#ifndef CLAWSEC_JSONL_H
#define CLAWSEC_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "finding.h"

/* When appended lines are forced to disk. */
enum cs_fsync_policy { CS_FSYNC_NEVER = 0, CS_FSYNC_INTERVAL, CS_FSYNC_ALWAYS };

#define CS_JSONL_MAX_LINE (64u << 10) /* longer lines are refused */
#define CS_JSONL_MAX_KEEP 1000u

struct cs_jsonl_config {
	const char *path;      /* the live file, e.g. <log_dir>/findings.jsonl */
	uint64_t rotate_bytes; /* rotate before a line would pass this; 0 = never */
	unsigned rotate_keep;  /* rotated files kept (<= CS_JSONL_MAX_KEEP); 0 = none */
	enum cs_fsync_policy fsync;
	uint32_t fsync_interval_ms; /* CS_FSYNC_INTERVAL: at most this long unsynced */
};

struct cs_jsonl_stats {
	uint64_t lines;		 /* lines written whole */
	uint64_t bytes;		 /* bytes of those lines, newlines included */
	uint64_t write_failures; /* lines lost (ENOSPC, EIO, ...), never half-written */
	uint64_t rotations;	 /* rotations this writer performed */
	uint64_t fsync_failures;
	uint64_t torn_tails;	 /* lines started on a fresh line after a torn last line */
	uint64_t space_reclaims; /* rotated files deleted on a full disk to keep newer lines */
	int last_errno;		 /* errno of the last failure, 0 if none */
};

struct cs_jsonl;

/* Opens (creating 0600) the log; NULL with a reason in err. The parent must exist. */
struct cs_jsonl *cs_jsonl_open(const struct cs_jsonl_config *cfg, char *err, size_t errlen);
/*
 * Append `len` bytes of one line (no newline in it; one is added). Returns 0,
 * or -errno when the line was not written (it is then counted in
 * write_failures and the file is left as it was). Thread-safe.
 */
int cs_jsonl_append(struct cs_jsonl *w, const char *line, size_t len);
/* Serialise and append one finding. */
int cs_jsonl_append_finding(struct cs_jsonl *w, const struct cs_finding *f);
/* Sync what the policy left pending (call it from a timer for CS_FSYNC_INTERVAL). */
int cs_jsonl_sync(struct cs_jsonl *w);
void cs_jsonl_get_stats(struct cs_jsonl *w, struct cs_jsonl_stats *out);
const char *cs_jsonl_path(const struct cs_jsonl *w);
/* Syncs pending lines unless the policy is CS_FSYNC_NEVER, then frees. */
void cs_jsonl_close(struct cs_jsonl *w);

#endif
