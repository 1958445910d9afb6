// SPDX-License-Identifier: MIT
/*
 * probes.c - the userspace half of the capture: load capture.bpf.c, keep the
 * target set, attach a TLS stack (tls_stack.h) once per binary, drain the
 * ring buffer.
 */
#include "probes.h"
#include "errbuf.h"
#include "tls_stack.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.skel.h"

#define RINGBUF_DEFAULT (8u << 20)
#define RINGBUF_MAX (1u << 30)
#define MAX_BINS 256
#define MAX_USERS 65536 /* pids per binary */

/* The TLS stacks, asked in this order which one a binary carries. */
static const struct cs_tls_stack *const stacks[] = {&cs_tls_openssl, &cs_tls_gnutls,
						    &cs_tls_boringssl, &cs_tls_go};
#define N_STACKS (sizeof(stacks) / sizeof(stacks[0]))

/* A binary with TLS probes attached and the pids that use it. */
struct tls_bin {
	struct cs_bin_key key;
	const struct cs_tls_stack *stack;
	struct cs_tls_attach at;
	int *pids;
	size_t npids, cap;
};

struct cs_probes {
	struct capture_bpf *skel;
	struct cs_tls_slot slots[N_STACKS];
	struct ring_buffer *rb;
	struct tls_bin *bins[MAX_BINS];
	size_t nbins;
	/* the callback of the poll in progress */
	cs_probes_record_fn fn;
	void *fn_ctx;
	int handled;
	bool per_syscall_hooks;
	int stats_fd; /* BPF_ENABLE_STATS while held, or -1 */
};

/* libbpf's warnings (a verifier log) help; its debug chatter does not. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || level == LIBBPF_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static size_t ringbuf_size(size_t want)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = page;

	if (!want)
		want = RINGBUF_DEFAULT;
	while (n < want && n < RINGBUF_MAX)
		n <<= 1;
	return n;
}

static int sample_cb(void *ctx, void *data, size_t len)
{
	struct cs_probes *p = ctx;

	p->handled++;
	if (p->fn && p->fn(data, len, p->fn_ctx))
		return -ECANCELED;
	return 0;
}

/*
 * The per-syscall tracepoints (capture.bpf.c's cs_e_* and cs_x_*) cost no
 * BPF run for the syscalls they do not track, but are found through tracefs;
 * the raw sys_enter/sys_exit pair needs none. Load one front end.
 */
static bool have_syscall_tracepoints(void)
{
	static const char *const ids[] = {
		"/sys/kernel/tracing/events/syscalls/sys_enter_read/id",
		"/sys/kernel/debug/tracing/events/syscalls/sys_enter_read/id",
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (access(ids[i], R_OK) == 0)
			return true;
	return false;
}

static void choose_syscall_hooks(struct cs_probes *p, bool per_syscall)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, p->skel->obj)
	{
		const char *sec = bpf_program__section_name(prog);

		if (!strncmp(sec, "tracepoint/syscalls/", 20))
			bpf_program__set_autoload(prog, per_syscall);
		else if (!strncmp(sec, "tp_btf/sys_e", 12))
			bpf_program__set_autoload(prog, !per_syscall);
	}
	p->per_syscall_hooks = per_syscall;
}

const char *cs_probes_syscall_hooks(const struct cs_probes *p)
{
	return p->per_syscall_hooks ? "per-syscall tracepoints" : "raw sys_enter/sys_exit";
}

/* Every program of the core object that was loaded: syscalls and processes. */
static int attach_tracking(struct cs_probes *p, char *err, size_t errlen)
{
	const struct bpf_object_skeleton *s = p->skel->skeleton;

	for (int i = 0; i < s->prog_cnt; i++) {
		struct bpf_program *prog = *s->progs[i].prog;

		if (!bpf_program__autoload(prog))
			continue;
		*s->progs[i].link = bpf_program__attach(prog);
		if (!*s->progs[i].link) {
			int e = -errno;

			cs_set_err(err, errlen, "cannot attach %s: %s", bpf_program__name(prog),
				   strerror(-e));
			return e;
		}
	}
	return 0;
}

