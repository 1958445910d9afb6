/* SPDX-License-Identifier: MIT */
/*
 * proxy.h - the explicit HTTP/1.1 proxy as a library: `clawsec-traffic proxy`
 * runs it alone, the agent may run it beside the eBPF capture.
 *
 * One event loop thread serves every connection. Requests (outbound) and
 * responses (inbound) are fed to a detector; findings reach the caller's
 * callback on the loop thread. Traffic is always forwarded unchanged: the
 * proxy has no way to block anything.
 */
#ifndef CLAWSEC_PROXY_H
#define CLAWSEC_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "destpolicy.h"
#include "detector.h"

/* Environment variable naming a PEM bundle that replaces the system store for upstream TLS. */
#define CS_PROXY_UPSTREAM_BUNDLE_ENV CS_ENV_PREFIX "UPSTREAM_CA_BUNDLE"

struct cs_proxy_stats {
	uint64_t connections;	     /* accepted since start */
	uint64_t active;	     /* open now */
	uint64_t refused;	     /* closed at accept: connection limit */
	uint64_t refused_per_client; /* closed at accept: the client's own limit */
	uint64_t bytes_up;	     /* written towards origins */
	uint64_t bytes_down;	     /* written back to clients */
	uint64_t inspected;	     /* CONNECTs terminated and inspected */
	uint64_t tunnelled;	     /* CONNECTs relayed opaque */
	uint64_t upstream_errors;    /* connect, parent proxy, or TLS verification failures */
	uint64_t client_errors;	     /* malformed requests, timeouts, oversized heads */
	uint64_t leaves_minted;
	uint64_t dest_refused[CS_DEST_REASONS]; /* 403s by destination policy reason */
	struct cs_detector_stats detector;	/* refreshed by the loop every tick */
};

struct cs_proxy;

/*
 * Bind proxy_listen and prepare everything (the CA when https_inspection is
 * on). Findings go to fn(ctx, finding) on the loop thread. NULL with err.
 */
struct cs_proxy *cs_proxy_new(const struct cs_config *cfg, cs_finding_fn fn, void *ctx, char *err,
			      size_t errlen);
/*
 * Everything cs_proxy_new() would refuse, short of binding the port: the
 * same configuration generation is built (detector, lists, parent proxy, the
 * CA and the upstream bundle when inspecting) and the listen address
 * resolved. For check-config. 0, or -1 with err.
 */
int cs_proxy_check(const struct cs_config *cfg, char *err, size_t errlen);
/* The bound address, "host:port" (useful with port 0). */
const char *cs_proxy_listen_addr(const struct cs_proxy *p);
/* Serve on the calling thread until cs_proxy_stop(); 0 or -errno. */
int cs_proxy_run(struct cs_proxy *p);
/* Serve on a new thread; cs_proxy_stop() joins it. 0 or -errno. */
int cs_proxy_start(struct cs_proxy *p);
/* Ask the loop to stop; any thread, async-signal-safe. cs_proxy_free() joins. */
void cs_proxy_stop(struct cs_proxy *p);
/*
 * Apply a new configuration (limits, inspection, exclusions, parent proxy,
 * detection settings, CA after a rotation, listen address). Everything that
 * can fail is checked here, on the caller's thread; the loop switches over
 * at its next wakeup; open connections keep their old settings. 0 or -1.
 */
int cs_proxy_reload(struct cs_proxy *p, const struct cs_config *cfg, char *err, size_t errlen);
void cs_proxy_get_stats(struct cs_proxy *p, struct cs_proxy_stats *out);
struct cJSON;
/* The state file's "proxy" block (clawsec-traffic-state/v1) for this proxy, now. */
struct cJSON *cs_proxy_state_json(struct cs_proxy *p);
/* Stops if needed, closes every connection, frees. */
void cs_proxy_free(struct cs_proxy *p);

#endif
