/* SPDX-License-Identifier: MIT */
/*
 * safedir.h - operations inside directories a container can write
 * (docs/threat-model.md, "Container-writable paths").
 *
 * The container owns those directories and can swap any name in them for a
 * symlink at any moment (renameat2(RENAME_EXCHANGE)). So nothing there is
 * ever touched by a path that could follow a link: names are resolved
 * beneath a directory descriptor with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV), or, on
 * kernels without openat2, one component at a time with O_NOFOLLOW (and
 * O_DIRECTORY for every directory) and a device check in place of NO_XDEV.
 * Mode and owner changes go through the descriptor (fchmod/fchown).
 */
#ifndef CLAWSEC_SAFEDIR_H
#define CLAWSEC_SAFEDIR_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Open `path` (relative, no "." or ".." components) beneath `dfd` without
 * following any link. `flags` as for openat(); O_NOFOLLOW and O_CLOEXEC are
 * added. -1 with errno set (ELOOP for a link, EXDEV across mounts, EINVAL
 * for a path that is absolute or climbs).
 */
int cs_sd_openat(int dfd, const char *path, int flags, mode_t mode);
/* The same for a directory: O_RDONLY | O_DIRECTORY. */
int cs_sd_opendir(int dfd, const char *path);
/*
 * Open directory `name` (one component) in `dfd`, creating it when missing.
 * A directory this call created starts private (0700) and then gets `mode`
 * and, unless uid is (uid_t)-1, owner uid:gid, both set through its
 * descriptor; but only when the descriptor still shows the empty directory
 * we made (owned by us, private), never a directory swapped in meanwhile.
 * -1 with errno set.
 */
int cs_sd_mkdir_open(int dfd, const char *name, mode_t mode, uid_t uid, gid_t gid);
/* Tests: resolve component by component as on kernels without openat2. */
void cs_sd_force_fallback(bool on);

#endif