static int load(struct cs_probes *p, const struct cs_probes_opts *o, char *err, size_t errlen)
{
	int e;

	p->skel = capture_bpf__open();
	if (!p->skel) {
		e = -errno;
		cs_set_err(err, errlen, "cannot open the BPF object: %s", strerror(-e));
		return e;
	}
	e = bpf_map__set_max_entries(p->skel->maps.events, ringbuf_size(o->ringbuf_bytes));
	if (e)
		return e;
	p->skel->rodata->capture_cap = o->capture_cap ? o->capture_cap : CS_CAP_DEFAULT;
	p->skel->rodata->exec_all = o->exec_all ? 1 : 0;
	choose_syscall_hooks(p, !o->raw_syscall_hooks && have_syscall_tracepoints());
	e = capture_bpf__load(p->skel);
	if (e) {
		cs_set_err(err, errlen, "cannot load the BPF programs: %s%s", strerror(-e),
			   e == -EPERM ? " (needs root or CAP_BPF+CAP_PERFMON)" : "");
		return e;
	}
	for (size_t i = 0; i < N_STACKS; i++) {
		p->slots[i].core = p->skel->obj;
		p->slots[i].capture_cap = p->skel->rodata->capture_cap;
	}
	return 0;
}

int cs_probes_open(const struct cs_probes_opts *opts, struct cs_probes **out, char *err,
		   size_t errlen)
{
	struct cs_probes_opts o = {0};
	struct cs_probes *p;
	int e;

	*out = NULL;
	if (opts)
		o = *opts;
	if (o.capture_cap > CS_CAP_MAX || o.ringbuf_bytes > RINGBUF_MAX) {
		cs_set_err(err, errlen, "capture cap or ring buffer size too large");
		return -EINVAL;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		cs_set_err(err, errlen, "kernel has no BTF (/sys/kernel/btf/vmlinux)");
		return -ENOSYS;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/* a kernel without BPF_ENABLE_STATS leaves the cost uncounted, nothing else */
	p->stats_fd = o.bpf_stats ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
	libbpf_set_print(libbpf_log);
	e = load(p, &o, err, errlen);
	if (!e)
		e = attach_tracking(p, err, errlen);
	if (!e) {
		p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), sample_cb, p, NULL);
		if (!p->rb) {
			e = -errno;
			cs_set_err(err, errlen, "cannot map the ring buffer: %s", strerror(-e));
		}
	}
	if (e) {
		cs_probes_close(p);
		return e;
	}
	*out = p;
	return 0;
}

int cs_probes_add_target(struct cs_probes *p, uint32_t tgid)
{
	__u8 one = 1;

	if (bpf_map__update_elem(p->skel->maps.targets, &tgid, sizeof(tgid), &one, sizeof(one),
				 BPF_ANY))
		return -errno;
	return 0;
}

