/* SPDX-License-Identifier: MIT */
/*
 * ship.h - each redacted finding also to the host's log pipeline: syslog
 * (RFC 5424 over a Unix datagram socket, UDP, or TCP with octet-counting
 * framing) and/or journald's native protocol, so rsyslog or journald can
 * forward them to a central store. The JSONL log stays the source of
 * truth. Records wait in a bounded queue for a thread of their own; when
 * the queue is full or a receiver is down they are dropped and counted,
 * never waited for: capture is never blocked by a receiver.
 */
#ifndef CLAWSEC_SHIP_H
#define CLAWSEC_SHIP_H

#include <stddef.h>

#include "config.h"
#include "finding.h"

struct cJSON;

/* Start shipping per the config (ship.*); 0 when off or started, -1 with a reason. */
int cs_ship_start(const struct cs_config *c, char *err, size_t errlen);
/* Send what is queued (bounded wait), stop the thread; a no-op when off. */
void cs_ship_stop(void);
/* Queue one finding or fold summary; never blocks on the network. */
void cs_ship_finding(const struct cs_finding *f);
/* {"syslog", "journald", "queued", "sent", "dropped", "send_failures"}, or NULL when off. */
struct cJSON *cs_ship_state_json(void);

#endif
