// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * capture.bpf.c - plaintext capture for the traffic guardian (CO-RE).
 *
 * - uprobes/uretprobes on SSL_write/SSL_read(_ex): plaintext of TLS calls;
 *   SSL_ctrl(cmd 55) gives the SNI, SSL_free ends an SSL*;
 * - raw syscall tracepoints (tp_btf/sys_enter, sys_exit: no tracefs needed):
 *   TCP socket data, connect/accept 4-tuples, close, and the SSL* -> socket
 *   correlation for Node's memory BIOs (docs/capture.md);
 * - sched_process_fork/exec/exit: the target TGID set follows children and
 *   forgets the dead.
 * Every program returns at once unless the current TGID is a target. Every
 * loss is counted in `stats` (enum cs_stat).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "capture.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define EINPROGRESS 115
#define MSG_PEEK 2
#define SSL_CTRL_SET_TLSEXT_HOSTNAME 55

/* Set by userspace before load. */
const volatile __u32 capture_cap = CS_CAP_DEFAULT;
const volatile __u8 exec_all; /* emit CS_EV_PROC_EXEC for every process */

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

/* Arguments of an SSL_* call in flight, per thread. */
struct ssl_call {
	__u64 ssl;
	__u64 buf;
	__u64 outlen; /* size_t * of the _ex variants */
	__u64 ex;     /* SSL_write_ex/SSL_read_ex: bytes moved are in *outlen */
};

/*
 * Reads and writes apart: Node can call SSL_write from a callback that runs
 * inside SSL_read (handshake completion), on the same thread.
 */
struct ssl_calls {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct ssl_call);
};

struct ssl_calls ssl_writes SEC(".maps");
struct ssl_calls ssl_reads SEC(".maps");

enum sys_kind {
	SK_NONE,
	SK_WRITE, /* write, sendto: flat buffer */
	SK_WRITEV,
	SK_SENDMSG,
	SK_READ, /* read, recvfrom: flat buffer */
	SK_READV,
	SK_RECVMSG,
	SK_CONNECT,
	SK_ACCEPT,
	SK_CLOSE,
};

/* Arguments of a socket syscall in flight, per thread. */
struct sys_call {
	__u64 sk;
	__u64 arg; /* buffer, iovec array or msghdr */
	__u64 cnt; /* iovcnt for SK_WRITEV/SK_READV */
	__s32 fd;
	__u32 kind;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct sys_call);
} sys_calls SEC(".maps");

struct fd_key {
	__u32 tgid;
	__s32 fd;
};

/* TCP socket fds already announced; `tls` once ciphertext was seen on it. */
struct sock_state {
	__u64 sk;
	__u8 tls;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct fd_key);
	__type(value, struct sock_state);
} socks SEC(".maps");

/* SSL* whose SSL_write just returned on this thread, not yet tied to an fd. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} ssl_pending SEC(".maps");

/* Last TCP fd this thread read ciphertext from (read-side correlation). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __s32);
} tls_last_read SEC(".maps");

struct ssl_key {
	__u64 ssl;
	__u32 tgid;
	__u32 _pad;
};

/* SSL* already tied to a socket fd: CS_EV_SSL_FD goes out once. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ssl_key);
	__type(value, __s32);
} ssl_bound SEC(".maps");

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

static __always_inline void submit(void *r)
{
	bpf_ringbuf_submit(r, 0);
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
		submit(r);                                                     \
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
	struct iovec v;
	__u64 left = c->want - c->done;

	if (!c->iov || !c->iov_left)
		return 0;
	if (bpf_probe_read_user(&v, sizeof(v), (const void *)c->iov)) {
		stat_add(CS_STAT_READ_FAIL, 1);
		return 0;
	}
	c->iov += sizeof(v);
	c->iov_left--;
	c->ptr = (__u64)v.iov_base;
	c->seg_left = v.iov_len < left ? v.iov_len : left;
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
 * flat buffer, or with iovcnt > 0 a user array of struct iovec.
 */
