/* SPDX-License-Identifier: MIT */
/*
 * tls_libs.h - the shared TLS libraries (libssl.so*, libgnutls.so*) a root
 * file system holds in its standard library directories, and the runtimes
 * that carry their own TLS where container images install them (node, bun in
 * /usr/bin and /usr/local/bin), found before any process uses them, so their
 * probes are in place for the first TLS call of the first process that loads
 * or runs them (no cold-start race: docs/capture.md).
 *
 * The root may be a container's (/proc/PID/root): every path is resolved
 * inside it (openat2 RESOLVE_IN_ROOT), so a symlink planted in the container
 * cannot point the agent at a host file, and only regular files are offered.
 */
#ifndef CLAWSEC_TLS_LIBS_H
#define CLAWSEC_TLS_LIBS_H

#include "elfsym.h"

#define CS_TLS_LIBS_MAX 32 /* files offered per root */

/*
 * Called once per library file: path ("/proc/self/fd/N") names the open file
 * for as long as the call lasts; key is the (dev, inode) that /proc/PID/maps
 * will show for it once a process maps it (for a file on overlayfs, the real
 * file underneath), so it matches cs_find_libssl()'s key of the same file.
 */
typedef void (*cs_tls_lib_fn)(void *ctx, const char *path, const struct cs_bin_key *key);

/*
 * Offers each library of the root at root_path ("/" or "/proc/PID/root") to
 * fn. Returns how many were offered, or -errno when the root cannot be opened.
 */
int cs_tls_libs_find(const char *root_path, cs_tls_lib_fn fn, void *ctx);

#endif
