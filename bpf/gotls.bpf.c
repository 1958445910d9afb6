// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * gotls.bpf.c - Go's crypto/tls (user/agent/gotls.c finds the functions in
 * the executable's pclntab). Go's register ABI on amd64: arguments in RAX,
 * RBX, RCX, ..., results in RAX, ..., the running goroutine (g) in R14.
 *
 * (*Conn).Write(b []byte): RAX = c, RBX = b.ptr, RCX = b.len; b holds the
 * plaintext at entry, emitted there. (*Conn).Read(b []byte): the entry saves
 * (c, b.ptr) keyed by the goroutine (a goroutine moves between threads, so
 * never by thread), and each RET instruction of Read emits b.ptr[0..RAX).
 * No uretprobe: it rewrites the return address on a stack Go may move.
 * The *Conn is the connection id. Socket tie: Write (its handshake included)
 * does its write syscall on the thread it runs on, after entry: the
 * memory-BIO rule (tls_pending, the next TLS write of the thread) ties it; a
 * read claims the TLS socket this thread last read from (tls_last_read).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#if defined(__TARGET_ARCH_x86)

struct go_key {
	__u64 g;
	__u32 tgid;
	__u32 _pad;
};

struct go_read {
	__u64 conn;
	__u64 buf;
};

/* Reads in flight per goroutine; LRU: a Read that panics never returns. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct go_key);
	__type(value, struct go_read);
} go_reads SEC(".maps");

SEC("uprobe")
int cs_go_write(struct pt_regs *ctx)
{
	__u64 pt = bpf_get_current_pid_tgid(), conn = ctx->ax, len = ctx->cx;

	if (!is_target(pt >> 32) || !conn || (__s64)len <= 0)
		return 0;
	emit_call(CS_SRC_SSL, CS_DATA_EGRESS, conn, ctx->bx, 0, len);
	if (conn_is_bound(pt >> 32, conn))
		bpf_map_delete_elem(&tls_pending, &pt);
	else
		bpf_map_update_elem(&tls_pending, &pt, &conn, BPF_ANY);
	return 0;
}

SEC("uprobe")
int cs_go_read(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct go_key k = {.g = ctx->r14, .tgid = tgid};
	struct go_read r = {.conn = ctx->ax, .buf = ctx->bx};

	if (!is_target(tgid))
		return 0;
	/* a stack growth re-enters at the entry: the same goroutine, the same call */
	if (bpf_map_update_elem(&go_reads, &k, &r, BPF_ANY))
		stat_add(CS_STAT_MISSED_RET, 1);
	return 0;
}

/* Attached at every RET of Read: n = RAX. */
SEC("uprobe")
int cs_go_read_ret(struct pt_regs *ctx)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct go_key k = {.g = ctx->r14, .tgid = pt >> 32};
	struct go_read *p, r;
	__s64 n = (__s64)ctx->ax;
	__s32 *fdp;

	if (!is_target(pt >> 32))
		return 0;
	p = bpf_map_lookup_elem(&go_reads, &k);
	if (!p) {
		stat_add(CS_STAT_MISSED_RET, 1);
		return 0;
	}
	r = *p;
	bpf_map_delete_elem(&go_reads, &k);
	fdp = bpf_map_lookup_elem(&tls_last_read, &pt);
	if (fdp) {
		__s32 fd = *fdp;

		bpf_map_delete_elem(&tls_last_read, &pt);
		if (!conn_is_bound(pt >> 32, r.conn))
			conn_bind(pt >> 32, r.conn, fd);
	}
	if (n > 0)
		emit_call(CS_SRC_SSL, CS_DATA_INGRESS, r.conn, r.buf, 0, n);
	return 0;
}

#endif /* the agent attaches these on x86-64 only (user/agent/gotls.c) */
