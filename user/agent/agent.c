/* SPDX-License-Identifier: MIT */
/* agent.c - the eBPF agent's event loop: wiring, signals, reload, state. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent_internal.h"
#include "fsutil.h"
#include "logstore.h"
#include "metrics.h"
#include "procstat.h"
#include "ship.h"
#include "tls_libs.h"

#define TICK_MS 100
#define STATE_EVERY 10	/* ticks: state.json about once a second */
#define RESCAN_EVERY 20 /* ticks: /proc walk every two seconds */
#define YOUNG_MS 3000	/* targets this fresh from exec are re-checked for libssl every tick */

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logmsg(const char *fmt, ...)
{
	char ts[CS_TIMESTAMP_LEN];
	va_list ap;

	cs_format_timestamp(cs_now_ms(), ts);
	fprintf(stderr, "%s clawsec-traffic agent: ", ts);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

const char *cs_agent_privilege_problem(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {0};

	if (syscall(SYS_capget, &h, d))
		return geteuid() ? "needs root (or CAP_BPF and CAP_PERFMON) to load eBPF probes"
				 : NULL;
	if (has_cap(d, CAP_SYS_ADMIN) || (has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON)))
		return NULL;
	return "needs root (or CAP_BPF and CAP_PERFMON) to load eBPF probes";
}

/* ---- configuration ---- */

static void apply_overrides(struct cs_config *c, const struct cs_agent_opts *o)
{
	if (o->log_dir)
		snprintf(c->log_dir, sizeof(c->log_dir), "%s", o->log_dir);
	if (o->state_file)
		snprintf(c->state_file, sizeof(c->state_file), "%s", o->state_file);
	if (o->ringbuf_bytes)
		c->ringbuf_bytes = o->ringbuf_bytes;
	if (o->capture_cap)
		c->capture_cap_bytes = o->capture_cap;
	for (size_t i = 0; i < o->n_pids && c->n_target_pids < CS_CFG_MAX_LIST; i++)
		c->target_pids[c->n_target_pids++] = o->pids[i];
}

/* Load and validate; every problem is logged with its path. NULL if invalid. */
static struct agent_conf *load_conf(const struct cs_agent_opts *o)
{
	struct agent_conf *ac = calloc(1, sizeof(*ac));
	struct cs_config_problems *p = calloc(1, sizeof(*p));

	if (!ac || !p) {
		logmsg("out of memory loading the config");
		goto fail;
	}
	if (cs_config_load(o->config_path, &ac->cfg, p)) {
		for (size_t i = 0; i < p->n && i < 64; i++)
			logmsg("config %s: %s", p->items[i].path, p->items[i].reason);
		if (p->n > 64)
			logmsg("config: %zu more problems", p->n - 64);
		goto fail;
	}
	apply_overrides(&ac->cfg, o);
	cs_config_detector(&ac->cfg, &ac->det, ac->disabled, ac->ovr);
	free(p);
	return ac;
fail:
	free(p);
	free(ac);
	return NULL;
}

static int target_rules(const struct agent_conf *ac, struct cs_targets *ts, char *err,
			size_t errlen)
{
	const struct cs_config *c = &ac->cfg;
	const char *cmdline[CS_CFG_MAX_LIST];
	struct cs_target_rules r = {
		.pids = c->target_pids,
		.n_pids = c->n_target_pids,
		.cmdline = cmdline,
		.n_cmdline = c->n_target_cmdline,
		.container_prefix = c->container_prefix,
		.container_label = c->container_label,
		.docker_root = c->docker_containers_dir,
	};

	for (size_t i = 0; i < c->n_target_cmdline; i++)
		cmdline[i] = c->target_cmdline[i];
	if (!c->n_target_cmdline) {
		cmdline[0] = CS_TARGET_DEFAULT_CMDLINE;
		r.n_cmdline = 1;
	}
	return cs_targets_set_rules(ts, &r, err, errlen);
}

static struct cs_jsonl *open_log(const struct cs_config *c)
{
	char err[256];
	struct cs_jsonl *w = cs_logstore_open(c, err, sizeof(err));

