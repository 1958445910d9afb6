/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * core.bpf.h - what every capture BPF object shares: the maps (the agent
 * loads capture.bpf.c first and hands its map fds to each TLS stack's object
 * with bpf_map__reuse_fd before that one loads, so there is one ring buffer,
 * one target set and one set of counters) and the record helpers.
 *
 * Include once per X.bpf.c, after vmlinux.h and the libbpf headers.
 */
#ifndef CLAWSEC_CORE_BPF_H
#define CLAWSEC_CORE_BPF_H

#include "capture.h"

/* Set by userspace before load (in every object). */
const volatile __u32 capture_cap = CS_CAP_DEFAULT;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 23); /* resized by userspace */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CS_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} call_seq SEC(".maps");

/* TGIDs whose traffic is captured: set by userspace, children added here. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/*
 * A TLS library call in flight on this thread: the socket syscalls use it to
 * tie a socket-BIO library's connection (the syscall happens inside the call)
 * to its fd. `conn` identifies the connection within the process (an SSL*).
 */
struct tls_call {
	__u64 conn;
	__u64 buf;
	__u64 outlen; /* size_t * of the _ex variants */
	__u64 ex;     /* SSL_write_ex/SSL_read_ex: bytes moved are in *outlen */
};

/*
 * Reads and writes apart: Node can call SSL_write from a callback that runs
 * inside SSL_read (handshake completion), on the same thread.
 */
struct tls_calls {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct tls_call);
};

struct tls_calls tls_writes SEC(".maps");
struct tls_calls tls_reads SEC(".maps");

/* conn whose plaintext was just written on this thread, not yet tied to an fd. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} tls_pending SEC(".maps");

/* Last TCP fd this thread read ciphertext from (read-side correlation). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __s32);
} tls_last_read SEC(".maps");

struct conn_key {
	__u64 conn;
	__u32 tgid;
	__u32 _pad;
};

/* conn already tied to a socket fd: CS_EV_SSL_FD goes out once. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct conn_key);
	__type(value, __s32);
} tls_bound SEC(".maps");

static __always_inline void stat_add(__u32 idx, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&stats, &idx);

	if (p)
		__sync_fetch_and_add(p, v);
}

static __always_inline int is_target(__u32 tgid)
{
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

static __always_inline void fill_hdr(struct cs_ev_hdr *h, __u32 type)
{
	__u64 pt = bpf_get_current_pid_tgid();

	h->type = type;
	h->tgid = pt >> 32;
	h->tid = (__u32)pt;
	h->_pad = 0;
	h->ts_ns = bpf_ktime_get_ns();
}

static __always_inline void *reserve(__u64 size)
{
	void *r = bpf_ringbuf_reserve(&events, size, 0);

	if (!r)
		stat_add(CS_STAT_RB_FULL, 1);
	return r;
}

/*
 * Control records (sockets, ties, SNI, processes) wake the agent at once: it
 * acts on some (a new child's binary gets its probes). Forced, because a
 * default submit does not wake a consumer that has plaintext left unread.
 */
static __always_inline void submit(void *r)
{
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	stat_add(CS_STAT_EVENTS, 1);
}

/*
 * Plaintext records wake no one as a rule: a wake-up (irq_work, a self-IPI,
 * then the agent's wake-up: ~5 us of a 64 KiB request's BPF time when one
 * came every 512 KiB) is paid by the traced process. The agent polls on its
 * own timer instead, every few ms while records flow (user/agent/agent.c,
 * loop); it is woken only once 1/4 of the ring waits, which its polling
 * keeps from happening up to ~250 MB/s (docs/capture.md, "Cost").
 */
static __always_inline void submit_data(void *r)
{
	__u64 wait = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (wait >= bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) >> 2)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(r, flags);
	stat_add(CS_STAT_EVENTS, 1);
}

