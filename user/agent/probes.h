/* SPDX-License-Identifier: MIT */
/*
 * probes.h - load, attach and read the eBPF capture (bpf/capture.bpf.c and
 * one object per TLS stack, see tls_stack.h).
 *
 * Contract for the agent (everything it needs to know):
 *
 *  - Records arrive through cs_probes_poll() as (rec, len). Each starts with
 *    struct cs_ev_hdr (bpf/capture.h); h.type says which struct follows:
 *      CS_EV_DATA                          struct cs_ev_data
 *      CS_EV_SOCK_CONNECT/ACCEPT/SEEN      struct cs_ev_sock (fd + 4-tuple)
 *      CS_EV_SOCK_CLOSE                    struct cs_ev_sock (fd only)
 *      CS_EV_SSL_SNI/SSL_FD/SSL_FREE       struct cs_ev_ssl
 *      CS_EV_PROC_FORK/EXEC/EXIT           struct cs_ev_proc
 *    A data record's len may exceed offsetof(data) + d->len (size tiers):
 *    use d->len, and check it against len before reading data[].
 *    Skip record types you do not know.
 *  - Data records: one SSL_* or socket call = records sharing (tid, call_id),
 *    offsets 0, len0, len0+len1 ... in ring order; `captured` bytes in all
 *    when none were dropped (a gap in offsets = records lost, counted in
 *    CS_STAT_RB_FULL / CS_STAT_BYTES_LOST). `total` > `captured` means the
 *    call was longer than the per-call cap (CS_STAT_BYTES_CUT).
 *    conn = SSL* (src CS_SRC_SSL) or fd (CS_SRC_SOCK); both per tgid.
 *  - TLS: CS_EV_SSL_SNI gives the server name of an SSL*, CS_EV_SSL_FD ties
 *    an SSL* to a socket fd (once per SSL*; see docs/capture.md for the
 *    method and its limits), whose 4-tuple came in a CS_EV_SOCK_* record.
 *    Ciphertext on TLS sockets is not reported as CS_SRC_SOCK data.
 *  - Processes: targets' children are added in the kernel (CS_EV_PROC_FORK,
 *    h.tgid = parent, child = new tgid) and dead targets removed
 *    (CS_EV_PROC_EXIT); CS_EV_PROC_EXEC means "re-scan this pid" (its
 *    binary changed: attach its TLS library again). With exec_all set, every
 *    exec on the machine is reported, so new targets can be discovered.
 *    An exec record with CS_PROC_HELD: the process is held stopped until
 *    cs_holds_done() (hold.h; only once cs_holds_start() enabled holds).
 *  - TLS attachments are per binary (dev, inode), shared by every process
 *    using it and reference-counted per pid: attach for each pid that uses
 *    it, cs_probes_forget_pid() when a pid exits.
 *
 * Not thread-safe: use one struct cs_probes from one thread.
 */
#ifndef CLAWSEC_PROBES_H
#define CLAWSEC_PROBES_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "elfsym.h"
#include "hold.h"

struct cs_probes;

struct cs_probes_opts {
	size_t ringbuf_bytes;  /* 0: 8 MiB; rounded up to a power of two >= 4 KiB */
	uint32_t capture_cap;  /* bytes per call; 0: CS_CAP_DEFAULT; max CS_CAP_MAX */
	int exec_all;	       /* report every exec on the machine, not just targets' */
	int raw_syscall_hooks; /* the raw sys_enter/sys_exit pair even where tracefs has
				  the per-syscall tracepoints (tests both front ends) */
	int bpf_stats;	       /* have the kernel count our programs' run time while open */
};

/* Called once per record; return 0 to go on, non-zero to stop this poll. */
typedef int (*cs_probes_record_fn)(const void *rec, size_t len, void *ctx);

/*
 * Loads the programs, attaches process and syscall tracking (no target yet).
 * Returns 0 and *out, or -errno: -EPERM without root/CAP_BPF, -EINVAL for
 * bad options, -ENOSYS when the kernel lacks BTF or a needed BPF feature.
 * err/errlen (may be NULL/0) receive a one-line reason.
 */
