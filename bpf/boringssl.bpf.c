// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * boringssl.bpf.c - BoringSSL linked statically and stripped (Bun, and Bun
 * single-file executables such as Claude Code): no SSL_* symbol to hook, and
 * SSL_write is inlined into Bun's HTTP client. Every TLS record is sealed and
 * opened through the AEAD method table's seal/open functions, whose entries
 * userspace finds (user/agent/boringssl.c); these programs read the plaintext
 * there, x86-64 only.
 *
 * Two calling conventions, told apart at run time by the third argument
 * (rdx): a small count means the iovec one (BoringSSL >= 2024, Bun >= 1.3),
 * a pointer the legacy scatter/gather one. At a uprobe sp points at the
 * return address, so the 7th argument is at sp+8.
 *   legacy seal_scatter(ctx, out, out_tag, out_tag_len*, max_out_tag_len,
 *       nonce, | nonce_len, in, in_len, extra_in, extra_in_len, ad, ad_len)
 *   legacy open_gather(ctx, out, nonce, nonce_len, in, in_len,
 *       | in_tag, in_tag_len, ad, ad_len)
 *   sealv(ctx, iov, iov_count, out_tag.ptr, out_tag.len, out_tag_len*,
 *       | nonce.ptr, nonce.len, aadvec, aadvec_count)
 *   openv_detached(ctx, iov, iov_count, nonce.ptr, nonce.len,
 *       | tag.ptr, tag.len, aadvec, aadvec_count)  (decrypts in place)
 * where iov is CRYPTO_IOVEC {out, in, len} and aadvec CRYPTO_IVEC {in, len}
 * (one for TLS; seen in Bun 1.4.5 with a uprobe).
 *
 * Only application data is kept: TLS 1.2 gives the record type in the
 * additional data (13 bytes: seq, type, version, length), TLS 1.3 inside the
 * plaintext (additional data is the 5-byte record header): on seal it is the
 * extra 1-byte input (extra_in or a last 1-byte iovec), on open the last
 * non-zero byte, after which only padding follows.
 *
 * The connection id is the AEAD context (one per direction and key epoch).
 * A freed context's address is reused by a later connection: the first four
 * nonce bytes are fixed for an epoch (TLS 1.2 salt, TLS 1.3 IV head), so when
 * they change the old connection is ended (CS_EV_SSL_FREE) before the new one
 * is reported. Ties to sockets are by thread and order (docs/capture.md).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define TLS_APPDATA 0x17
#define AD_TLS12 13
#define AD_TLS13 5
#define IOVEC_MAX_COUNT 64 /* rdx below this: an iovec count, not a pointer */
#define AEAD_IOV_MAX 8	   /* iovecs summed per call; more is not TLS */
#define TAIL 32		   /* TLS 1.3 padding looked through on open */

/* libbpf 1.1 has no PT_REGS_PARM6. Userspace attaches on x86-64 only. */
#if defined(__TARGET_ARCH_x86)
#define ARG6(r) ((r)->r9)
#else
#define ARG6(r) ((r)->regs[5])
#endif

/* An open in flight on this thread (entry -> return). */
struct aead_open {
	__u64 ctx;
	__u64 buf; /* legacy: out; iovec: the iovec array */
	__u64 len; /* legacy: in_len; iovec: iov_count */
	__u8 iovec;
	__u8 tls13;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct aead_open);
} aead_opens SEC(".maps");

/* First four nonce bytes of each context's key epoch. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct conn_key);
	__type(value, __u32);
} aead_epoch SEC(".maps");

/* The call's arguments from the 7th on (sp+8 ...). */
static __always_inline int stack_args(struct pt_regs *regs, __u64 a[7])
{
	if (bpf_probe_read_user(a, 7 * sizeof(__u64), (const void *)(PT_REGS_SP(regs) + 8))) {
		stat_add(CS_STAT_READ_FAIL, 1);
		return -1;
	}
	return 0;
}

static __always_inline int read_byte(__u64 addr, __u8 *b)
{
	if (bpf_probe_read_user(b, 1, (const void *)addr)) {
		stat_add(CS_STAT_READ_FAIL, 1);
		return -1;
	}
	return 0;
}

/* 1 for TLS 1.2 application data, 2 for a TLS 1.3 record, 0 otherwise. */
static __always_inline int record_kind(__u64 ad, __u64 ad_len)
{
	__u8 h[AD_TLS12];

	if (ad_len != AD_TLS12 && ad_len != AD_TLS13)
		return 0;
	if (bpf_probe_read_user(h, ad_len == AD_TLS12 ? AD_TLS12 : AD_TLS13, (const void *)ad)) {
		stat_add(CS_STAT_READ_FAIL, 1);
		return 0;
	}
	if (ad_len == AD_TLS12)
		return h[8] == TLS_APPDATA && h[9] == 3 ? 1 : 0;
	return h[0] == TLS_APPDATA && h[1] == 3 ? 2 : 0;
}