static __always_inline void emit_call(__u8 src, __u8 dir, __u64 conn, __u64 buf, __u64 iovcnt,
				      __u64 total)
{
	struct chunk_ctx c = {};
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

/* ---- TLS library probes ----------------------------------------------- */

static __always_inline int ssl_enter(void *calls, __u64 ssl, __u64 buf, __u64 outlen, __u64 ex)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct ssl_call a = {.ssl = ssl, .buf = buf, .outlen = outlen, .ex = ex};

	if (!is_target(pt >> 32))
		return 0;
	if (bpf_map_update_elem(calls, &pt, &a, BPF_ANY))
		stat_add(CS_STAT_MISSED_RET, 1);
	return 0;
}

/* Takes the saved entry; returns 0 if none (a missed or foreign call). */
static __always_inline int ssl_take(void *calls, __u64 pt, struct ssl_call *a)
{
	struct ssl_call *p;

	if (!is_target(pt >> 32))
		return 0;
	p = bpf_map_lookup_elem(calls, &pt);
	if (!p) {
		stat_add(CS_STAT_MISSED_RET, 1);
		return 0;
	}
	*a = *p;
	bpf_map_delete_elem(calls, &pt);
	return 1;
}

/* Bytes moved by the call: ret for SSL_write/read, *outlen for the _ex ones. */
static __always_inline __u64 ssl_moved(const struct ssl_call *a, long ret)
{
	__u64 n = 0;

	if (!a->ex)
		return ret > 0 ? ret : 0;
	if (ret != 1 || !a->outlen)
		return 0;
	if (bpf_probe_read_user(&n, sizeof(n), (const void *)a->outlen)) {
		stat_add(CS_STAT_READ_FAIL, 1);
		return 0;
	}
	return n;
}

static __always_inline void emit_ssl_fd(__u64 ssl, __s32 fd)
{
	struct cs_ev_ssl *e = reserve(sizeof(*e));

	if (!e)
		return;
	fill_hdr(&e->h, CS_EV_SSL_FD);
	e->ssl = ssl;
	e->fd = fd;
	e->_pad = 0;
	e->sni[0] = 0;
	submit(e);
}

static __always_inline int ssl_is_bound(__u32 tgid, __u64 ssl)
{
	struct ssl_key k = {.ssl = ssl, .tgid = tgid};

	return bpf_map_lookup_elem(&ssl_bound, &k) != NULL;
}

static __always_inline void ssl_bind(__u32 tgid, __u64 ssl, __s32 fd)
{
	struct ssl_key k = {.ssl = ssl, .tgid = tgid};

	if (bpf_map_update_elem(&ssl_bound, &k, &fd, BPF_NOEXIST))
		return; /* already tied */
	emit_ssl_fd(ssl, fd);
}

static __always_inline int ssl_write_ret(long ret)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct ssl_call a;
	__u64 n;

	if (!ssl_take(&ssl_writes, pt, &a))
		return 0;
	n = ssl_moved(&a, ret);
	if (!n)
		return 0;
	emit_call(CS_SRC_SSL, CS_DATA_EGRESS, a.ssl, a.buf, 0, n);
	/* the next TLS write on this thread carries this call's ciphertext:
	 * it belongs to this SSL*, never to an older pending one */
	if (ssl_is_bound(pt >> 32, a.ssl))
		bpf_map_delete_elem(&ssl_pending, &pt);
	else
		bpf_map_update_elem(&ssl_pending, &pt, &a.ssl, BPF_ANY);
	return 0;
}