	if (!w)
		logmsg("findings log in %s: %s", c->log_dir, err);
	return w;
}

/* ---- findings and sources ---- */

/* dest and source come from the traffic (SNI): no control bytes into the log. */
static const char *printable(const char *in, char *out, size_t len)
{
	size_t i = 0;

	for (; in[i] && i + 1 < len; i++)
		out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	out[i] = '\0';
	return out;
}

static void on_finding(void *ctx, const struct cs_finding *f)
{
	struct agent *a = ctx;
	char src[sizeof(f->source)], dst[sizeof(f->dest)];

	/*
	 * Capture findings come on the agent's thread, proxy ones on the proxy's,
	 * which must not wait for an idle-class holder of the lock.
	 */
	cs_cpu_yield_hurry(a->yield);
	pthread_mutex_lock(&a->mu);
	if (a->log)
		cs_jsonl_append_finding(a->log, f);
	cs_ship_finding(f); /* queued for syslog/journald, never waited for */
	if (f->folded) {    /* a summary of repeats: logged, counted by the detector */
		pthread_mutex_unlock(&a->mu);
		logmsg("folded: %llu more of %s -> %s", (unsigned long long)f->folded, f->pattern,
		       printable(f->dest, dst, sizeof(dst)));
		return;
	}
	cs_metrics_count_finding(f);
	for (size_t i = 0; i < cs_family_count() && i < CS_AGENT_MAX_FAMILIES; i++)
		if (!strcmp(cs_family_id(i), f->pattern))
			a->by_family[i]++;
	if (f->severity <= CS_SEV_CRITICAL)
		a->by_severity[f->severity]++;
	pthread_mutex_unlock(&a->mu);
	/* Fields only: the snippet (redacted as it is) stays in the log file. */
	logmsg("finding: %s %s %s %s -> %s (%s)", cs_severity_name(f->severity), f->pattern,
	       cs_direction_name(f->direction), printable(f->source, src, sizeof(src)),
	       printable(f->dest, dst, sizeof(dst)), f->protocol);
}

/*
 * The name a process had at exec (or inherited at fork), from the ring
 * buffer itself: a short-lived curl has often exited, and left /proc, by the
 * time its records are handled, and its findings must not say "unknown".
 * Only printable characters are kept (a process names itself).
 */
static void remember_comm(struct agent *a, uint32_t tgid, const char comm[CS_COMM_LEN])
{
	struct recent_comm *r = &a->recent[tgid % CS_AGENT_RECENT_COMMS];
	char tmp[CS_COMM_LEN + 1];

	memcpy(tmp, comm, CS_COMM_LEN);
	tmp[CS_COMM_LEN] = '\0';
	r->tgid = tgid;
	printable(tmp, tmp, sizeof(tmp));
	cs_source_comm(tmp, r->comm, sizeof(r->comm));
}

