/* SPDX-License-Identifier: MIT */
/*
 * state_file_writer.h - state.json written off the caller's thread. The
 * write is a temp file, fsync, rename and a directory fsync: on a busy disk
 * that can take long, and in the agent the caller is the capture loop,
 * which must get back to the ring buffer. The newest document wins: one
 * not yet written when the next arrives is replaced, never queued up.
 */
#ifndef CLAWSEC_STATE_FILE_WRITER_H
#define CLAWSEC_STATE_FILE_WRITER_H

#include <stddef.h>

struct cs_state_file_writer;

/* NULL with a reason in err when the thread cannot start. */
struct cs_state_file_writer *cs_state_file_writer_start(char *err, size_t errlen);
/*
 * Hand over text (malloc'd; taken, freed by the writer) for path. Returns
 * the result of the last write that completed (0 or -errno), so that a
 * failing disk is still reported by the caller.
 */
int cs_state_file_writer_submit(struct cs_state_file_writer *w, const char *path, char *text);
/* Write what is pending, stop, free; the last write's result. NULL: 0. */
int cs_state_file_writer_stop(struct cs_state_file_writer *w);

#endif