/*
 * The iovec convention passes the additional data as an array of
 * CRYPTO_IVEC {in, len}: TLS uses one. Replaces (array, count) by (in, len).
 */
static __always_inline int aad_vec(__u64 *ad, __u64 *ad_len)
{
	__u64 v[2];

	if (*ad_len != 1)
		return -1;
	if (bpf_probe_read_user(v, sizeof(v), (const void *)*ad)) {
		stat_add(CS_STAT_READ_FAIL, 1);
		return -1;
	}
	*ad = v[0];
	*ad_len = v[1];
	return 0;
}

/* A context whose nonce head changed belongs to a new connection now. */
static __always_inline void check_epoch(__u32 tgid, __u64 ctx, __u64 nonce)
{
	struct conn_key k = {.conn = ctx, .tgid = tgid};
	__u32 head, *old;
	struct cs_ev_ssl *e;

	if (bpf_probe_read_user(&head, sizeof(head), (const void *)nonce)) {
		stat_add(CS_STAT_READ_FAIL, 1);
		return;
	}
	old = bpf_map_lookup_elem(&aead_epoch, &k);
	if (old && *old == head)
		return;
	bpf_map_update_elem(&aead_epoch, &k, &head, BPF_ANY);
	if (!old)
		return;
	bpf_map_delete_elem(&tls_bound, &k);
	e = reserve(sizeof(*e));
	if (!e)
		return;
	fill_hdr(&e->h, CS_EV_SSL_FREE);
	e->ssl = ctx;
	e->fd = -1;
	e->_pad = 0;
	e->sni[0] = 0;
	submit(e);
}

/* Sum of the iovec lengths; *last gets the last iovec. */
static __always_inline __u64 iov_sum(__u64 iov, __u64 count, struct aead_iov *last)
{
	__u64 sum = 0;

	for (int i = 0; i < AEAD_IOV_MAX; i++) {
		if (i >= count)
			break;
		if (bpf_probe_read_user(last, sizeof(*last),
					(const void *)(iov + i * sizeof(*last)))) {
			stat_add(CS_STAT_READ_FAIL, 1);
			return 0;
		}
		sum += last->len;
	}
	return sum;
}

/* After emitting a seal's plaintext: the thread's next TLS write is its. */
static __always_inline void seal_pending(__u64 pt, __u64 ctx)
{
	if (conn_is_bound(pt >> 32, ctx))
		bpf_map_delete_elem(&tls_pending, &pt);
	else
		bpf_map_update_elem(&tls_pending, &pt, &ctx, BPF_ANY);
}

static __always_inline int seal_legacy(struct pt_regs *regs, __u64 pt, __u64 ctx)
{
	__u64 a[7]; /* nonce_len, in, in_len, extra_in, extra_in_len, ad, ad_len */
	int kind;
	__u8 type = TLS_APPDATA;

	if (stack_args(regs, a))
		return 0;
	kind = record_kind(a[5], a[6]);
	if (!kind)
		return 0;
	check_epoch(pt >> 32, ctx, ARG6(regs));
	if (kind == 2) {
		/* the inner content type: extra_in, or the last byte of in */
		if (a[4] >= 1 && read_byte(a[3], &type))
			return 0;
		if (!a[4] && (!a[2] || read_byte(a[1] + --a[2], &type)))
			return 0;
	}
	if (type != TLS_APPDATA || !a[2])
		return 0;
	emit_call(CS_SRC_SSL, CS_DATA_EGRESS, ctx, a[1], 0, a[2]);
	seal_pending(pt, ctx);
	return 0;
}

static __always_inline int seal_iovec(struct pt_regs *regs, __u64 pt, __u64 ctx)
{
	__u64 a[7]; /* nonce.ptr, nonce.len, ad.ptr, ad.len */
	__u64 iov = PT_REGS_PARM2(regs), count = PT_REGS_PARM3(regs), total;
	struct aead_iov last = {};
	__u8 type = TLS_APPDATA;
	int kind;

	if (!count || count > AEAD_IOV_MAX || stack_args(regs, a) || aad_vec(&a[2], &a[3]))
		return 0;
	kind = record_kind(a[2], a[3]);
	if (!kind)
		return 0;
	check_epoch(pt >> 32, ctx, a[0]);
	total = iov_sum(iov, count, &last);
	if (kind == 2) {
		/* the inner content type: a last 1-byte iovec, or the last byte */
		if (!total || read_byte(last.in + last.len - 1, &type))
			return 0;
		if (last.len == 1)
			count--;
		total--;
	}
	if (type != TLS_APPDATA || !total)
		return 0;
	emit_call_fmt(CS_SRC_SSL, CS_DATA_EGRESS, ctx, iov, count, total, IOV_AEAD_IN);
	seal_pending(pt, ctx);
	return 0;
}