static void source_name(void *ctx, uint32_t tgid, char *out, size_t len)
{
	struct agent *a = ctx;
	struct cs_target *t = cs_targets_find(a->targets, (int)tgid);
	const struct recent_comm *r = &a->recent[tgid % CS_AGENT_RECENT_COMMS];
	char path[64], comm[32] = "";
	FILE *f;

	/* a target added after its process left /proc has no name of its own */
	if (t && !t->comm[0] && r->tgid == tgid)
		snprintf(t->comm, sizeof(t->comm), "%s", r->comm);
	if (t) {
		cs_target_source(t, out, len);
		return;
	}
	if (r->tgid == tgid) {
		snprintf(out, len, "%s/%u", r->comm, tgid);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%u/comm", tgid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(out, len, "%s/%u", comm[0] ? comm : "unknown", tgid);
}

/* ---- targets <-> probes ---- */

/* Drop this pid's use of the binary it was probed through, if any. */
static void release_binary(struct agent *a, struct cs_target *t)
{
	struct cs_bin_key key = {.dev = (uint64_t)t->probed_dev, .ino = (uint64_t)t->probed_ino};

	if (t->probed_ino)
		cs_probes_detach_tls(a->probes, &key, t->pid);
	t->probed_dev = 0;
	t->probed_ino = 0;
}

/*
 * Keep a shared TLS library (libssl, libgnutls) or a Bun executable probed
 * for the agent's lifetime (the agent itself is made a user of it), from
 * before any target loads it (prewarm) or after its first user exits: the
 * next short-lived process loading the same file, e.g. curl or git run by a
 * container agent, or the Bun of the next NanoClaw v2 session (the same
 * image layer, so the same inode), is captured from its first call, before
 * the agent could have classified it (proving a never-seen Bun's AEAD
 * functions takes about a second). A Go executable is pinned too: Go tools
 * are run again and again as short tool calls, and once pinned the hold at
 * exec (bpf/hold.bpf.h) is not needed for their next runs. Node's exe is
 * not: its probes go with its last process, and a Node outside the
 * pre-attached paths is held briefly at each exec instead (examined()).
 */
static bool pinned(const struct agent *a, const struct cs_bin_key *key)
{
	for (size_t i = 0; i < a->n_pinned; i++)
		if (a->pinned[i].dev == key->dev && a->pinned[i].ino == key->ino)
			return true;
	return false;
}

static void pin(struct agent *a, const char *path, const struct cs_bin_key *key)
{
	if (pinned(a, key) || a->n_pinned == CS_AGENT_MAX_PINNED ||
	    cs_probes_attach_tls(a->probes, path, key, getpid(), NULL))
		return;
	a->pinned[a->n_pinned++] = *key;
}

static void pin_lib(void *ctx, const char *path, const struct cs_bin_key *key)
{
	pin(ctx, path, key);
}

/*
 * Probe the TLS libraries of a root file system before anything loads them:
 * the host's at start, a container's when its first process is seen (once
 * per mount namespace), so the first TLS call of the first curl/git/wget in
 * it is captured (docs/capture.md, "No cold start"). Uprobes fire in every
 * process mapping the file: in a container all are targets, on the host all
 * the others pay the traps too, hence capture.prewarm_host.
 */
static void prewarm(struct agent *a, int pid)
{
	char root[64], ns[64];
	struct stat st, own;

	snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", pid);
	if (stat(ns, &st))
		return;
	if (!a->conf->cfg.prewarm_host && !stat("/proc/self/ns/mnt", &own) &&
	    own.st_ino == st.st_ino && own.st_dev == st.st_dev)
		return;
	for (size_t i = 0; i < a->n_warmed; i++)
		if (a->warmed[i] == (uint64_t)st.st_ino)
			return;
	if (a->n_warmed == CS_AGENT_MAX_WARMED)
		return;
	a->warmed[a->n_warmed++] = (uint64_t)st.st_ino;
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	cs_tls_libs_find(root, pin_lib, a);
}

static void attach(struct agent *a, struct cs_target *t)
{
	struct cs_bin_key key = {.dev = (uint64_t)t->dev, .ino = (uint64_t)t->ino};
	bool same = t->probed_ino && t->probed_dev == t->dev && t->probed_ino == t->ino;
	int rc = cs_probes_add_target(a->probes, (uint32_t)t->pid);

	if (rc) {
		snprintf(t->note, sizeof(t->note), "capture not attached: %s", strerror(-rc));
		t->attached = false;
		return;
	}
	t->attached = true;
	/* An exec into another binary: attach the new one before letting the old go. */
	if (t->tls != CS_TLS_NONE && !same) {
		rc = cs_probes_attach_tls(a->probes, t->binary, &key, t->pid, NULL);
		if (rc) {
			snprintf(t->note, sizeof(t->note), "TLS probes not attached to %.80s: %s",
				 t->binary_shown, strerror(-rc));
			t->attached = false;
		}
	}
	if (!same)
		release_binary(a, t);
	if (t->tls != CS_TLS_NONE && t->attached) {
		t->probed_dev = t->dev;
		t->probed_ino = t->ino;
		if (t->tls != CS_TLS_STATIC_OPENSSL)
			pin(a, t->binary, &key);
		/* what the stack found, e.g. how many AEAD tables, the Bun or Go version */
		if (t->tls == CS_TLS_BORINGSSL_AEAD || t->tls == CS_TLS_GO)
			snprintf(t->note, sizeof(t->note), "%s",
				 cs_probes_tls_status(a->probes, &key));
	}
}

static void target_event(void *ctx, enum cs_target_event ev, struct cs_target *t)
{
	struct agent *a = ctx;
	char comm[sizeof(t->comm)], cont[sizeof(t->container)], note[sizeof(t->note)];

	printable(t->comm, comm, sizeof(comm));
	printable(t->container, cont, sizeof(cont));
	switch (ev) {
	case CS_TARGET_ADDED:
		if (t->container[0])
			prewarm(a, t->pid);
		attach(a, t);
		if (t->why == CS_WHY_CHILD)
			break; /* children come and go by the hundred: state.json lists them */
		logmsg("target %s/%d (%s%s%s): tls %s%s%s", comm, t->pid,
		       t->container[0] ? "container " : "host", cont,
		       t->attached ? ", attached" : "", cs_tls_path_name(t->tls),
		       t->note[0] ? ": " : "", printable(t->note, note, sizeof(note)));
		break;
	case CS_TARGET_CHANGED:
		attach(a, t);
		break;
	case CS_TARGET_REMOVED:
		cs_flows_close_pid(a->flows, (uint32_t)t->pid);
		cs_probes_forget_pid(a->probes, t->pid);
		cs_probes_remove_target(a->probes, (uint32_t)t->pid);
		if (t->why != CS_WHY_CHILD)
			logmsg("target %s/%d gone", comm, t->pid);
		break;
	}
}

static bool net_io_record(uint32_t type)
{
	return type == CS_EV_SOCK_CONNECT || type == CS_EV_SOCK_ACCEPT || type == CS_EV_SOCK_SEEN;
}

/* The first network I/O of a process whose TLS no probe covers: say so once. */
static void on_net_io(struct agent *a, uint32_t tgid)
{
	struct cs_target *t;
	char comm[sizeof(t->comm)];

	if (!cs_targets_on_net_io(a->targets, (int)tgid))
		return;
	t = cs_targets_find(a->targets, (int)tgid);
	logmsg("target %s/%u does network I/O: %s", printable(t->comm, comm, sizeof(comm)), tgid,
	       t->note);
}

/*
 * Was the executable tgid just exec'd examined for good: classified with
 * its probes in (attached), and, if it carries TLS, kept probed (pinned)?
 * Then later runs of it need no hold.
 */
static bool examined(const struct agent *a, uint32_t tgid)
{
	struct cs_target *t = cs_targets_find(a->targets, (int)tgid);
	struct cs_bin_key key;

	if (!t || !t->attached)
		return false;
	key.dev = (uint64_t)t->dev;
	key.ino = (uint64_t)t->ino;
	return t->tls == CS_TLS_NONE || pinned(a, &key);
}

static int on_record(const void *rec, size_t len, void *ctx)
{
	struct agent *a = ctx;
	const struct cs_ev_hdr *h = rec;
	const struct cs_ev_proc *p = rec;

	a->polled_bytes += len;
	/* Flows first: a process's flows flush while its name is still known. */
	cs_flows_record(a->flows, rec, len);
	if (len >= sizeof(*h) && net_io_record(h->type))
		on_net_io(a, h->tgid);
	if (len < sizeof(*p))
		return 0;
	switch (h->type) {
	case CS_EV_PROC_FORK:
		remember_comm(a, p->child, p->comm);
		cs_targets_on_fork(a->targets, (int)h->tgid, (int)p->child);
		break;
	case CS_EV_PROC_EXEC:
		remember_comm(a, h->tgid, p->comm);
		cs_targets_on_exec(a->targets, (int)h->tgid);
		cs_holds_done(a->holds, p, examined(a, h->tgid));
		break;
	case CS_EV_PROC_EXIT:
		cs_targets_on_exit(a->targets, (int)h->tgid);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- periodic work ---- */

static void refresh_stats(struct agent *a)
{
	uint64_t now = cs_now_ms();

	cs_holds_get_stats(a->holds, &a->hold_stats);
	cs_cpu_yield_get_stats(a->yield, &a->yield_stats);
	if (cs_probes_read_stats(a->probes, a->stats))
		return;
	cs_probes_cost(a->probes, &a->bpf_cost);
	if (now > a->rate_ms) {
		a->events_per_sec =
			(a->stats[CS_STAT_EVENTS] - a->rate_events) * 1000 / (now - a->rate_ms);
		a->rate_events = a->stats[CS_STAT_EVENTS];
		a->rate_ms = now;
	}
}

static void write_state(struct agent *a)
{
	int rc = cs_agent_write_state(a);

	if (rc && !a->state_failing)
		logmsg("cannot write %s: %s", a->conf->cfg.state_file, strerror(-rc));
	a->state_failing = rc != 0;
}

static void tick(struct agent *a)
{
	uint64_t expirations;

	if (read(a->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	cs_flows_tick(a->flows, cs_mono_ns());
	cs_targets_recheck_tls(a->targets, YOUNG_MS);
	a->ticks++;
	if (a->ticks % RESCAN_EVERY == 0) {
		cs_targets_scan(a->targets);
		cs_targets_recheck_tls(a->targets, 0);
	}
	if (a->ticks % STATE_EVERY == 0) {
		refresh_stats(a);
		write_state(a);
		if (a->log)
			cs_jsonl_sync(a->log);
	}
}

/* ---- the explicit proxy, beside the capture ---- */

/*
 * Start, stop or reload the proxy to match c. Call with SIGTERM/SIGINT/SIGHUP
 * blocked: its threads inherit the mask, so signals stay with the signalfd.
 */
static int apply_proxy(struct agent *a, const struct cs_config *c)
{
	char err[256];
	int rc;

	if (!c->proxy_enabled) {
		if (a->proxy)
			logmsg("proxy stopped (proxy.enabled is off)");
		cs_proxy_free(a->proxy);
		a->proxy = NULL;
		return 0;
	}
	if (a->proxy) {
		if (!cs_proxy_reload(a->proxy, c, err, sizeof(err)))
			return 0;
		logmsg("proxy reload refused, it keeps its running settings: %s", err);
		return -1;
	}
	a->proxy = cs_proxy_new(c, on_finding, a, err, sizeof(err));
	if (!a->proxy) {
		logmsg("proxy: %s", err);
		return -1;
	}
	rc = cs_proxy_start(a->proxy);
	if (rc) {
		logmsg("proxy thread: %s", strerror(-rc));
		cs_proxy_free(a->proxy);
		a->proxy = NULL;
		return -1;
	}
	logmsg("proxy listening on %s, https inspection %s", cs_proxy_listen_addr(a->proxy),
	       c->https_inspection ? "on" : "off");
	return 0;
}

/* ---- reload ---- */

static bool same_log(const struct cs_config *x, const struct cs_config *y)
{
	return !strcmp(x->log_dir, y->log_dir) && x->rotate_bytes == y->rotate_bytes &&
	       x->rotate_keep == y->rotate_keep && x->fsync == y->fsync &&
	       x->fsync_interval_ms == y->fsync_interval_ms;
}

static void reload(struct agent *a)
{
	struct agent_conf *ac = load_conf(a->opts);
	struct cs_detector *det = NULL;
	struct cs_jsonl *log = NULL;
	char err[256];

	if (ac)
		det = cs_detector_new(&ac->det, on_finding, a, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "invalid config (problems above)");
	if (ac && det && !same_log(&ac->cfg, &a->conf->cfg) && !(log = open_log(&ac->cfg)))
		snprintf(err, sizeof(err), "cannot open the new log");
	if (!ac || !det || (!log && !same_log(&ac->cfg, &a->conf->cfg)) ||
	    target_rules(ac, a->targets, err, sizeof(err))) {
		logmsg("reload refused, keeping the running config: %s", err);
		cs_detector_free(det);
		cs_jsonl_close(log);
		free(ac);
		return;
	}
	if (ac->cfg.ringbuf_bytes != a->conf->cfg.ringbuf_bytes ||
	    ac->cfg.capture_cap_bytes != a->conf->cfg.capture_cap_bytes ||
	    ac->cfg.hold_exec_timeout_ms != a->conf->cfg.hold_exec_timeout_ms)
		logmsg("ringbuf_bytes, capture_cap_bytes and capture.hold_exec_timeout_ms take "
		       "effect at the next start");
	cs_holds_set_enabled(a->holds, ac->cfg.hold_exec);
	cs_probes_set_exec_wake_all(a->probes, ac->cfg.n_target_cmdline > 0);
	cs_flows_set_detector(a->flows, det);
	cs_detector_sweep_folds(a->det, true); /* its folded repeats are said, not lost */
	cs_detector_free(a->det);
	a->det = det;
	if (log) {
		struct cs_jsonl *old = a->log;

		pthread_mutex_lock(&a->mu);
		a->log = log;
		pthread_mutex_unlock(&a->mu);
		cs_jsonl_close(old);
	}
	free(a->conf);
	a->conf = ac;
	if (a->ipc)
		cs_ipc_thread_set_config(a->ipc, &ac->cfg);
	/* proxy threads started now inherit this thread's class: the normal one */
	cs_cpu_yield_set_enabled(a->yield, false);
	apply_proxy(a, &ac->cfg);
	cs_cpu_yield_set_enabled(a->yield, ac->cfg.yield_cpu);
	cs_targets_scan(a->targets);
	logmsg("config reloaded from %s",
	       ac->cfg.config_path[0] ? ac->cfg.config_path : "defaults");
}

static void on_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(a);
		else
			a->stop = true;
	}
}

/* ---- setup and teardown ---- */

static int setup_fds(struct agent *a)
{
	sigset_t set;
	struct itimerspec its = {{0, TICK_MS * 1000000L}, {0, TICK_MS * 1000000L}};
	struct epoll_event ev = {.events = EPOLLIN};

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	a->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	a->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->sigfd < 0 || a->timerfd < 0 || a->epfd < 0 ||
	    timerfd_settime(a->timerfd, 0, &its, NULL))
		return -errno;
	ev.data.fd = a->sigfd;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->sigfd, &ev))
		return -errno;
	ev.data.fd = a->timerfd;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->timerfd, &ev))
		return -errno;
	ev.data.fd = cs_probes_ringbuf_fd(a->probes);
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	return 0;
}

