// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * openssl.bpf.c - OpenSSL's API (libssl, or an executable exporting it such
 * as official Node builds): uprobes/uretprobes on SSL_write/SSL_read(_ex)
 * give plaintext, SSL_ctrl(cmd 55) the SNI, SSL_free ends an SSL*. The SSL*
 * is the connection id; capture.bpf.c ties it to a socket (core.bpf.h maps)
 * by the rules of tls_call.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "core.bpf.h"
#include "tls_call.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define SSL_CTRL_SET_TLSEXT_HOSTNAME 55

SEC("uprobe")
int BPF_KPROBE(cs_ssl_write, void *ssl, const void *buf, int num)
{
	return tls_enter(&tls_writes, (__u64)ssl, (__u64)buf, 0, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_ssl_write_r, int ret)
{
	return tls_write_ret(ret);
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_write_ex, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return tls_enter(&tls_writes, (__u64)ssl, (__u64)buf, (__u64)written, 1);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_ssl_write_exr, int ret)
{
	return tls_write_ret(ret);
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_read, void *ssl, void *buf, int num)
{
	return tls_enter(&tls_reads, (__u64)ssl, (__u64)buf, 0, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_ssl_read_r, int ret)
{
	return tls_read_ret(ret);
}

SEC("uprobe")
int BPF_KPROBE(cs_ssl_read_ex, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return tls_enter(&tls_reads, (__u64)ssl, (__u64)buf, (__u64)readbytes, 1);
}

SEC("uretprobe")
int BPF_KRETPROBE(cs_ssl_read_exr, int ret)
{
	return tls_read_ret(ret);
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
	return tls_conn_free((__u64)ssl);
}
