/* SPDX-License-Identifier: MIT */
/*
 * validators.h - checks on the secret bytes of a match that a regex cannot
 * express: randomness, documented example keys and placeholders, and
 * whether a base64 blob really decodes to a private-key header.
 */
#ifndef CLAWSEC_VALIDATORS_H
#define CLAWSEC_VALIDATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/* Shannon entropy in bits per byte. */
double cs_entropy(const uint8_t *p, size_t n);
/* True for documented example keys (AKIAIOSFODNN7EXAMPLE) and obvious placeholders. */
bool cs_allowlisted(const uint8_t *p, size_t n);
/* True when the base64 text decodes to a "-----BEGIN ... PRIVATE KEY" header. */
bool cs_b64_private_key_header(const uint8_t *p, size_t n);
/* True when the part before the first '.' is base64url of a 17-20 digit id (Discord). */
bool cs_b64_snowflake(const uint8_t *p, size_t n);
/*
 * True for a GitHub token of the checksummed format (gh[pousr]_ + 30
 * base62 + 6 base62) whose last 6 characters are the CRC32 of the 30.
 */
bool cs_github_checksum_ok(const uint8_t *p, size_t n);
/* True when the secret passes every validator the rule asks for. */
bool cs_validate(const struct cs_rule *rule, const uint8_t *secret, size_t n);
/*
 * True when a finding of the secret is reported at most medium: it passed
 * cs_validate, but a check that real keys always pass failed (a GitHub
 * token's checksum).
 */
bool cs_validate_demotes(const struct cs_rule *rule, const uint8_t *secret, size_t n);

#endif