SEC("uprobe")
int cs_aead_seal(struct pt_regs *regs)
{
	__u64 pt = bpf_get_current_pid_tgid();

	if (!is_target(pt >> 32))
		return 0;
	if (PT_REGS_PARM3(regs) < IOVEC_MAX_COUNT)
		return seal_iovec(regs, pt, PT_REGS_PARM1(regs));
	return seal_legacy(regs, pt, PT_REGS_PARM1(regs));
}

SEC("uprobe")
int cs_aead_open(struct pt_regs *regs)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct aead_open o = {.ctx = PT_REGS_PARM1(regs)};
	__u64 a[7], nonce, p3, p4, p6; /* a: tag.ptr, tag.len, ad.ptr, ad.len in both */
	int kind;

	if (!is_target(pt >> 32) || stack_args(regs, a))
		return 0;
	/* every register read up front: the verifier refuses a computed ctx offset */
	p3 = PT_REGS_PARM3(regs);
	p4 = PT_REGS_PARM4(regs);
	p6 = ARG6(regs);
	o.iovec = p3 < IOVEC_MAX_COUNT;
	if (o.iovec && aad_vec(&a[2], &a[3]))
		return 0;
	kind = record_kind(a[2], a[3]);
	if (!kind)
		return 0;
	o.tls13 = kind == 2;
	o.buf = PT_REGS_PARM2(regs);
	o.len = o.iovec ? p3 : p6;
	nonce = o.iovec ? p4 : p3;
	check_epoch(pt >> 32, o.ctx, nonce);
	if (bpf_map_update_elem(&aead_opens, &pt, &o, BPF_ANY))
		stat_add(CS_STAT_MISSED_RET, 1);
	return 0;
}

/*
 * TLS 1.3: the plaintext ends with the content type and zero padding. Looks
 * at the last TAIL bytes of [end - len, end); returns the bytes to strip (the
 * type byte and padding) or 0 when the record is not application data or the
 * padding is longer than TAIL (counted as cut).
 */
static __always_inline __u64 tls13_strip(__u64 end, __u64 len)
{
	__u8 t[TAIL] = {};
	__u64 n = len >= TAIL ? TAIL : len & (TAIL - 1);
	long e;

	if (n == TAIL)
		e = bpf_probe_read_user(t, TAIL, (const void *)(end - TAIL));
	else
		e = bpf_probe_read_user(t, n, (const void *)(end - n));
	if (e) {
		stat_add(CS_STAT_READ_FAIL, 1);
		return 0;
	}
	for (int i = TAIL - 1; i >= 0; i--) {
		if (i >= n || !t[i])
			continue;
		return t[i] == TLS_APPDATA ? n - i : 0;
	}
	stat_add(CS_STAT_BYTES_CUT, len);
	return 0;
}

/* Where the opened plaintext is and how long, before stripping. */
static __always_inline __u64 open_span(const struct aead_open *o, __u64 *end)
{
	struct aead_iov last = {};
	__u64 total;

	if (!o->iovec) {
		*end = o->buf + o->len;
		return o->len;
	}
	if (!o->len || o->len > AEAD_IOV_MAX)
		return 0;
	total = iov_sum(o->buf, o->len, &last);
	*end = last.out + last.len;
	return last.len ? total : 0;
}

SEC("uretprobe")
int cs_aead_open_r(struct pt_regs *regs)
{
	int ret = (int)PT_REGS_RC(regs);
	__u64 pt = bpf_get_current_pid_tgid(), end = 0, total, strip = 0;
	struct aead_open o, *p;
	__s32 *fd;

	if (!is_target(pt >> 32))
		return 0;
	p = bpf_map_lookup_elem(&aead_opens, &pt);
	if (!p)
		return 0; /* not a TLS record, or entered before we attached */
	o = *p;
	bpf_map_delete_elem(&aead_opens, &pt);
	if (ret != 1)
		return 0; /* authentication failed: nothing was decrypted */
	total = open_span(&o, &end);
	if (o.tls13 && total) {
		strip = tls13_strip(end, total);
		if (!strip)
			return 0;
	}
	total -= strip;
	if (!total)
		return 0;
	/* Bun decrypts right after reading the socket, on the same thread */
	fd = bpf_map_lookup_elem(&tls_last_read, &pt);
	if (fd && !conn_is_bound(pt >> 32, o.ctx))
		conn_bind(pt >> 32, o.ctx, *fd);
	emit_call_fmt(CS_SRC_SSL, CS_DATA_INGRESS, o.ctx, o.buf, o.iovec ? o.len : 0, total,
		      IOV_AEAD_OUT);
	return 0;
}
