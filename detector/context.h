/* SPDX-License-Identifier: MIT */
/*
 * context.h - the severity of a finding given where it was seen.
 *
 * A rule's severity is what its match means in the worst place it can be
 * seen. Where it really was seen changes that (docs/finding-schema.md,
 * "Severity by context"):
 *  - a credential in a request head going to its own provider's host is
 *    that key's normal use: low (unless the source class is strict);
 *  - a pipe-to-shell or shell-exec shape in model output (a response from
 *    an LLM API host, or any SSE / NDJSON stream) is a command the model
 *    is about to run: the rule's severity, a known vendor installer at most
 *    high;
 *  - the same shape in any other response (fetched documentation, registry
 *    JSON) is text the agent read: a known vendor installer or a plain
 *    command string low, anything else at most medium;
 *  - reverse shells, authorized_keys writes, destructive rm and every
 *    other family keep the rule's severity wherever they appear; so does
 *    everything seen without HTTP framing or without a known destination.
 */
#ifndef CLAWSEC_CONTEXT_H
#define CLAWSEC_CONTEXT_H

#include "credhome.h"
#include "detector_internal.h"
#include "scanner.h"

enum cs_severity cs_context_severity(const struct cs_dest_policy *p,
				     const struct cs_flow_meta *meta, enum cs_direction dir,
				     const struct cs_match *m, enum cs_severity base);

/*
 * True when the first URL in text (up to a line end) is a well-known
 * vendor installer (https://bun.sh/install, https://sh.rustup.rs, ...).
 */
bool cs_vendor_installer(const uint8_t *text, size_t n);

#endif