static int open_probes(struct agent *a)
{
	struct cs_probes_opts po = {
		.ringbuf_bytes = a->conf->cfg.ringbuf_bytes,
		.capture_cap = a->conf->cfg.capture_cap_bytes,
		.exec_all = 1,
		.bpf_stats = a->conf->cfg.bpf_stats,
	};
	char err[256] = "";
	int rc = cs_probes_open(&po, &a->probes, err, sizeof(err));

	if (rc)
		logmsg("cannot load the eBPF capture: %s", err[0] ? err : strerror(-rc));
	else
		logmsg("socket syscalls hooked by %s", cs_probes_syscall_hooks(a->probes));
	return rc;
}

/* Without the hold, capture works as before: a cold start can be missed. */
static void start_holds(struct agent *a)
{
	struct cs_hold_maps m;
	char err[256] = "";

	cs_probes_hold_maps(a->probes, &m);
	a->holds = cs_holds_start(&m, a->conf->cfg.hold_exec_timeout_ms, err, sizeof(err));
	if (!a->holds)
		logmsg("no hold at exec: %s", err);
	cs_holds_set_enabled(a->holds, a->conf->cfg.hold_exec);
}

/*
 * After every thread is started (they would inherit the idle class). Without
 * it the capture thread runs in the normal class, as it always did.
 */