int cs_probes_open(const struct cs_probes_opts *opts, struct cs_probes **out, char *err,
		   size_t errlen);

/* How socket syscalls are hooked: "per-syscall tracepoints" or "raw sys_enter/sys_exit". */
const char *cs_probes_syscall_hooks(const struct cs_probes *p);

/* Starts/stops capturing tgid (and, from now on, its new children). */
int cs_probes_add_target(struct cs_probes *p, uint32_t tgid);
int cs_probes_remove_target(struct cs_probes *p, uint32_t tgid);

/*
 * With exec_all, other processes' exec records wake the agent at once only
 * when they may make a target (a container's, a `node`); on: every one (a
 * config with its own cmdline rules). The rest come with the next batch.
 */
void cs_probes_set_exec_wake_all(struct cs_probes *p, bool on);

/* The hold at exec's control block and maps (hold.h), for cs_holds_start(). */
void cs_probes_hold_maps(const struct cs_probes *p, struct cs_hold_maps *out);

/*
 * Makes pid a user of the binary at path (key from elfsym.h, e.g. from
 * cs_find_exe()/cs_find_libssl()); the first user attaches the first TLS
 * stack that finds its library in the file (for OpenSSL: entry and return
 * probes on every SSL_* function it defines), machine-wide (the kernel keeps
 * only targets' events). *syms (may be NULL) gets the CS_SYM_* bits attached
 * (0 for other stacks). Returns 0; -ENOENT if no stack finds TLS in it;
 * -errno else.
 * Attaching the same (key, pid) again is a no-op. pid -1 is a user that is no
 * process (e.g. a binary probed by path before anything runs it).
 */
int cs_probes_attach_tls(struct cs_probes *p, const char *path, const struct cs_bin_key *key,
			 int pid, unsigned int *syms);

/* What the stack attached to key found (for `status`), "" if not attached. */
const char *cs_probes_tls_status(const struct cs_probes *p, const struct cs_bin_key *key);

/* Drops pid as a user of key; detaches when it was the last. 0 or -ENOENT. */
int cs_probes_detach_tls(struct cs_probes *p, const struct cs_bin_key *key, int pid);

/* Drops pid from every binary (call when the process exited). */
void cs_probes_forget_pid(struct cs_probes *p, int pid);

/* Number of binaries currently attached. */
size_t cs_probes_attached_binaries(const struct cs_probes *p);

/* An fd that becomes readable when records are waiting (epoll). */
int cs_probes_ringbuf_fd(const struct cs_probes *p);
/* The ring buffer map's fd and data size (its positions can be mapped read-only). */
int cs_probes_ringbuf_map(const struct cs_probes *p, size_t *size);

/*
 * Waits up to timeout_ms (-1: forever, 0: don't wait) and hands every waiting
 * record to fn. Returns the number of records handled or -errno (-EINTR when
 * a signal interrupted the wait).
 */
int cs_probes_poll(struct cs_probes *p, int timeout_ms, cs_probes_record_fn fn, void *ctx);

/* Counters summed over CPUs, indexed by enum cs_stat. 0 or -errno. */
int cs_probes_read_stats(const struct cs_probes *p, uint64_t out[CS_STAT_MAX]);

/*
 * Kernel ids of our loaded programs (for leak checks: after cs_probes_close()
 * no link or program with these ids remains). Returns how many (<= max).
 */
size_t cs_probes_prog_ids(const struct cs_probes *p, uint32_t *ids, size_t max);

/* What our BPF programs cost the traced processes, summed over all of them. */
struct cs_probes_cost {
	uint64_t runs;
	uint64_t run_ns;
	bool counted; /* the kernel counts run time (bpf_stats, or the sysctl is on) */
};
void cs_probes_cost(const struct cs_probes *p, struct cs_probes_cost *out);

/* Links of the syscall and process tracking (the rest are TLS uprobes). */
size_t cs_probes_tracking_links(const struct cs_probes *p);

/* Detaches and unloads everything; p may be NULL. */
void cs_probes_close(struct cs_probes *p);

#endif
