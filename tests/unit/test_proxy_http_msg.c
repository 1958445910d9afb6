/* SPDX-License-Identifier: MIT */
/* test_proxy_http_msg.c - the proxy's HTTP framing: heads, rewriting, bodies, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http_msg.h"

static int parse_req(const char *head, struct hm_request *r, char *out, size_t *outlen)
{
	return hm_parse_request(head, strlen(head), r, out, 1024, outlen);
}

static void test_head_end_incremental(void **state)
{
	const char *m = "GET / HTTP/1.1\r\nHost: a\r\n\r\nNEXT";
	size_t scan = 0, n = strlen(m);

	(void)state;
	for (size_t i = 0; i < 26; i++)
		assert_int_equal(hm_head_end(m, i, &scan), 0);
	assert_int_equal(hm_head_end(m, n, &scan), 27);
}

/* A bare LF ends the head at once (the parser then refuses it), never waits for more. */
static void test_head_end_bare_lf(void **state)
{
	static const struct {
		const char *head;
		size_t end; /* just past the first bare LF */
	} cases[] = {
		{"GET http://a/ HTTP/1.1\nHost: a\n\n", 23},
		{"GET http://a/ HTTP/1.1\r\nHost: a\n\n", 32},
		{"GET http://a/ HTTP/1.1\r\nHost: a\r\n\n", 34},
		{"\n", 1},
	};
	struct hm_request r;
	char out[1024];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *h = cases[i].head;
		size_t scan = 0, end = 0;

		/* Byte by byte, as a slow client sends it. */
		for (size_t at = 1; at <= strlen(h) && !end; at++)
			end = hm_head_end(h, at, &scan);
		assert_int_equal(end, cases[i].end);
		assert_int_equal(hm_parse_request(h, end, &r, out, sizeof(out), &len), 400);
	}
	/* CRLF heads are unaffected, and a response head with a bare LF is refused too. */
	size_t scan = 0;
	struct hm_response resp;
	const char *bad = "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n";

	assert_int_equal(hm_head_end("GET http://a/ HTTP/1.1\r\n\r\n", 26, &scan), 26);
	scan = 0;
	assert_int_equal(hm_head_end(bad, strlen(bad), &scan), 16);
	assert_int_equal(hm_parse_response(bad, 16, false, &resp), -1);
}

static void test_request_rewrite(void **state)
{
	struct hm_request r;
	char out[1024];
	size_t len;
	const char *want = "POST /v1/x?q=1 HTTP/1.1\r\nHost: api.test:8080\r\nContent-Length: 3\r\n"
			   "X-Keep: y\r\n\r\n";

	(void)state;
	assert_int_equal(parse_req("POST http://api.test:8080/v1/x?q=1 HTTP/1.1\r\n"
				   "Host: api.test:8080\r\nProxy-Connection: keep-alive\r\n"
				   "Content-Length: 3\r\nProxy-Authorization: Basic eHg6eHg=\r\n"
				   "X-Keep: y\r\n\r\n",
				   &r, out, &len),
			 0);
	assert_string_equal(r.host, "api.test");
	assert_int_equal(r.port, 8080);
	assert_int_equal(r.body, HM_BODY_LENGTH);
	assert_int_equal(r.length, 3);
	assert_true(r.keep_alive);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
}

static void test_request_host_added(void **state)
{
	struct hm_request r;
	char out[1024];
	size_t len;
	const char *want = "GET / HTTP/1.0\r\nHost: [::1]:81\r\n\r\n";

	(void)state;
	assert_int_equal(parse_req("GET http://[::1]:81 HTTP/1.0\r\n\r\n", &r, out, &len), 0);
	assert_string_equal(r.host, "::1");
	assert_false(r.keep_alive);
	assert_memory_equal(out, want, strlen(want));
}

static void test_connect(void **state)
{
	struct hm_request r;
	char out[64];
	size_t len;

	(void)state;
	assert_int_equal(parse_req("CONNECT api.test:443 HTTP/1.1\r\nHost: api.test:443\r\n\r\n",
				   &r, out, &len),
			 0);
	assert_true(r.connect);
	assert_int_equal(r.port, 443);
	assert_int_equal(parse_req("CONNECT api.test HTTP/1.1\r\n\r\n", &r, out, &len), 400);
	assert_int_equal(parse_req("CONNECT api.test:70000 HTTP/1.1\r\n\r\n", &r, out, &len), 400);
}

