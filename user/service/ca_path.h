/* SPDX-License-Identifier: MIT */
/*
 * ca_path.h - is a CA directory private? One check, used by the config
 * validation (so `check-config` reports it) and by the proxy and `ca`
 * commands before they create or load the CA, so the two can never disagree.
 */
#ifndef CLAWSEC_CA_PATH_H
#define CLAWSEC_CA_PATH_H

#include <stddef.h>

#include "config.h"

/*
 * Refuse a directory a container can see: inside (or equal to) a group
 * directory matched by an ipc_roots glob, inside the NanoClaw checkout, or
 * inside the source of a bind mount of any container Docker knows about;
 * and one whose existing parents another user may write without the sticky
 * bit (they could swap the CA). 0 when private, -1 with the reason in err.
 */
int cs_ca_check_private(const struct cs_config *c, const char *dir, char *err, size_t errlen);

#endif
