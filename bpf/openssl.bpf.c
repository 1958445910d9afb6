// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * openssl.bpf.c - OpenSSL's API (libssl, or an executable exporting it such
 * as official Node builds): uprobes/uretprobes on SSL_write/SSL_read(_ex)
 * give plaintext, SSL_ctrl(cmd 55) the SNI, SSL_free ends an SSL*. The SSL*
 * is the connection id; capture.bpf.c ties it to a socket (core.bpf.h maps).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "core.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define SSL_CTRL_SET_TLSEXT_HOSTNAME 55

static __always_inline int ssl_enter(void *calls, __u64 ssl, __u64 buf, __u64 outlen, __u64 ex)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct tls_call a = {.conn = ssl, .buf = buf, .outlen = outlen, .ex = ex};

	if (!is_target(pt >> 32))
		return 0;
	if (bpf_map_update_elem(calls, &pt, &a, BPF_ANY))
		stat_add(CS_STAT_MISSED_RET, 1);
	return 0;
}

/* Takes the saved entry; returns 0 if none (a missed or foreign call). */
static __always_inline int ssl_take(void *calls, __u64 pt, struct tls_call *a)
{
	struct tls_call *p;

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
static __always_inline __u64 ssl_moved(const struct tls_call *a, long ret)
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

static __always_inline int ssl_write_ret(long ret)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct tls_call a;
	__u64 n;

	if (!ssl_take(&tls_writes, pt, &a))
		return 0;
	n = ssl_moved(&a, ret);
	if (!n)
		return 0;
	emit_call(CS_SRC_SSL, CS_DATA_EGRESS, a.conn, a.buf, 0, n);
	/* the next TLS write on this thread carries this call's ciphertext:
	 * it belongs to this SSL*, never to an older pending one */
	if (conn_is_bound(pt >> 32, a.conn))
		bpf_map_delete_elem(&tls_pending, &pt);
	else
		bpf_map_update_elem(&tls_pending, &pt, &a.conn, BPF_ANY);
	return 0;
}

static __always_inline int ssl_read_ret(long ret)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct tls_call a;
	__s32 *fdp, fd = -1;
	__u64 n;

	if (!ssl_take(&tls_reads, pt, &a))
		return 0;
	/* the ciphertext this call consumed was read from a TCP socket on this
	 * thread just before (even while the handshake still runs: ret <= 0);
	 * one read is claimed by one SSL_read at most */
	fdp = bpf_map_lookup_elem(&tls_last_read, &pt);
	if (fdp) {
		fd = *fdp;
		bpf_map_delete_elem(&tls_last_read, &pt);
		if (!conn_is_bound(pt >> 32, a.conn))
			conn_bind(pt >> 32, a.conn, fd);
	}
	n = ssl_moved(&a, ret);
	if (n)
		emit_call(CS_SRC_SSL, CS_DATA_INGRESS, a.conn, a.buf, 0, n);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_write, void *ssl, const void *buf, int num)
{
	return ssl_enter(&tls_writes, (__u64)ssl, (__u64)buf, 0, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_ssl_write_r, int ret)
{
	return ssl_write_ret(ret);
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_write_ex, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return ssl_enter(&tls_writes, (__u64)ssl, (__u64)buf, (__u64)written, 1);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_ssl_write_exr, int ret)
{
	return ssl_write_ret(ret);
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_read, void *ssl, void *buf, int num)
{
	return ssl_enter(&tls_reads, (__u64)ssl, (__u64)buf, 0, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_ssl_read_r, int ret)
{
	return ssl_read_ret(ret);
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_read_ex, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return ssl_enter(&tls_reads, (__u64)ssl, (__u64)buf, (__u64)readbytes, 1);
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
	struct conn_key k = {.conn = (__u64)ssl, .tgid = tgid};
	struct cs_ev_ssl *e;

	if (!is_target(tgid) || !ssl)
		return 0;
	bpf_map_delete_elem(&tls_bound, &k);
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
