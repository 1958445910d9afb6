/* SPDX-License-Identifier: MIT */
/*
 * targets.h - which processes the agent watches, and how their TLS can be seen.
 *
 * A process becomes a target by pid (--pid / config), by a POSIX extended
 * regex on its command line (default: NanoClaw's host process, `node ...
 * dist/index.js` run from a NanoClaw checkout), by running inside a NanoClaw
 * container (cgroup -> container id -> Docker's config.v2.json: name prefix
 * or label), or by being a child of a target. A NanoClaw v2 container's
 * labels `nanoclaw-group` and `nanoclaw-session` name its agent group and
 * session (the name `nanoclaw-v2-<folder>-<ms>` only the folder): findings
 * then carry them in their source (see user/service/v2source.h). Everything is read through
 * /proc, so processes in other mount and pid namespaces are found too, and
 * their binaries are opened through /proc/PID/root/... or /proc/PID/exe.
 *
 * For every target the TLS path is classified: "libssl" (a libssl.so is
 * mapped), "static_openssl" (the executable exports SSL_write, as official
 * Node builds do), "boringssl_aead" (a stripped, static BoringSSL whose AEAD
 * seal/open functions were found: Bun) or "none", which is then reported as
 * not visible rather than quiet once it does network I/O (a wrapper that
 * never opens a socket is listed without a warning).
 */
#ifndef CLAWSEC_TARGETS_H
#define CLAWSEC_TARGETS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CS_TARGETS_MAX 1024
/* The default matcher: NanoClaw's host process. */
#define CS_TARGET_DEFAULT_CMDLINE "(^|/)node( [^ ]+)* ([^ ]*/)?dist/index\\.js( |$)"
#define CS_TLS_NOT_VISIBLE_NOTE "TLS not visible (e.g. rustls, Java): use proxy mode"
/* NanoClaw v2's container labels (its adoption contract) and name prefix. */
#define CS_LABEL_V2_GROUP "nanoclaw-group"
#define CS_LABEL_V2_SESSION "nanoclaw-session"
#define CS_LABEL_V2_FOLDER "nanoclaw-group-folder"
#define CS_V2_NAME_PREFIX "v2-" /* after container_prefix: nanoclaw-v2-<folder>-<ms> */

enum cs_tls_path {
	CS_TLS_NONE = 0,
	CS_TLS_LIBSSL,
	CS_TLS_STATIC_OPENSSL,
	CS_TLS_GNUTLS,
	CS_TLS_BORINGSSL_AEAD,
	CS_TLS_GO,
};
enum cs_target_why { CS_WHY_PID = 1, CS_WHY_CMDLINE, CS_WHY_CONTAINER, CS_WHY_CHILD };

struct cs_target {
	int pid;
	uint64_t start_time;	/* /proc/PID/stat field 22: tells a reused pid apart */
	uint64_t classified_ns; /* CLOCK_MONOTONIC of the last add/exec classification */
	char comm[16];
	char container[128]; /* container name, "" on the host */
	char group[65];	     /* NanoClaw group (v1 folder, v2 agent group id), "" when unknown */
	char session[65];    /* NanoClaw v2 session id, "" when not a labelled v2 container */
	char folder[65];     /* NanoClaw v2 group folder, "" when unknown */
	enum cs_target_why why;
	enum cs_tls_path tls;
	char binary[PATH_MAX];	     /* the file holding SSL_write, openable from the host */
	char binary_shown[PATH_MAX]; /* the same path as the process sees it */
	dev_t dev;		     /* identity of binary */
	ino_t ino;
	bool attached;	  /* set by the agent once its probes are in */
	bool net_io;	  /* did TCP I/O (connect, accept, data) since its last exec */
	dev_t probed_dev; /* binary the agent's TLS probes use for this pid (0: none) */
	ino_t probed_ino;
	char note[160];
};

/* What makes a process a target. Strings are copied. */
struct cs_target_rules {
	const int *pids;
	size_t n_pids;
	const char *const *cmdline; /* POSIX extended regexes */
	size_t n_cmdline;
	const char *container_prefix; /* "nanoclaw-"; "" = no name matching */
	const char *container_label;  /* label key; "" = none */
	const char *docker_root;      /* NULL = "/var/lib/docker/containers" */
};

/* Called when a target appears, changes binary (exec) or goes away. */
enum cs_target_event { CS_TARGET_ADDED, CS_TARGET_CHANGED, CS_TARGET_REMOVED };
typedef void (*cs_target_fn)(void *ctx, enum cs_target_event ev, struct cs_target *t);

struct cs_targets;

struct cs_targets *cs_targets_new(cs_target_fn fn, void *ctx);
void cs_targets_free(struct cs_targets *ts);
/*
 * Replace the rules; on a bad regex returns -1 with a reason and keeps the
 * old rules. Targets no longer matched are removed at the next scan.
 */
int cs_targets_set_rules(struct cs_targets *ts, const struct cs_target_rules *r, char *err,
			 size_t errlen);
/* Walk /proc: add new matches, drop dead or no longer matching targets. */
int cs_targets_scan(struct cs_targets *ts);
/* A process exec'd: (re)check it against the rules and its binary. */
void cs_targets_on_exec(struct cs_targets *ts, int pid);
/* A target forked: follow the child (the kernel already does). */
void cs_targets_on_fork(struct cs_targets *ts, int parent, int child);
void cs_targets_on_exit(struct cs_targets *ts, int pid);
/*
 * A target did TCP I/O (a CS_EV_SOCK_* record). True the first time for a
 * process whose TLS no probe covers: it is now "not visible" (its note says
 * so). A target that never does network I/O is never reported not visible.
 */
bool cs_targets_on_net_io(struct cs_targets *ts, int pid);
/*
 * A dynamically linked program maps libssl only after exec, so a target
 * classified "none" is looked at again: those classified less than
 * young_ms ago (0: all of them) that now map a libssl become CHANGED.
 */
void cs_targets_recheck_tls(struct cs_targets *ts, uint64_t young_ms);

size_t cs_targets_count(const struct cs_targets *ts);
struct cs_target *cs_targets_at(struct cs_targets *ts, size_t i);
struct cs_target *cs_targets_find(struct cs_targets *ts, int pid);

const char *cs_tls_path_name(enum cs_tls_path p);
/*
 * The `source` of a finding: "comm/pid" on the host, "container/comm/pid" in
 * a container, "nanoclaw-v2/<group>/<session>/comm/pid" in a labelled v2
 * container. A '/' in comm (the process sets it) is written as '?'.
 */
void cs_target_source(const struct cs_target *t, char *out, size_t len);
/*
 * A process's name as a `source` part: it names itself, so a '/' (which would
 * add parts to the source) becomes '?'. out gets at most len - 1 bytes.
 */
void cs_source_comm(const char *in, char *out, size_t len);

/* Helpers exposed for tests. */
/* The 64-hex container id in a /proc/PID/cgroup text, or -1. */
int cs_cgroup_container_id(const char *cgroup_text, char id[65]);
/* "nanoclaw-<group>-<ms>" -> group; -1 when the name has not that shape. */
int cs_container_group(const char *name, const char *prefix, char *group, size_t len);

#endif
