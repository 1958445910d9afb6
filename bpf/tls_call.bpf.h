/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * tls_call.bpf.h - a TLS library's write/read call with OpenSSL's shape
 * (connection, buffer, length -> bytes moved): SSL_write/SSL_read(_ex) and
 * gnutls_record_send/recv. The entry probe saves the arguments per thread in
 * tls_writes/tls_reads (which the socket syscalls also look at: a socket BIO
 * does its syscall inside the call), the return probe emits the plaintext and
 * ties the connection to its socket (docs/capture.md, "Tying an SSL* to its
 * socket"). Include after core.bpf.h.
 */
#ifndef CLAWSEC_TLS_CALL_BPF_H
#define CLAWSEC_TLS_CALL_BPF_H

static __always_inline int tls_enter(void *calls, __u64 conn, __u64 buf, __u64 outlen, __u64 ex)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct tls_call a = {.conn = conn, .buf = buf, .outlen = outlen, .ex = ex};

	if (!is_target(pt >> 32))
		return 0;
	if (bpf_map_update_elem(calls, &pt, &a, BPF_ANY))
		stat_add(CS_STAT_MISSED_RET, 1);
	return 0;
}

/* Takes the saved entry; returns 0 if none (a missed or foreign call). */
static __always_inline int tls_take(void *calls, __u64 pt, struct tls_call *a)
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

/* Bytes moved by the call: ret (SSL_write/read, gnutls_record_send/recv), or
 * *outlen when the call returns 1 for success (SSL_write_ex/read_ex). */
static __always_inline __u64 tls_moved(const struct tls_call *a, long ret)
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

static __always_inline int tls_write_ret(long ret)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct tls_call a;
	__u64 n;

	if (!tls_take(&tls_writes, pt, &a))
		return 0;
	n = tls_moved(&a, ret);
	if (!n)
		return 0;
	emit_call(CS_SRC_SSL, CS_DATA_EGRESS, a.conn, a.buf, 0, n);
	/* the next TLS write on this thread carries this call's ciphertext:
	 * it belongs to this connection, never to an older pending one */
	if (conn_is_bound(pt >> 32, a.conn))
		bpf_map_delete_elem(&tls_pending, &pt);
	else
		bpf_map_update_elem(&tls_pending, &pt, &a.conn, BPF_ANY);
	return 0;
}

static __always_inline int tls_read_ret(long ret)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct tls_call a;
	__s32 *fdp, fd = -1;
	__u64 n;

	if (!tls_take(&tls_reads, pt, &a))
		return 0;
	/* the ciphertext this call consumed was read from a TCP socket on this
	 * thread just before (even while the handshake still runs: ret <= 0);
	 * one read is claimed by one read call at most */
	fdp = bpf_map_lookup_elem(&tls_last_read, &pt);
	if (fdp) {
		fd = *fdp;
		bpf_map_delete_elem(&tls_last_read, &pt);
		if (!conn_is_bound(pt >> 32, a.conn))
			conn_bind(pt >> 32, a.conn, fd);
	}
	n = tls_moved(&a, ret);
	if (n)
		emit_call(CS_SRC_SSL, CS_DATA_INGRESS, a.conn, a.buf, 0, n);
	return 0;
}

/* The library frees a connection: forget its socket tie, tell userspace. */
static __always_inline int tls_conn_free(__u64 conn)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct conn_key k = {.conn = conn, .tgid = tgid};
	struct cs_ev_ssl *e;

	if (!is_target(tgid) || !conn)
		return 0;
	bpf_map_delete_elem(&tls_bound, &k);
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, CS_EV_SSL_FREE);
	e->ssl = conn;
	e->fd = -1;
	e->_pad = 0;
	e->sni[0] = 0;
	submit(e);
	return 0;
}

#endif