static __always_inline __u32 next_call_id(void)
{
	__u32 zero = 0, *seq = bpf_map_lookup_elem(&call_seq, &zero);
	__u32 n = 0;

	if (seq) {
		n = *seq + 1;
		*seq = n;
	}
	return (bpf_get_smp_processor_id() << 24) | (n & 0xffffff);
}

/* ---- plaintext records ------------------------------------------------ */

/* One call's bytes, walked segment by segment (one flat buffer or iovecs). */
struct chunk_ctx {
	__u64 conn;
	__u64 ptr; /* user address of the current segment's next byte */
	__u64 iov; /* user address of the next struct iovec, 0: flat buffer */
	__u32 iov_left;
	__u32 seg_left; /* bytes left to take from the current segment */
	__u32 done;	/* bytes of the call walked so far */
	__u32 want;	/* min(total, capture_cap) */
	__u32 total;
	__u32 call_id;
	__u8 src;
	__u8 dir;
	__u8 iov_fmt; /* enum iov_fmt */
};

/* Layout of the iovec array of a call. */
enum iov_fmt {
	IOV_POSIX,    /* struct iovec {base, len} */
	IOV_AEAD_IN,  /* BoringSSL CRYPTO_IVEC {out, in, len}: take `in` */
	IOV_AEAD_OUT, /* the same, take `out` */
};

/* BoringSSL's scatter/gather element (seal/open with the iovec convention). */
struct aead_iov {
	__u64 out;
	__u64 in;
	__u64 len;
};

#define DATA_HDR_SZ (__builtin_offsetof(struct cs_ev_data, data))

/*
 * Records are reserved in size tiers (the ring buffer wants a constant size)
 * so that a 100-byte write does not pin 16 KiB of ring space. One function
 * per tier, not inlined: clang would otherwise merge the tiers' tails and the
 * verifier could no longer prove that len fits the reservation.
 */
#define DEFINE_EMIT_TIER(T)                                                    \
	static __noinline void emit_##T(struct chunk_ctx *c, __u64 len)        \
	{                                                                      \
		struct cs_ev_data *r = reserve(DATA_HDR_SZ + (T));             \
                                                                               \
		if (!r) {                                                      \
			stat_add(CS_STAT_BYTES_LOST, len);                     \
			return;                                                \
		}                                                              \
		/* clang knows the callers' bounds and would drop the clamp */ \
		asm volatile("" : "+r"(len));                                  \
		if (len > (T))                                                 \
			len = (T);                                             \
		fill_hdr(&r->h, CS_EV_DATA);                                   \
		r->conn = c->conn;                                             \
		r->src = c->src;                                               \
		r->dir = c->dir;                                               \
		r->_pad = 0;                                                   \
		r->call_id = c->call_id;                                       \
		r->offset = c->done;                                           \
		r->len = len;                                                  \
		r->total = c->total;                                           \
		r->captured = c->want;                                         \
		if (bpf_probe_read_user(r->data, len, (const void *)c->ptr)) { \
			bpf_ringbuf_discard(r, 0);                             \
			stat_add(CS_STAT_READ_FAIL, 1);                        \
			return;                                                \
		}                                                              \
		submit_data(r);                                                \
		stat_add(CS_STAT_BYTES, len);                                  \
	}

DEFINE_EMIT_TIER(256)
DEFINE_EMIT_TIER(1024)
DEFINE_EMIT_TIER(4096)
DEFINE_EMIT_TIER(16384)

static __always_inline void emit_chunk(struct chunk_ctx *c, __u32 n)
{
	if (n <= 256)
		emit_256(c, n);
	else if (n <= 1024)
		emit_1024(c, n);
	else if (n <= 4096)
		emit_4096(c, n);
	else
		emit_16384(c, n);
}