static __always_inline int ssl_read_ret(long ret)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct ssl_call a;
	__s32 *fdp, fd = -1;
	__u64 n;

	if (!ssl_take(&ssl_reads, pt, &a))
		return 0;
	/* the ciphertext this call consumed was read from a TCP socket on this
	 * thread just before (even while the handshake still runs: ret <= 0);
	 * one read is claimed by one SSL_read at most */
	fdp = bpf_map_lookup_elem(&tls_last_read, &pt);
	if (fdp) {
		fd = *fdp;
		bpf_map_delete_elem(&tls_last_read, &pt);
		if (!ssl_is_bound(pt >> 32, a.ssl))
			ssl_bind(pt >> 32, a.ssl, fd);
	}
	n = ssl_moved(&a, ret);
	if (n)
		emit_call(CS_SRC_SSL, CS_DATA_INGRESS, a.ssl, a.buf, 0, n);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_write, void *ssl, const void *buf, int num)
{
	return ssl_enter(&ssl_writes, (__u64)ssl, (__u64)buf, 0, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_ssl_write_r, int ret)
{
	return ssl_write_ret(ret);
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_write_ex, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return ssl_enter(&ssl_writes, (__u64)ssl, (__u64)buf, (__u64)written, 1);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_ssl_write_exr, int ret)
{
	return ssl_write_ret(ret);
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_read, void *ssl, void *buf, int num)
{
	return ssl_enter(&ssl_reads, (__u64)ssl, (__u64)buf, 0, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_ssl_read_r, int ret)
{
	return ssl_read_ret(ret);
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_read_ex, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return ssl_enter(&ssl_reads, (__u64)ssl, (__u64)buf, (__u64)readbytes, 1);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_ssl_read_exr, int ret)
{
	return ssl_read_ret(ret);
}

/* SSL_set_tlsext_host_name(ssl, name) is SSL_ctrl(ssl, 55, 0, name). */
SEC("uprobe")
int BPF_KPROBE(cs_ssl_ctrl, void *ssl, int cmd, long larg, const char *name)
{
	struct cs_ev_ssl *e;

	if (!is_target(bpf_get_current_pid_tgid() >> 32) || cmd != SSL_CTRL_SET_TLSEXT_HOSTNAME ||
	    !name)
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, CS_EV_SSL_SNI);
	e->ssl = (__u64)ssl;
	e->fd = -1;
	e->_pad = 0;
	if (bpf_probe_read_user_str(e->sni, sizeof(e->sni), name) < 0) {
		bpf_ringbuf_discard(e, 0);
		stat_add(CS_STAT_READ_FAIL, 1);
		return 0;
	}
	submit(e);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_free, void *ssl)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ssl_key k = {.ssl = (__u64)ssl, .tgid = tgid};
	struct cs_ev_ssl *e;

	if (!is_target(tgid) || !ssl)
		return 0;
	bpf_map_delete_elem(&ssl_bound, &k);
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, CS_EV_SSL_FREE);
	e->ssl = (__u64)ssl;
	e->fd = -1;
	e->_pad = 0;
	e->sni[0] = 0;
	submit(e);
	return 0;
}

/* ---- sockets ---------------------------------------------------------- */

#if defined(__TARGET_ARCH_x86)
#define NR_READ 0
#define NR_WRITE 1
#define NR_CLOSE 3
#define NR_READV 19
#define NR_WRITEV 20
#define NR_CONNECT 42
#define NR_ACCEPT 43
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47
#define NR_ACCEPT4 288
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define NR_CLOSE 57
#define NR_READ 63
#define NR_WRITE 64
#define NR_READV 65
#define NR_WRITEV 66
#define NR_ACCEPT 202
#define NR_CONNECT 203
#define NR_SENDTO 206
#define NR_RECVFROM 207
#define NR_SENDMSG 211
#define NR_RECVMSG 212
#define NR_ACCEPT4 242
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#else
#error "syscall numbers for this architecture are missing"
#endif

static __always_inline __u32 sys_kind_of(long nr)
{
	switch (nr) {
	case NR_WRITE:
	case NR_SENDTO:
		return SK_WRITE;
	case NR_WRITEV:
		return SK_WRITEV;
	case NR_SENDMSG:
		return SK_SENDMSG;
	case NR_READ:
	case NR_RECVFROM:
		return SK_READ;
	case NR_READV:
		return SK_READV;
	case NR_RECVMSG:
		return SK_RECVMSG;
	case NR_CONNECT:
		return SK_CONNECT;
	case NR_ACCEPT:
	case NR_ACCEPT4:
		return SK_ACCEPT;
	case NR_CLOSE:
		return SK_CLOSE;
	}
	return SK_NONE;
}

/* The struct sock behind fd when it is an IPv4/IPv6 TCP socket, else NULL. */
static __always_inline struct sock *tcp_sock_of(__s32 fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **arr, *f = NULL;
	struct socket *so;
	struct sock *sk;
	__u16 fam;

	if (fd < 0 || !fdt || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	arr = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]) || !f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	/* an O_PATH fd on a socket inode has no struct socket behind it */
	so = BPF_CORE_READ(f, private_data);
	if (!so || BPF_CORE_READ(so, file) != f)
		return NULL;
	sk = BPF_CORE_READ(so, sk);
	if (!sk || BPF_CORE_READ(sk, sk_type) != SOCK_STREAM ||
	    BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	return fam == AF_INET || fam == AF_INET6 ? sk : NULL;
}

