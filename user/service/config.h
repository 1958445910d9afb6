/* SPDX-License-Identifier: MIT */
/*
 * config.h - the host configuration: one JSON file, validated as a whole,
 * overridden by the NANOCLAW_TRAFFIC_GUARDIAN_* environment. Every key is
 * documented in docs/config.md with its type, default and bounds.
 */
#ifndef CLAWSEC_CONFIG_H
#define CLAWSEC_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detector.h"
#include "jsonl.h"   /* enum cs_fsync_policy */
#include "netlist.h" /* CS_CIDR_STR */

#define CS_CFG_MAX_LIST 32
#define CS_CFG_STR 256

#define CS_DEFAULT_HOME "/var/lib/clawsec-traffic"
#define CS_ENV_PREFIX "NANOCLAW_TRAFFIC_GUARDIAN_"
/*
 * The proxy's default port. Not 10254-10256: NanoClaw v2's credential gateway
 * (OneCLI) holds those on the same host (web UI, proxy, API).
 */
#define CS_PROXY_DEFAULT_PORT "10260"
#define CS_METRICS_DEFAULT_LISTEN "127.0.0.1:9477"
#define CS_METRICS_PROXY_DEFAULT_LISTEN "127.0.0.1:9478"
#define CS_JOURNALD_SOCKET "/run/systemd/journal/socket"

struct cs_config {
	char home[PATH_MAX];	     /* all state lives under here */
	char config_path[PATH_MAX];  /* file this was loaded from ("" = defaults) */
	char config_sha256[65];	     /* of the bytes loaded (of "" for defaults) */
	char nanoclaw_dir[PATH_MAX]; /* NanoClaw checkout, container-visible */
	char mode[16];		     /* only "detect" exists */

	/* log storage */
	char log_dir[PATH_MAX]; /* findings.jsonl lives here */
	uint64_t rotate_bytes;
	unsigned rotate_keep;
	unsigned retention_days;
	enum cs_fsync_policy fsync;
	uint32_t fsync_interval_ms;

	/* detection */
	size_t max_scan_bytes;
	uint64_t dedup_window_ms;
	char disabled_patterns[CS_CFG_MAX_LIST][32];
	size_t n_disabled_patterns;
	struct {
		char family[32];
		enum cs_severity severity;
	} severity_overrides[CS_CFG_MAX_LIST];
	size_t n_severity_overrides;
	/* credentials and their destinations (detector/credhome.h) */
	struct cs_home_host credential_hosts[CS_CFG_MAX_LIST];
	size_t n_credential_hosts;
	unsigned credential_strict_sources; /* bits of enum cs_origin */

	/* capture */
	uint32_t capture_cap_bytes; /* per SSL/socket call */
	uint32_t ringbuf_bytes;	    /* power of two */
	bool bpf_stats;		    /* kernel counts our BPF programs' run time */
	/* capture.hold_exec: targets held at exec until their executable is examined */
	bool hold_exec;
	uint32_t hold_exec_timeout_ms; /* resumed by then whatever happens */
	/* capture.yield_cpu: the capture thread in the idle class while it keeps up */
	bool yield_cpu;
	bool prewarm_host; /* capture.prewarm_host: the host root's TLS files probed at start */
	int target_pids[CS_CFG_MAX_LIST];
	size_t n_target_pids;
	char target_cmdline[CS_CFG_MAX_LIST][CS_CFG_STR]; /* POSIX extended regexes on cmdline */
	size_t n_target_cmdline;
	char container_prefix[64]; /* "nanoclaw-" */
	char container_label[128]; /* label key newer NanoClaw sets */

	/* IPC */
	char ipc_roots[CS_CFG_MAX_LIST][PATH_MAX]; /* globs that each name one group directory */
	size_t n_ipc_roots;
	uint32_t ipc_poll_ms;
	uint32_t task_timeout_ms;
	int ipc_uid;			      /* expected task owner uid, -1 = any */
	char docker_containers_dir[PATH_MAX]; /* read for container bind mounts */

	/* proxy */
	bool proxy_enabled;
	char proxy_listen[128]; /* host:port */
	bool https_inspection;
	char ca_dir[PATH_MAX];
	char ca_bundle[PATH_MAX]; /* public CA certificate file, <ca_dir>/ca.crt */
	uint16_t inspect_ports[CS_CFG_MAX_LIST];
	size_t n_inspect_ports;
	char inspect_exclude[CS_CFG_MAX_LIST][CS_CFG_STR]; /* host names, "*.suffix" allowed */
	size_t n_inspect_exclude;
	char parent_proxy[CS_CFG_STR]; /* "" or http://host:port */
	uint32_t proxy_max_conns;
	uint32_t proxy_idle_timeout_ms;
	uint32_t proxy_header_timeout_ms;
	uint32_t proxy_max_header_bytes;
	uint32_t proxy_max_conns_per_client; /* open connections per client address (IPv6: /64) */
	/* proxy destination policy (docs/proxy.md "Destination policy") */
	char allow_hosts[CS_CFG_MAX_LIST][CS_CFG_STR]; /* lift the built-in refusals by name */
	size_t n_allow_hosts;
	char deny_hosts[CS_CFG_MAX_LIST][CS_CFG_STR];
	size_t n_deny_hosts;
	char allow_cidrs[CS_CFG_MAX_LIST][CS_CIDR_STR];
	size_t n_allow_cidrs;
	char deny_cidrs[CS_CFG_MAX_LIST][CS_CIDR_STR];
	size_t n_deny_cidrs;
	uint16_t connect_ports[CS_CFG_MAX_LIST]; /* besides 443 */
	size_t n_connect_ports;

	/* status */
	char status_socket[PATH_MAX];
	char state_file[PATH_MAX];
	char pid_file[PATH_MAX];

	/* fleet (h5): Prometheus /metrics; "" = off */
	char metrics_listen[128];	/* agent and serve, host:port */
	char metrics_proxy_listen[128]; /* a standalone proxy, host:port */
	/* fleet (h5): findings shipped to the log pipeline (ship.c) */
	char ship_syslog[PATH_MAX + 8]; /* "" off, unix:/path, udp://h:p, tcp://h:p */
	bool ship_journald;
	char ship_journald_socket[PATH_MAX]; /* journald's native socket */
	uint32_t ship_queue;		     /* records held while a receiver is slow */
};

/* One problem found by validation: a JSON path ("$.proxy.ca_dir") and why. */
struct cs_config_problem {
	char path[128];
	char reason[256];
};

struct cs_config_problems {
	struct cs_config_problem items[64];
	size_t n; /* may exceed 64: the rest are counted, not stored */
};

/* Defaults for everything, with home from the environment or CS_DEFAULT_HOME. */
void cs_config_defaults(struct cs_config *c);
/*
 * Load `path` (NULL: NANOCLAW_TRAFFIC_GUARDIAN_CONFIG, then <home>/config.json
 * if it exists, else defaults), apply the environment, validate everything.
 * Returns 0 when there are no problems; otherwise -1 and every problem in p.
 */
int cs_config_load(const char *path, struct cs_config *c, struct cs_config_problems *p);
/*
 * Fill a detector config that points into c (valid while c lives).
 * disabled_storage: CS_CFG_MAX_LIST + 1 entries; ovr_storage: CS_CFG_MAX_LIST.
 */
void cs_config_detector(const struct cs_config *c, struct cs_detector_config *out,
			const char **disabled_storage, struct cs_severity_override *ovr_storage);

#endif