/* Loads the next iovec as the current segment; returns 0 when none is left. */
static __always_inline int next_segment(struct chunk_ctx *c)
{
	struct aead_iov v = {};
	__u64 left = c->want - c->done, size = sizeof(struct iovec), base, len;

	if (!c->iov || !c->iov_left)
		return 0;
	if (c->iov_fmt != IOV_POSIX)
		size = sizeof(v);
	if (bpf_probe_read_user(&v, size, (const void *)c->iov)) {
		stat_add(CS_STAT_READ_FAIL, 1);
		return 0;
	}
	/* struct iovec is {base, len}: the first two words of v */
	base = c->iov_fmt == IOV_AEAD_IN ? v.in : v.out;
	len = c->iov_fmt == IOV_POSIX ? v.in : v.len;
	c->iov += size;
	c->iov_left--;
	c->ptr = base;
	c->seg_left = len < left ? len : left;
	return 1;
}

static long chunk_step(__u32 i, void *arg)
{
	struct chunk_ctx *c = arg;
	__u32 n;

	if (c->done >= c->want)
		return 1;
	if (!c->seg_left)
		return next_segment(c) ? 0 : 1;
	n = c->seg_left < CS_DATA_CHUNK ? c->seg_left : CS_DATA_CHUNK;
	emit_chunk(c, n);
	c->done += n;
	c->ptr += n;
	c->seg_left -= n;
	return 0;
}

#define MAX_STEPS (CS_CAP_MAX / CS_DATA_CHUNK + CS_IOV_MAX + 2)

/*
 * Emits min(total, cap) bytes of one call as CS_EV_DATA records. `buf` is a
 * flat buffer, or with iovcnt > 0 a user array of iovecs laid out as fmt says.
 */
static __always_inline void emit_call_fmt(__u8 src, __u8 dir, __u64 conn, __u64 buf, __u64 iovcnt,
					  __u64 total, __u8 fmt)
{
	struct chunk_ctx c = {.iov_fmt = fmt};
	__u32 cap = capture_cap;

	if (total > 0xffffffffULL)
		total = 0xffffffffULL;
	c.conn = conn;
	c.src = src;
	c.dir = dir;
	c.total = total;
	c.want = total < cap ? total : cap;
	c.call_id = next_call_id();
	if (iovcnt) {
		c.iov = buf;
		c.iov_left = iovcnt < CS_IOV_MAX ? iovcnt : CS_IOV_MAX;
	} else {
		c.ptr = buf;
		c.seg_left = c.want;
	}
	if (total > c.want)
		stat_add(CS_STAT_BYTES_CUT, total - c.want);
	bpf_loop(MAX_STEPS, chunk_step, &c, 0);
	/* iovecs beyond CS_IOV_MAX (or an unreadable iovec) leave bytes behind */
	if (c.done < c.want)
		stat_add(CS_STAT_BYTES_CUT, c.want - c.done);
}

/* emit_call_fmt for a flat buffer or struct iovec array. */
static __always_inline void emit_call(__u8 src, __u8 dir, __u64 conn, __u64 buf, __u64 iovcnt,
				      __u64 total)
{
	emit_call_fmt(src, dir, conn, buf, iovcnt, total, IOV_POSIX);
}

/* ---- connection <-> socket ties ---------------------------------------- */

static __always_inline void emit_ssl_fd(__u64 conn, __s32 fd)
{
	struct cs_ev_ssl *e = reserve(sizeof(*e));

	if (!e)
		return;
	fill_hdr(&e->h, CS_EV_SSL_FD);
	e->ssl = conn;
	e->fd = fd;
	e->_pad = 0;
	e->sni[0] = 0;
	submit(e);
}

static __always_inline int conn_is_bound(__u32 tgid, __u64 conn)
{
	struct conn_key k = {.conn = conn, .tgid = tgid};

	return bpf_map_lookup_elem(&tls_bound, &k) != NULL;
}

static __always_inline void conn_bind(__u32 tgid, __u64 conn, __s32 fd)
{
	struct conn_key k = {.conn = conn, .tgid = tgid};

	if (bpf_map_update_elem(&tls_bound, &k, &fd, BPF_NOEXIST))
		return; /* already tied */
	emit_ssl_fd(conn, fd);
}

#endif
