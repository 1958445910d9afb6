/* SPDX-License-Identifier: MIT */
/*
 * redact.h - the snippet of a finding: a little context around the match,
 * with the secret replaced before any byte leaves the detector.
 *
 *   x-api-key: sk-a…[REDACTED]\r\nHost: api.anthropic.com
 *
 * At most rule->keep_prefix (<= 4) bytes of a secret are shown so an
 * operator can tell which provider leaked. Paths and commands (rules with
 * no secret group) are shown as matched. Context is masked where it looks
 * like another credential, control bytes and invalid UTF-8 are escaped
 * (\n, \xNN), and the result is always valid, NUL-terminated UTF-8.
 */
#ifndef CLAWSEC_REDACT_H
#define CLAWSEC_REDACT_H

#include <stddef.h>

#include "scanner.h"

#define CS_REDACTED "[REDACTED]"
/* Longest part of a non-secret match that is shown; the rest becomes "…". */
#define CS_SNIPPET_MATCH_MAX 120

void cs_redact_snippet(const struct cs_match *m, char *out, size_t outlen);

#endif