static void start_yield(struct agent *a)
{
	char err[256] = "";
	int fd = cs_probes_ringbuf_map(a->probes, &a->ring_bytes);

	a->yield = cs_cpu_yield_start(fd, a->ring_bytes, a->conf->cfg.yield_cpu, err, sizeof(err));
	if (!a->yield)
		logmsg("the capture thread keeps the normal CPU class: %s", err);
	cs_cpu_yield_get_stats(a->yield, &a->yield_stats);
}

static int prepare_state_dir(const struct cs_config *c)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", c->state_file);
	return cs_mkdir_p(dirname(dir), 0700);
}

static int start(struct agent *a)
{
	char err[256];
	int rc;

	if (!(a->conf = load_conf(a->opts)))
		return CS_AGENT_EXIT_ERROR;
	if (prepare_state_dir(&a->conf->cfg) ||
	    cs_lock_acquire(&a->lock, a->conf->cfg.pid_file, err, sizeof(err))) {
		logmsg("%s", err);
		return CS_AGENT_EXIT_ERROR;
	}
	a->locked = true;
	if (!(a->log = open_log(&a->conf->cfg)))
		return CS_AGENT_EXIT_ERROR;
	a->det = cs_detector_new(&a->conf->det, on_finding, a, err, sizeof(err));
	if (!a->det) {
		logmsg("detector: %s", err);
		return CS_AGENT_EXIT_ERROR;
	}
	a->targets = cs_targets_new(target_event, a);
	a->flows = cs_flows_new(a->det, CS_FLOWS_MAX_DEFAULT, source_name, a);
	if (!a->targets || !a->flows) {
		logmsg("out of memory");
		return CS_AGENT_EXIT_ERROR;
	}
	if (target_rules(a->conf, a->targets, err, sizeof(err))) {
		logmsg("%s", err);
		return CS_AGENT_EXIT_ERROR;
	}
	if (open_probes(a))
		return CS_AGENT_EXIT_ERROR;
	start_holds(a);
	cs_probes_set_exec_wake_all(a->probes, a->conf->cfg.n_target_cmdline > 0);
	prewarm(a, getpid());
	/*
	 * Capture is the job; without IPC the container only loses its status
	 * tool. Tasks are answered on their own thread: a flood of them must
	 * never keep this loop from the ring buffer.
	 */
	a->ipc = cs_ipc_thread_start(&a->conf->cfg, err, sizeof(err));
	if (!a->ipc)
		logmsg("IPC tasks will not be answered: %s", err);
	a->state_writer = cs_state_file_writer_start(err, sizeof(err));
	if (!a->state_writer)
		logmsg("state.json will be written on the capture thread: %s", err);
	rc = setup_fds(a);
	if (rc) {
		logmsg("event loop setup: %s", strerror(-rc));
		return CS_AGENT_EXIT_ERROR;
	}
	/* After setup_fds: the signals are blocked now. */
	if (apply_proxy(a, &a->conf->cfg))
		return CS_AGENT_EXIT_ERROR;
	/* Its own thread, after the signal mask; a busy port only loses the metrics. */
	if (cs_metrics_start(a->conf->cfg.metrics_listen, "agent", cs_jsonl_path(a->log), err,
			     sizeof(err)))
		logmsg("metrics off: %s", err);
	if (cs_ship_start(&a->conf->cfg, err, sizeof(err)))
		logmsg("shipping off: %s", err);
	cs_targets_scan(a->targets);
	return 0;
}