int cs_probes_remove_target(struct cs_probes *p, uint32_t tgid)
{
	if (bpf_map__delete_elem(p->skel->maps.targets, &tgid, sizeof(tgid), 0))
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

/* The kfuncs the kernel side needs to resume held processes when the agent dies. */
static bool kernel_release(void)
{
	struct btf *v = btf__load_vmlinux_btf();
	bool ok = v && btf__find_by_name_kind(v, "bpf_send_signal_task", BTF_KIND_FUNC) > 0 &&
		  btf__find_by_name_kind(v, "bpf_task_from_pid", BTF_KIND_FUNC) > 0 &&
		  btf__find_by_name_kind(v, "bpf_task_release", BTF_KIND_FUNC) > 0;

	btf__free(v);
	return ok;
}

void cs_probes_set_exec_wake_all(struct cs_probes *p, bool on)
{
	if (p->skel->bss)
		p->skel->bss->exec_wake_all = on;
}

void cs_probes_hold_maps(const struct cs_probes *p, struct cs_hold_maps *out)
{
	out->kernel_release = kernel_release();
	out->ctl = p->skel->bss ? &p->skel->bss->hold_ctl : NULL;
	out->held_fd = bpf_map__fd(p->skel->maps.held);
	out->seen_fd = bpf_map__fd(p->skel->maps.exe_seen);
}

/* ---- TLS attachments ---------------------------------------------------- */

static void detach_bin(struct tls_bin *b)
{
	b->stack->detach(b->at.att);
	free(b->pids);
	free(b);
}

static struct tls_bin *find_bin(const struct cs_probes *p, const struct cs_bin_key *key,
				size_t *idx)
{
	for (size_t i = 0; i < p->nbins; i++) {
		if (p->bins[i]->key.dev == key->dev && p->bins[i]->key.ino == key->ino) {
			if (idx)
				*idx = i;
			return p->bins[i];
		}
	}
	return NULL;
}

static int add_user(struct tls_bin *b, int pid)
{
	int *n;

	for (size_t i = 0; i < b->npids; i++) {
		if (b->pids[i] == pid)
			return 0;
	}
	if (b->npids == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;

		if (cap > MAX_USERS)
			return -ENOSPC;
		n = realloc(b->pids, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		b->pids = n;
		b->cap = cap;
	}
	b->pids[b->npids++] = pid;
	return 0;
}

/* The first stack that finds its TLS library in the file attaches to it. */
static int attach_stacks(struct cs_probes *p, struct tls_bin *b, const char *path)
{
	int e = -ENOENT;

	for (size_t i = 0; i < N_STACKS && e == -ENOENT; i++) {
		memset(&b->at, 0, sizeof(b->at));
		e = stacks[i]->attach(&p->slots[i], path, &b->at);
		if (!e)
			b->stack = stacks[i];
	}
	return e;
}

/*
 * A stack reads the file (symbols, AEAD tables) and then has the kernel place
 * uprobes in it by path: two lookups. /proc/PID/exe names another file once
 * the process execs, so offsets proven in one file could land in another,
 * machine-wide, inside instructions. Both lookups go through one descriptor
 * instead, checked to hold the very file key names. Returns the fd, or -errno
 * (-ESTALE when path no longer names that file).
 */
static int open_checked(const char *path, const struct cs_bin_key *key, char *fdpath, size_t len)
{
	struct cs_bin_key got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), e;

	if (fd < 0)
		return -errno;
	e = cs_fd_mapped_key(fd, &got);
	if (!e && (got.dev != key->dev || got.ino != key->ino))
		e = -ESTALE;
	if (e) {
		close(fd);
		return e;
	}
	snprintf(fdpath, len, "/proc/self/fd/%d", fd);
	return fd;
}

static struct tls_bin *new_bin(struct cs_probes *p, const char *path, const struct cs_bin_key *key,
			       int *err)
{
	char fdpath[64];
	struct tls_bin *b;
	int fd;

	if (p->nbins == MAX_BINS) {
		*err = -ENOSPC;
		return NULL;
	}
	fd = open_checked(path, key, fdpath, sizeof(fdpath));
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	b->key = *key;
	/* the uprobes hold the inode: the descriptor is not needed after */
	*err = attach_stacks(p, b, fdpath);
	close(fd);
	if (*err) {
		free(b);
		return NULL;
	}
	p->bins[p->nbins++] = b;
	return b;
}

int cs_probes_attach_tls(struct cs_probes *p, const char *path, const struct cs_bin_key *key,
			 int pid, unsigned int *syms)
{
	struct tls_bin *b = find_bin(p, key, NULL);
	int e;

	if (!b) {
		b = new_bin(p, path, key, &e);
		if (!b)
			return e;
	}
	e = add_user(b, pid);
	if (e) {
		if (!b->npids)
			cs_probes_detach_tls(p, key, pid);
		return e;
	}
	if (syms)
		*syms = b->at.syms;
	return 0;
}

const char *cs_probes_tls_status(const struct cs_probes *p, const struct cs_bin_key *key)
{
	struct tls_bin *b = find_bin(p, key, NULL);

	return b ? b->at.status : "";
}

static void drop_bin(struct cs_probes *p, size_t idx)
{
	detach_bin(p->bins[idx]);
	p->bins[idx] = p->bins[--p->nbins];
}

/* Removes pid from b; returns 1 if b has no user left. */
static int drop_user(struct tls_bin *b, int pid, int *found)
{
	for (size_t i = 0; i < b->npids; i++) {
		if (b->pids[i] == pid) {
			b->pids[i] = b->pids[--b->npids];
			*found = 1;
			break;
		}
	}
	return b->npids == 0;
}

int cs_probes_detach_tls(struct cs_probes *p, const struct cs_bin_key *key, int pid)
{
	size_t idx;
	struct tls_bin *b = find_bin(p, key, &idx);
	int found = 0;

	if (!b)
		return -ENOENT;
	if (drop_user(b, pid, &found))
		drop_bin(p, idx);
	return found ? 0 : -ENOENT;
}

void cs_probes_forget_pid(struct cs_probes *p, int pid)
{
	size_t i = 0;
	int found;

	while (i < p->nbins) {
		if (drop_user(p->bins[i], pid, &found))
			drop_bin(p, i); /* moves the last bin into slot i */
		else
			i++;
	}
}

size_t cs_probes_attached_binaries(const struct cs_probes *p)
{
	return p->nbins;
}

/* ---- records and counters ----------------------------------------------- */

int cs_probes_ringbuf_fd(const struct cs_probes *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

int cs_probes_ringbuf_map(const struct cs_probes *p, size_t *size)
{
	*size = bpf_map__max_entries(p->skel->maps.events);
	return bpf_map__fd(p->skel->maps.events);
}

int cs_probes_poll(struct cs_probes *p, int timeout_ms, cs_probes_record_fn fn, void *ctx)
{
	int e;

	p->fn = fn;
	p->fn_ctx = ctx;
	p->handled = 0;
	e = ring_buffer__poll(p->rb, timeout_ms);
	/* plaintext records come without a wake-up (bpf/core.bpf.h, submit_data):
	 * a wait that timed out still takes what is waiting */
	if (e == 0)
		e = ring_buffer__consume(p->rb);
	p->fn = NULL;
	if (e == -ECANCELED || e >= 0)
		return p->handled;
	return e;
}

int cs_probes_read_stats(const struct cs_probes *p, uint64_t out[CS_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;
	int e = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t k = 0; k < CS_STAT_MAX && !e; k++) {
		out[k] = 0;
		if (bpf_map__lookup_elem(p->skel->maps.stats, &k, sizeof(k), v,
					 sizeof(*v) * (size_t)ncpu, 0)) {
			e = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			out[k] += v[c];
	}
	free(v);
	return e;
}

size_t cs_probes_prog_ids(const struct cs_probes *p, uint32_t *ids, size_t max)
{
	size_t n = 0;

	cs_tls_prog_ids(p->skel->obj, ids, max, &n);
	for (size_t i = 0; i < N_STACKS; i++) {
		if (p->slots[i].obj)
			cs_tls_prog_ids(p->slots[i].bobj, ids, max, &n);
	}
	return n;
}

/* kernel.bpf_stats_enabled also turns counting on (an operator, a benchmark) */
static bool stats_sysctl_on(void)
{
	char c = '0';
	int fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '0';
		close(fd);
	}
	return c == '1';
}

void cs_probes_cost(const struct cs_probes *p, struct cs_probes_cost *out)
{
	memset(out, 0, sizeof(*out));
	out->counted = p->stats_fd >= 0 || stats_sysctl_on();
	/* uncounted, the sums go unshown: not one info query per program every second */
	if (!out->counted)
		return;
	cs_tls_prog_cost(p->skel->obj, &out->runs, &out->run_ns);
	for (size_t i = 0; i < N_STACKS; i++) {
		if (p->slots[i].obj)
			cs_tls_prog_cost(p->slots[i].bobj, &out->runs, &out->run_ns);
	}
}

size_t cs_probes_tracking_links(const struct cs_probes *p)
{
	const struct bpf_object_skeleton *s = p->skel->skeleton;
	size_t n = 0;

	for (int i = 0; i < s->prog_cnt; i++)
		n += *s->progs[i].link != NULL;
	return n;
}

void cs_probes_close(struct cs_probes *p)
{
	if (!p)
		return;
	while (p->nbins)
		drop_bin(p, p->nbins - 1);
	for (size_t i = 0; i < N_STACKS; i++) {
		if (p->slots[i].obj)
			stacks[i]->unload(&p->slots[i]);
	}
	ring_buffer__free(p->rb);
	capture_bpf__destroy(p->skel);
	if (p->stats_fd >= 0)
		close(p->stats_fd);
	free(p);
}