static __always_inline void emit_sock(__u32 type, __s32 fd, struct sock *sk)
{
	struct cs_ev_sock *e = reserve(sizeof(*e));

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	fill_hdr(&e->h, type);
	e->fd = fd;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	/* BPF_CORE_READ_INTO would read sizeof(u8): size the copies explicitly */
	if (e->family == AF_INET) {
		bpf_core_read(e->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(e->raddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(e->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	submit(e);
}

static __always_inline void track_sock(__u32 type, __s32 fd, struct sock *sk)
{
	struct fd_key k = {.tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd};
	struct sock_state s = {.sk = (__u64)sk};

	bpf_map_update_elem(&socks, &k, &s, BPF_ANY);
	emit_sock(type, fd, sk);
}

static __always_inline void sys_close(__s32 fd)
{
	struct fd_key k = {.tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd};
	struct cs_ev_sock *e;

	if (bpf_map_delete_elem(&socks, &k))
		return; /* not a tracked socket */
	e = reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	fill_hdr(&e->h, CS_EV_SOCK_CLOSE);
	e->fd = fd;
	submit(e);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(cs_sys_enter, struct pt_regs *regs, long nr)
{
	/* syscall number first: a compare is cheaper than the TGID lookup */
	__u32 kind = sys_kind_of(nr);
	__u64 pt = bpf_get_current_pid_tgid();
	struct sys_call a = {};

	if (kind == SK_NONE || !is_target(pt >> 32))
		return 0;
	a.kind = kind;
	a.fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	if (kind == SK_CLOSE) {
		sys_close(a.fd);
		return 0;
	}
	/* peeked bytes are read again later: capture them then */
	if ((nr == NR_RECVFROM && (PT_REGS_PARM4_CORE_SYSCALL(regs) & MSG_PEEK)) ||
	    (nr == NR_RECVMSG && (PT_REGS_PARM3_CORE_SYSCALL(regs) & MSG_PEEK)))
		return 0;
	if (kind != SK_ACCEPT) {
		a.sk = (__u64)tcp_sock_of(a.fd);
		if (!a.sk)
			return 0;
		a.arg = PT_REGS_PARM2_CORE_SYSCALL(regs);
		a.cnt = PT_REGS_PARM3_CORE_SYSCALL(regs);
	}
	bpf_map_update_elem(&sys_calls, &pt, &a, BPF_ANY);
	return 0;
}

/* TLS record header: content type 20..24, version 3.x. */
static __always_inline int looks_tls(const __u8 b[3])
{
	return b[0] >= 20 && b[0] <= 24 && b[1] == 3 && b[2] <= 4;
}

/* Where the call's bytes start: a flat buffer, or the iovec array (cnt set). */
static __always_inline int data_span(struct sys_call *a, __u64 *buf, __u64 *iovcnt)
{
	struct user_msghdr m;

	*buf = a->arg;
	*iovcnt = 0;
	if (a->kind == SK_WRITEV || a->kind == SK_READV) {
		*iovcnt = a->cnt;
	} else if (a->kind == SK_SENDMSG || a->kind == SK_RECVMSG) {
		if (bpf_probe_read_user(&m, sizeof(m), (const void *)a->arg)) {
			stat_add(CS_STAT_READ_FAIL, 1);
			return -1;
		}
		*buf = (__u64)m.msg_iov;
		*iovcnt = m.msg_iovlen;
	}
	return *iovcnt || a->kind == SK_WRITE || a->kind == SK_READ ? 0 : -1;
}

static __always_inline int first_bytes(__u64 buf, __u64 iovcnt, __u8 b[3])
{
	struct iovec v;

	if (iovcnt) {
		if (bpf_probe_read_user(&v, sizeof(v), (const void *)buf) || v.iov_len < 3)
			return -1;
		buf = (__u64)v.iov_base;
	}
	return bpf_probe_read_user(b, 3, (const void *)buf);
}

/*
 * Ciphertext on this fd. A socket BIO (libssl users such as curl) does the
 * syscall inside SSL_write/SSL_read: the SSL* in flight on this thread owns
 * the fd. A memory BIO (Node) does it after SSL_write returned: the thread's
 * last SSL_write owns the next ciphertext write; for reads, the next SSL_read
 * on the thread claims the fd recorded here.
 */
static __always_inline void tls_seen(__u64 pt, __s32 fd, int egress)
{
	struct ssl_call *in_flight;
	__u64 *ssl;

	in_flight = bpf_map_lookup_elem(egress ? (void *)&ssl_writes : (void *)&ssl_reads, &pt);
	if (in_flight) {
		ssl_bind(pt >> 32, in_flight->ssl, fd);
		return;
	}
	if (!egress) {
		bpf_map_update_elem(&tls_last_read, &pt, &fd, BPF_ANY);
		return;
	}
	ssl = bpf_map_lookup_elem(&ssl_pending, &pt);
	if (!ssl)
		return;
	ssl_bind(pt >> 32, *ssl, fd);
	bpf_map_delete_elem(&ssl_pending, &pt);
}

static __always_inline void sys_data(__u64 pt, struct sys_call *a, long ret)
{
	struct fd_key k = {.tgid = pt >> 32, .fd = a->fd};
	int egress = a->kind <= SK_SENDMSG;
	struct sock_state *s, ns = {.sk = a->sk};
	__u64 buf, iovcnt;
	__u8 b[3];

	s = bpf_map_lookup_elem(&socks, &k);
	if (!s || s->sk != a->sk) {
		/* opened before tracking began, or the fd number was reused */
		bpf_map_update_elem(&socks, &k, &ns, BPF_ANY);
		emit_sock(CS_EV_SOCK_SEEN, a->fd, (struct sock *)a->sk);
		s = bpf_map_lookup_elem(&socks, &k);
		if (!s)
			return;
	}
	if (data_span(a, &buf, &iovcnt))
		return;
	if (!s->tls && !first_bytes(buf, iovcnt, b) && looks_tls(b))
		s->tls = 1;
	if (s->tls) {
		tls_seen(pt, a->fd, egress);
		return;
	}
	emit_call(CS_SRC_SOCK, egress ? CS_DATA_EGRESS : CS_DATA_INGRESS, a->fd, buf, iovcnt, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(cs_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 kind = sys_kind_of(SYSCALL_NR(regs));
	__u64 pt = bpf_get_current_pid_tgid();
	struct sys_call a, *p;
	struct sock *sk;

	if (kind == SK_NONE || kind == SK_CLOSE)
		return 0;
	/* only targets' calls were saved at entry */
	p = bpf_map_lookup_elem(&sys_calls, &pt);
	if (!p)
		return 0;
	a = *p;
	bpf_map_delete_elem(&sys_calls, &pt);
	if (a.kind != kind)
		return 0;
	if (kind == SK_CONNECT) {
		if (ret == 0 || ret == -EINPROGRESS)
			track_sock(CS_EV_SOCK_CONNECT, a.fd, (struct sock *)a.sk);
	} else if (kind == SK_ACCEPT) {
		sk = ret >= 0 ? tcp_sock_of(ret) : NULL;
		if (sk)
			track_sock(CS_EV_SOCK_ACCEPT, ret, sk);
	} else if (ret > 0) {
		sys_data(pt, &a, ret);
	}
	return 0;
}

/* ---- process tracking ------------------------------------------------- */

static __always_inline void emit_proc(__u32 type, __u32 tgid, __u32 ppid, __u32 child)
{
	struct cs_ev_proc *e = reserve(sizeof(*e));

	if (!e)
		return;
	fill_hdr(&e->h, type);
	e->h.tgid = tgid;
	e->ppid = ppid;
	e->child = child;
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	submit(e);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(cs_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	/* a new thread shares the parent's tgid: nothing to add */
	if (!is_target(ptgid) || ctgid == ptgid)
		return 0;
	if (bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY))
		return 0;
	emit_proc(CS_EV_PROC_FORK, ptgid, ptgid, ctgid);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(cs_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (!exec_all && !is_target(tgid))
		return 0;
	emit_proc(CS_EV_PROC_EXEC, tgid, 0, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(cs_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (!is_target(tgid))
		return 0;
	/* one event per process: when its last thread goes */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	bpf_map_delete_elem(&targets, &tgid);
	emit_proc(CS_EV_PROC_EXIT, tgid, 0, 0);
	return 0;
}
