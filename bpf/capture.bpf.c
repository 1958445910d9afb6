// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * capture.bpf.c - the core of the plaintext capture (CO-RE), loaded first;
 * each TLS stack's uprobes live in their own object (openssl.bpf.c, ...) and
 * share this one's maps (core.bpf.h).
 *
 * - syscall tracepoints (one per tracked syscall, or the raw sys_enter/
 *   sys_exit pair where tracefs is missing): TCP socket data, connect/accept
 *   4-tuples, close, and the TLS connection -> socket correlation
 *   (docs/capture.md);
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
#include "core.bpf.h"
#include "hold.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define EINPROGRESS 115
#define MSG_PEEK 2

/* Set by userspace before load. */
const volatile __u8 exec_all; /* emit CS_EV_PROC_EXEC for every process */
/* Set by userspace at any time (.bss): wake the agent at every exec. */
__u32 exec_wake_all;

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

/*
 * A socket syscall of a target starts: remember what its exit needs. The
 * front ends below pass the syscall's first three arguments; `peek` is set
 * for MSG_PEEK receives (peeked bytes are read again later: captured then).
 */
static __always_inline void sys_enter(__u32 kind, __u64 a0, __u64 a1, __u64 a2, int peek)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct sys_call a = {};

	if (!is_target(pt >> 32))
		return;
	a.kind = kind;
	a.fd = (__s32)a0;
	if (kind == SK_CLOSE) {
		sys_close(a.fd);
		return;
	}
	if (peek)
		return;
	if (kind != SK_ACCEPT) {
		a.sk = (__u64)tcp_sock_of(a.fd);
		if (!a.sk)
			return;
		a.arg = a1;
		a.cnt = a2;
	}
	bpf_map_update_elem(&sys_calls, &pt, &a, BPF_ANY);
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
	struct tls_call *in_flight;
	__u64 *conn;

	in_flight = bpf_map_lookup_elem(egress ? (void *)&tls_writes : (void *)&tls_reads, &pt);
	if (in_flight) {
		conn_bind(pt >> 32, in_flight->conn, fd);
		return;
	}
	if (!egress) {
		bpf_map_update_elem(&tls_last_read, &pt, &fd, BPF_ANY);
		return;
	}
	conn = bpf_map_lookup_elem(&tls_pending, &pt);
	if (!conn)
		return;
	conn_bind(pt >> 32, *conn, fd);
	bpf_map_delete_elem(&tls_pending, &pt);
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

/* The syscall saved at entry returned `ret`. */
static __always_inline void sys_exit(__u32 kind, long ret)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct sys_call a, *p;
	struct sock *sk;

	/* only targets' calls were saved at entry */
	p = bpf_map_lookup_elem(&sys_calls, &pt);
	if (!p)
		return;
	a = *p;
	bpf_map_delete_elem(&sys_calls, &pt);
	if (a.kind != kind)
		return;
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
}

/*
 * Two front ends; the agent loads one (probes.c). The per-syscall
 * tracepoints run a program only for the syscalls tracked here: the
 * machine's other syscalls (epoll_wait, futex, mmap, ...: about half of a
 * busy HTTPS server's) cost no BPF run. They need tracefs. Without it, the
 * raw sys_enter/sys_exit tracepoints, which run for every syscall of every
 * process and sort by number inside.
 */