static void teardown(struct agent *a)
{
	cs_cpu_yield_stop(a->yield);
	a->yield = NULL;
	/* The port is free and no proxy finding arrives once this returns. */
	cs_proxy_free(a->proxy);
	a->proxy = NULL;
	/* Flush what flows hold (findings may come out) while targets name them. */
	cs_flows_free(a->flows);
	a->flows = NULL;
	/* Every process still held goes on before the maps that name them go. */
	cs_holds_stop(a->holds, &a->hold_stats);
	a->holds = NULL;
	cs_probes_close(a->probes);
	a->probes = NULL;
	cs_detector_sweep_folds(a->det, true);
	if (a->conf && a->locked)
		write_state(a);			    /* the last word: capture off */
	cs_state_file_writer_stop(a->state_writer); /* writes it before returning */
	a->state_writer = NULL;
	cs_metrics_stop();
	cs_ship_stop();
	cs_targets_free(a->targets);
	cs_ipc_thread_stop(a->ipc);
	cs_detector_free(a->det);
	cs_jsonl_close(a->log);
	if (a->locked)
		cs_lock_release(&a->lock);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->timerfd >= 0)
		close(a->timerfd);
	free(a->conf);
}

/*
 * Plaintext records do not wake this loop (bpf/core.bpf.h, submit_data): it
 * polls. The next poll comes when, at the rate the last one saw, 1/16 of
 * the ring will wait (1 ms at the soonest), so the kernel's wake-up at 1/4,
 * which the traced process pays, stays rare: a server taking 64 KiB
 * requests (~350 MB/s) is polled every ~1.5 ms. When that is later than the
 * tick (a fetch() client at a few MB/s), or a poll finds nothing, the loop
 * sleeps until a wake-up, a signal or the tick (TICK_MS), as before.
 * Returns the wait in ms, or -1.
 */
