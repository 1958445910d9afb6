// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * gnutls.bpf.c - GnuTLS (libgnutls.so.30: git and wget through
 * libcurl-gnutls, Debian's wget): uprobes/uretprobes on gnutls_record_send
 * and gnutls_record_recv give plaintext, gnutls_server_name_set the SNI,
 * gnutls_deinit ends a session. The gnutls_session_t is the connection id.
 * GnuTLS's default transport (and libcurl's push/pull callbacks) does the
 * socket syscall inside the call, so capture.bpf.c ties the session to its
 * socket the way it ties a libssl socket BIO (tls_call.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core.bpf.h"
#include "tls_call.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define GNUTLS_NAME_DNS 1

/* ssize_t gnutls_record_send(gnutls_session_t s, const void *data, size_t n) */
SEC("uprobe")
int BPF_KPROBE(cs_gnutls_send, void *session, const void *data, __u64 n)
{
	return tls_enter(&tls_writes, (__u64)session, (__u64)data, 0, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_gnutls_send_r, long ret)
{
	return tls_write_ret(ret);
}

/* ssize_t gnutls_record_recv(gnutls_session_t s, void *data, size_t n) */
SEC("uprobe")
int BPF_KPROBE(cs_gnutls_recv, void *session, void *data, __u64 n)
{
	return tls_enter(&tls_reads, (__u64)session, (__u64)data, 0, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_gnutls_recv_r, long ret)
{
	return tls_read_ret(ret);
}

/*
 * int gnutls_server_name_set(gnutls_session_t s, gnutls_server_name_type_t
 * type, const void *name, size_t len): the name is not NUL-terminated.
 */
SEC("uprobe")
int BPF_KPROBE(cs_gnutls_sni, void *session, int type, const char *name, __u64 len)
{
	struct cs_ev_ssl *e;

	if (!is_target(bpf_get_current_pid_tgid() >> 32) || type != GNUTLS_NAME_DNS || !name ||
	    !len)
		return 0;
	if (len > CS_SNI_LEN - 1)
		len = CS_SNI_LEN - 1;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, CS_EV_SSL_SNI);
	e->ssl = (__u64)session;
	e->fd = -1;
	e->_pad = 0;
	__builtin_memset(e->sni, 0, sizeof(e->sni));
	asm volatile("" : "+r"(len)); /* keep the clamp the verifier needs */
	if (len > CS_SNI_LEN - 1 || bpf_probe_read_user(e->sni, len, name)) {
		bpf_ringbuf_discard(e, 0);
		stat_add(CS_STAT_READ_FAIL, 1);
		return 0;
	}
	submit(e);
	return 0;
}

/* void gnutls_deinit(gnutls_session_t s) */
SEC("uprobe")
int BPF_KPROBE(cs_gnutls_deinit, void *session)
{
	return tls_conn_free((__u64)session);
}
