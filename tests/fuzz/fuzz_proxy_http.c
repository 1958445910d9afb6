// SPDX-License-Identifier: MIT
/*
 * fuzz_proxy_http.c - the proxy's HTTP framing (user/proxy/http_msg.c):
 * head parsing never crashes and a rewritten head stays within its bound and
 * well-formed; the head finder and the body walker (length and chunked) give
 * the same answer whether the bytes come at once or split anywhere.
 */
#include "http_msg.h"
#include "fuzz_util.h"

/* Feed p[0..n) to a body walker in pieces cut at the given offsets; consumed or -1. */
static ssize_t walk(enum hm_body kind, uint64_t len, const uint8_t *p, size_t n,
		    const uint8_t *cuts, size_t ncuts, bool *done)
{
	struct hm_body_state b;
	size_t at = 0, c = 0;

	hm_body_start(&b, kind, len);
	while (at < n && !hm_body_done(&b)) {
		size_t step = n - at;

		if (c < ncuts)
			step = 1 + cuts[c++] % step;
		ssize_t used = hm_body_feed(&b, (const char *)p + at, step);

		if (used < 0)
			return -1;
		at += (size_t)used;
		if ((size_t)used < step)
			break;
	}
	*done = hm_body_done(&b);
	return (ssize_t)at;
}

static void heads(const uint8_t *p, size_t n, const uint8_t *cuts, size_t ncuts)
{
	size_t scan = 0, end = 0, whole_scan = 0;
	size_t whole = hm_head_end((const char *)p, n, &whole_scan);

	/* Growing prefixes, as the proxy sees a head arrive. */
	for (size_t c = 0, have = 0; have < n && !end; c++) {
		have += c < ncuts ? 1 + cuts[c] % 64 : n;
		if (have > n)
			have = n;
		end = hm_head_end((const char *)p, have, &scan);
	}
	CHECK(end == whole);
	if (!whole)
		return;

	struct hm_request r;
	size_t cap = whole + HM_HOST_MAX + 16, outlen = 0;
	char *out = malloc(cap);

	CHECK(out);
	if (!hm_parse_request((const char *)p, whole, &r, out, cap, &outlen) && !r.connect) {
		CHECK(outlen <= cap);
		CHECK(outlen >= 4 && !memcmp(out + outlen - 4, "\r\n\r\n", 4));
		CHECK(!strncmp(out, r.method, strlen(r.method)) && out[strlen(r.method)] == ' ');
		CHECK(r.host[0] && r.port);
	}
	free(out);

	struct hm_response resp;

	if (!hm_parse_response((const char *)p, whole, false, &resp))
		CHECK(resp.status >= 100 && resp.status <= 999);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	size_t ncuts = data[0] % 16;
	uint64_t len = data[1] * 37u;

	if (size < 2 + ncuts)
		return 0;
	const uint8_t *cuts = data + 2, *p = data + 2 + ncuts;
	size_t n = size - 2 - ncuts;
	bool d1, d2;

	heads(p, n, cuts, ncuts);
	for (int kind = HM_BODY_LENGTH; kind <= HM_BODY_CHUNKED; kind++) {
		ssize_t a = walk(kind, len, p, n, NULL, 0, &d1);
		ssize_t b = walk(kind, len, p, n, cuts, ncuts, &d2);

		CHECK(a == b);
		CHECK(a < 0 || d1 == d2);
		CHECK(a <= (ssize_t)n);
	}
	return 0;
}
