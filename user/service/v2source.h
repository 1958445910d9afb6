/* SPDX-License-Identifier: MIT */
/*
 * v2source.h - the `source` of a finding made in a NanoClaw v2 container, and
 * which IPC group may read it.
 *
 * NanoClaw v2 names its containers `nanoclaw-v2-<folder>-<ms>`, but the IPC
 * group of a v2 session directory (`data/v2-sessions/<agentGroupId>/<sessionId>`,
 * the container's /workspace) is the agent group id, which the container
 * carries only in its labels (`nanoclaw-group`, `nanoclaw-session`). So a
 * labelled v2 container's findings name both ids:
 *
 *     nanoclaw-v2/<agentGroupId>/<sessionId>/<comm>/<pid>
 *
 * The ids have the shape of a group directory name, so neither holds a '/';
 * the group is read back as the exact component after the prefix, never as a
 * string prefix (group "ag-1" must not read "ag-1-chat"'s findings).
 */
#ifndef CLAWSEC_V2SOURCE_H
#define CLAWSEC_V2SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#define CS_V2_SOURCE_PREFIX "nanoclaw-v2/"
#define CS_V2_ID_MAX 64

/* A NanoClaw group or session id: ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ */
bool cs_v2_valid_id(const char *s);
/*
 * Write the v2 source of a process into out (at most len - 1 bytes, and at
 * most 127: a finding's source limit). -1, out untouched, when an id is not
 * valid or the result would not fit: the caller then uses another form.
 */
int cs_v2_source(char *out, size_t len, const char *group, const char *session, const char *comm,
		 int pid);
/* True when source is a v2 source of group (any session). */
bool cs_v2_source_in_group(const char *source, const char *group);

#endif
