/* SPDX-License-Identifier: MIT */
/* fsutil.h - small filesystem helpers every host-side module needs. */
#ifndef CLAWSEC_FSUTIL_H
#define CLAWSEC_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Write `len` bytes to `path` atomically: a temp file in the same directory
 * with `mode`, fsync, rename over path, fsync the directory. Returns 0 or -errno.
 */
int cs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* mkdir -p with `mode` for every directory created; 0 or -errno. */
int cs_mkdir_p(const char *path, mode_t mode);
/*
 * Read a whole regular file of at most `max` bytes (no symlinks followed);
 * NUL-terminated, malloc'd, length in *len. NULL with errno set on failure
 * (EFBIG when larger than max).
 */
char *cs_read_file(const char *path, size_t max, size_t *len);

#endif
