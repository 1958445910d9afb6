/* SPDX-License-Identifier: MIT */
/*
 * logstore.h - where findings live on disk and how they are read back.
 *
 * <log_dir>/findings.jsonl is the live file (written by detector/jsonl.c),
 * findings.jsonl.1 .. .N the rotated ones, .1 newest. The directory is 0700
 * and the files 0600, root-owned. Reading walks the files newest first and
 * each file backwards, block by block, so memory stays bounded whatever the
 * size of the logs.
 */
#ifndef CLAWSEC_LOGSTORE_H
#define CLAWSEC_LOGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "finding.h"
#include "jsonl.h"

#define CS_FINDINGS_FILE "findings.jsonl"

/* <log_dir>/findings.jsonl into out. */
void cs_logstore_path(const char *log_dir, char *out, size_t size);
/*
 * Create log_dir 0700 if missing; refuse (-1, reason in err) one that is not
 * a directory, is a symlink, is accessible by group/others or, when running
 * as root, is not owned by root.
 */
int cs_logstore_prepare(const char *log_dir, char *err, size_t errlen);
/* Prepare the directory, prune by age, open the writer with the config's rotation. */
struct cs_jsonl *cs_logstore_open(const struct cs_config *c, char *err, size_t errlen);
/* Delete rotated files last modified more than retention_days ago; returns how many. */
int cs_logstore_prune(const struct cs_config *c);

struct cs_findings_query {
	uint64_t since_ms; /* only findings at or after this; 0 = any */
	bool has_min_severity;
	enum cs_severity min_severity;
	const char *pattern;	      /* exact family id, NULL = any */
	const char *group;	      /* only this group's findings, NULL = any */
	const char *container_prefix; /* with group: "nanoclaw-" */
	size_t limit;		      /* stop after this many; 0 = no limit */
	uint64_t max_bytes;	      /* stop after reading this much of the log; 0 = no limit */
	/* Told, with the visitor's ctx, of each file that had n > 0 malformed lines. */
	void (*malformed)(void *ctx, const char *path, size_t n);
};

/*
 * True when `source` comes from one of group's containers, i.e. starts with
 * "<container_prefix><group>-<digits>/" (containers are named
 * <prefix><group>-<epoch-ms>). A plain prefix match would leak: group names
 * may contain '-', and "nanoclaw-main-" is also the start of group
 * "main-chat"'s "nanoclaw-main-chat-1700000000002/node/44".
 * A NanoClaw v2 source "nanoclaw-v2/<group>/<session>/..." (v2source.h)
 * matches when its agent group id is exactly group.
 */
bool cs_source_in_group(const char *source, const char *container_prefix, const char *group);

struct cs_findings_read_stats {
	size_t files;	   /* files opened */
	size_t lines;	   /* lines looked at */
	size_t malformed;  /* lines parsed that are not a valid finding (skipped);
			     lines that cannot match (group or family absent from
			     the raw text) are passed over unparsed */
	size_t matched;	   /* findings delivered */
	uint64_t bytes;	   /* bytes of log read */
	bool byte_limited; /* stopped at max_bytes: older findings were not looked at */
};

/* Receives each matching finding, newest first; return nonzero to stop. */
typedef int (*cs_finding_visit_fn)(void *ctx, const struct cs_finding *f);

/*
 * Read the findings of log_dir newest first through fn. A missing directory
 * or file is an empty log. Returns the number delivered, or -errno when a
 * file exists but cannot be read.
 */
long cs_logstore_query(const char *log_dir, const struct cs_findings_query *q,
		       cs_finding_visit_fn fn, void *ctx, struct cs_findings_read_stats *st);

#endif