#define SYS_TP_ENTER(name, kind, peek)                                           \
	SEC("tracepoint/syscalls/sys_enter_" #name)                              \
	int cs_e_##name(struct trace_event_raw_sys_enter *ctx)                   \
	{                                                                        \
		sys_enter(kind, ctx->args[0], ctx->args[1], ctx->args[2], peek); \
		return 0;                                                        \
	}
#define SYS_TP(name, kind, peek)                              \
	SYS_TP_ENTER(name, kind, peek)                        \
	SEC("tracepoint/syscalls/sys_exit_" #name)            \
	int cs_x_##name(struct trace_event_raw_sys_exit *ctx) \
	{                                                     \
		sys_exit(kind, ctx->ret);                     \
		return 0;                                     \
	}

SYS_TP(write, SK_WRITE, 0)
SYS_TP(sendto, SK_WRITE, 0)
SYS_TP(writev, SK_WRITEV, 0)
SYS_TP(sendmsg, SK_SENDMSG, 0)
SYS_TP(read, SK_READ, 0)
SYS_TP(recvfrom, SK_READ, ctx->args[3] & MSG_PEEK)
SYS_TP(readv, SK_READV, 0)
SYS_TP(recvmsg, SK_RECVMSG, ctx->args[2] & MSG_PEEK)
SYS_TP(connect, SK_CONNECT, 0)
SYS_TP(accept, SK_ACCEPT, 0)
SYS_TP(accept4, SK_ACCEPT, 0)
SYS_TP_ENTER(close, SK_CLOSE, 0)

SEC("tp_btf/sys_enter")
int BPF_PROG(cs_sys_enter, struct pt_regs *regs, long nr)
{
	/* syscall number first: a compare is cheaper than the TGID lookup */
	__u32 kind = sys_kind_of(nr);
	int peek = (nr == NR_RECVFROM && (PT_REGS_PARM4_CORE_SYSCALL(regs) & MSG_PEEK)) ||
		   (nr == NR_RECVMSG && (PT_REGS_PARM3_CORE_SYSCALL(regs) & MSG_PEEK));

	if (kind != SK_NONE)
		sys_enter(kind, PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs),
			  PT_REGS_PARM3_CORE_SYSCALL(regs), peek);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(cs_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 kind = sys_kind_of(SYSCALL_NR(regs));

	if (kind != SK_NONE && kind != SK_CLOSE)
		sys_exit(kind, ret);
	return 0;
}

/* ---- process tracking ------------------------------------------------- */

static __always_inline struct cs_ev_proc *proc_rec(__u32 type, __u32 tgid)
{
	struct cs_ev_proc *e = reserve(sizeof(*e));

	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	fill_hdr(&e->h, type);
	e->h.tgid = tgid;
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline void emit_proc(__u32 type, __u32 tgid, __u32 ppid, __u32 child)
{
	struct cs_ev_proc *e = proc_rec(type, tgid);

	if (!e)
		return;
	e->ppid = ppid;
	e->child = child;
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

/*
 * Does the agent need another process's exec now? A forced wake-up is ~95%
 * of this program's cost (the irq_work's self-IPI: ~16-21 us per exec on
 * this VM against ~1.2 us without, docs/capture.md "Cost"), so only execs
 * that may make a new target wake it: in a container's pid namespace, or a
 * `node` (the default cmdline rule), or any when the config has cmdline
 * rules of its own. The others arrive with the next batch (<= 100 ms).
 */
static __always_inline int exec_wakes(struct task_struct *p)
{
	char comm[4];

	if (exec_wake_all || BPF_CORE_READ(p, thread_pid, level) > 0)
		return 1;
	bpf_get_current_comm(comm, sizeof(comm));
	return comm[0] == 'n' && comm[1] == 'o' && comm[2] == 'd';
}

/*
 * A target's exec of an executable the agent has not examined yet is held
 * (hold.bpf.h); the record says so. If the record cannot be written the
 * hold stays until the agent's deadline releases it.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(cs_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	int target = is_target(tgid);
	struct cs_exe_key k = {};
	struct cs_ev_proc *e;
	__u64 start, now;
	__u32 flags = 0;

	if (!exec_all && !target)
		return 0;
	start = BPF_CORE_READ(p, start_boottime);
	now = bpf_ktime_get_ns();
	exe_key_of(bprm, &k);
	if (target)
		flags = hold_exec(p, &k, start, now);
	e = proc_rec(CS_EV_PROC_EXEC, tgid);
	if (!e)
		return 0;
	e->h.ts_ns = now;
	e->start_ns = start;
	e->exe = k;
	e->flags = flags;
	if (target || exec_wakes(p))
		submit(e);
	else
		submit_data(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(cs_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (tgid == hold_ctl.agent_tgid && !BPF_CORE_READ(p, signal, live.counter))
		hold_agent_exit();
	if (!is_target(tgid))
		return 0;
	/* one event per process: when its last thread goes */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	bpf_map_delete_elem(&targets, &tgid);
	bpf_map_delete_elem(&held, &tgid);
	emit_proc(CS_EV_PROC_EXIT, tgid, 0, 0);
	return 0;
}

/* Stops and continues sent to a held process by others (hold.bpf.h). */
SEC("tp_btf/signal_generate")
int BPF_PROG(cs_signal, int sig, struct kernel_siginfo *info, struct task_struct *task, int group,
	     int result)
{
	hold_on_signal(sig, info, task, result);
	return 0;
}