static int poll_ring(struct agent *a)
{
	uint64_t now = cs_mono_ns(), since = now - a->last_poll_ns, wait_ns;
	int n;

	a->polled_bytes = 0;
	n = cs_probes_poll(a->probes, 0, on_record, a);
	a->last_poll_ns = now;
	if (n <= 0 || !a->polled_bytes)
		return -1;
	if (since > 1000000000ull)
		since = 1000000000ull;
	wait_ns = a->ring_bytes / 16 * since / a->polled_bytes;
	if (wait_ns >= TICK_MS * 1000000ull)
		return -1;
	return wait_ns < 1000000ull ? 1 : (int)(wait_ns / 1000000ull);
}

/* The sooner of two waits (-1: none). */
static int sooner(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static int loop(struct agent *a)
{
	int rbfd = cs_probes_ringbuf_fd(a->probes), wait = -1;

	while (!a->stop) {
		struct epoll_event evs[4];
		int n = epoll_wait(a->epfd, evs, 4, wait);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			logmsg("epoll_wait: %s", strerror(errno));
			return CS_AGENT_EXIT_ERROR;
		}
		cs_cpu_yield_busy(a->yield, true);
		/* a second poll in one batch that finds nothing does not end the flow */
		wait = n == 0 ? poll_ring(a) : -1;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == rbfd) {
				wait = sooner(wait, poll_ring(a));
			} else if (evs[i].data.fd == a->sigfd) {
				on_signal(a);
			} else if (evs[i].data.fd == a->timerfd) {
				wait = sooner(wait, poll_ring(a));
				tick(a);
			}
		}
		cs_cpu_yield_busy(a->yield, false);
	}
	/* Records already in the ring buffer belong to this run: no delay. */
	cs_cpu_yield_set_enabled(a->yield, false);
	cs_probes_poll(a->probes, 0, on_record, a);
	return 0;
}

int cs_agent_run(const struct cs_agent_opts *o)
{
	struct agent a = {
		.opts = o, .epfd = -1, .sigfd = -1, .timerfd = -1, .mu = PTHREAD_MUTEX_INITIALIZER};
	const char *why = cs_agent_privilege_problem();
	int rc;

	if (why) {
		fprintf(stderr, "clawsec-traffic agent: %s\n", why);
		return CS_AGENT_EXIT_ERROR;
	}
	a.started_ms = a.rate_ms = cs_now_ms();
	rc = start(&a);
	if (rc == 0) {
		logmsg("running (pid %d), findings in %s, state in %s", getpid(),
		       cs_jsonl_path(a.log), a.conf->cfg.state_file);
		start_yield(&a);
		write_state(&a);
		rc = loop(&a);
		logmsg("stopping: detaching probes");
	}
	teardown(&a);
	return rc;
}