static void test_request_refusals(void **state)
{
	static const struct {
		const char *head;
		int status;
	} cases[] = {
		{"GET /origin-form HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"GET https://a/ HTTP/1.1\r\n\r\n", 501},
		{"POST http://a/ HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: "
		 "chunked\r\n\r\n",
		 400},
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
		{"POST http://a/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
		{"POST http://a/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
		{"GET http://a/ HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400},
		{"GET http://a/ HTTP/1.1\r\nBad Name: a\r\n\r\n", 400},
		{"GET http://a/ HTTP/1.1\nX: bare-lf\r\n\r\n", 400},
		{"GET http://a b/ HTTP/1.1\r\n\r\n", 400},
		{"GET http://a/ HTTP/2.0\r\n\r\n", 400},
		/* chunked applied twice, in one header or two: where the body ends is ambiguous */
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400},
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: Chunked ,chunked\r\n\r\n", 400},
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n",
		 400},
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked, gzip, chunked\r\n\r\n",
		 400},
	};
	struct hm_request r;
	char out[1024];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(parse_req(cases[i].head, &r, out, &len), cases[i].status);
}

static void test_control_bytes_refused(void **state)
{
	static const char nul_host[] = "GET http://a\0b:80/ HTTP/1.1\r\n\r\n";
	static const char nul_path[] = "GET http://a/x\0y HTTP/1.1\r\n\r\n";
	static const char tab_path[] = "GET http://a/x\ty HTTP/1.1\r\n\r\n";
	struct hm_request r;
	char out[256];
	size_t len;

	(void)state;
	assert_int_equal(
		hm_parse_request(nul_host, sizeof(nul_host) - 1, &r, out, sizeof(out), &len), 400);
	assert_int_equal(
		hm_parse_request(nul_path, sizeof(nul_path) - 1, &r, out, sizeof(out), &len), 400);
	assert_int_equal(
		hm_parse_request(tab_path, sizeof(tab_path) - 1, &r, out, sizeof(out), &len), 400);
}

static void test_response_framing(void **state)
{
	struct hm_response r;
	const char *cl = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
	const char *ch = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	const char *eof = "HTTP/1.0 200 OK\r\n\r\n";
	const char *nc = "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n";

	(void)state;
	assert_int_equal(hm_parse_response(cl, strlen(cl), false, &r), 0);
	assert_int_equal(r.body, HM_BODY_LENGTH);
	assert_true(r.keep_alive);
	assert_int_equal(hm_parse_response(cl, strlen(cl), true, &r), 0);
	assert_int_equal(r.body, HM_BODY_NONE);
	assert_int_equal(hm_parse_response(ch, strlen(ch), false, &r), 0);
	assert_int_equal(r.body, HM_BODY_CHUNKED);
	assert_int_equal(hm_parse_response(eof, strlen(eof), false, &r), 0);
	assert_int_equal(r.body, HM_BODY_EOF);
	assert_false(r.keep_alive);
	assert_int_equal(hm_parse_response(nc, strlen(nc), false, &r), 0);
	assert_int_equal(r.body, HM_BODY_NONE);
	assert_int_equal(hm_parse_response("HTTP/1.1 2x0 OK\r\n\r\n", 19, false, &r), -1);
}

/* Feed in pieces of `step` bytes; returns total consumed, or -1. */
static ssize_t feed_steps(const char *body, size_t n, size_t step, bool *done)
{
	struct hm_body_state b;
	size_t at = 0;

	hm_body_start(&b, HM_BODY_CHUNKED, 0);
	while (at < n && !hm_body_done(&b)) {
		size_t k = n - at < step ? n - at : step;
		ssize_t used = hm_body_feed(&b, body + at, k);

		if (used < 0)
			return -1;
		at += (size_t)used;
		if ((size_t)used < k)
			break;
	}
	*done = hm_body_done(&b);
	return (ssize_t)at;
}

static void test_chunked_any_split(void **state)
{
	const char *body =
		"5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nT: 1\r\n\r\n"
		"GET http://next/ HTTP/1.1\r\n";
	size_t msg = strlen(body) - strlen("GET http://next/ HTTP/1.1\r\n");
	bool done;

	(void)state;
	for (size_t step = 1; step <= strlen(body); step++) {
		assert_int_equal(feed_steps(body, strlen(body), step, &done), (ssize_t)msg);
		assert_true(done);
	}
}

static void test_chunked_malformed(void **state)
{
	static const char *bad[] = {
		"zz\r\nhello\r\n0\r\n\r\n",  /* not hex */
		"-1\r\n",		     /* sign */
		"\r\n",			     /* empty size */
		"1234567890abcdef1\r\n",     /* overflow */
		"5\nhello\r\n0\r\n\r\n",     /* bare LF */
		"5\r\nhelloXX0\r\n\r\n",     /* no CRLF after data */
		"0\r\nbad\ntrailer\r\n\r\n", /* bare LF in trailer */
	};
	bool done;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(feed_steps(bad[i], strlen(bad[i]), 1, &done), -1);
}

static void test_length_body_stops(void **state)
{
	struct hm_body_state b;

	(void)state;
	hm_body_start(&b, HM_BODY_LENGTH, 4);
	assert_int_equal(hm_body_feed(&b, "ab", 2), 2);
	assert_false(hm_body_done(&b));
	assert_int_equal(hm_body_feed(&b, "cdEXTRA", 7), 2);
	assert_true(hm_body_done(&b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_end_incremental),
		cmocka_unit_test(test_head_end_bare_lf),
		cmocka_unit_test(test_request_rewrite),
		cmocka_unit_test(test_request_host_added),
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_control_bytes_refused),
		cmocka_unit_test(test_response_framing),
		cmocka_unit_test(test_chunked_any_split),
		cmocka_unit_test(test_chunked_malformed),
		cmocka_unit_test(test_length_body_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
