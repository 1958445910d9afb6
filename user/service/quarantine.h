/* SPDX-License-Identifier: MIT */
/*
 * quarantine.h - where the IPC service keeps rejected task files, for the
 * operator to look at: <home>/quarantine/<group>/, bounded per file and per
 * group, so that a container cannot fill the host's disk through it (a 1 GB
 * task file keeps its first 64 KiB).
 */
#ifndef CLAWSEC_QUARANTINE_H
#define CLAWSEC_QUARANTINE_H

#include <stdbool.h>
#include <stdint.h>

#define CS_QUARANTINE_MAX_FILES 256	     /* per group */
#define CS_QUARANTINE_FILE_KEEP (64u << 10)  /* bytes kept of one file */
#define CS_QUARANTINE_GROUP_BYTES (4u << 20) /* bytes kept per group */

struct cs_quarantine_outcome {
	bool kept;	    /* something is in the quarantine now (else it was deleted) */
	uint64_t cut_bytes; /* bytes of the file not kept */
};

/*
 * Move entry `name` of the host-private directory `pfd` into the group's
 * quarantine. A regular file keeps at most its first CS_QUARANTINE_FILE_KEEP
 * bytes; a directory is deleted (its tree could hold anything); symlinks and
 * other special files are kept as they are (they hold no data). The entry
 * is deleted instead when the group already holds CS_QUARANTINE_MAX_FILES
 * files or what it keeps would pass CS_QUARANTINE_GROUP_BYTES. Either way
 * `name` is gone from pfd afterwards (unless the disk refuses).
 */
struct cs_quarantine_outcome cs_quarantine(const char *home, const char *group, int pfd,
					   const char *name);

#endif
