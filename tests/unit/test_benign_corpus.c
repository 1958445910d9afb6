// SPDX-License-Identifier: MIT
/*
 * test_benign_corpus.c - >= 20 MB of realistic benign traffic
 * (scripts/gen-benign-corpus.js) produces zero findings, both through the
 * full public pipeline (cs_flow: HTTP framing, chunked, gzip, JSON, SSE,
 * base64 rescans) and through the raw scanner on the undecoded bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "corpus_reader.h"
#include "engine_helpers.h"

static unsigned char *corpus;
static size_t corpus_len;

static int load(void **state)
{
	char path[4096];

	(void)state;
	if (corpus_path(path, sizeof(path)) != 0) {
		fprintf(stderr, "cannot generate the benign corpus (is node installed?)\n");
		return -1;
	}
	corpus = corpus_load(path, &corpus_len);
	if (!corpus)
		fprintf(stderr, "cannot read %s\n", path);
	return corpus ? 0 : -1;
}

static int unload(void **state)
{
	(void)state;
	free(corpus);
	return 0;
}

static void report_first(const struct eh_sink *sink)
{
	for (size_t i = 0; i < sink->n && i < 5; i++)
		fprintf(stderr, "false positive: %s/%s %s\n", sink->f[i].pattern, sink->f[i].rule,
			sink->f[i].snippet);
}

/* Feed like a TCP stream would: segments of varying size. */
static void feed_segments(struct cs_flow *f, enum cs_direction dir, const struct corpus_rec *r,
			  uint32_t *seed)
{
	for (size_t off = 0; off < r->len;) {
		size_t n;

		*seed = *seed * 1103515245u + 12345u;
		n = 1 + (*seed >> 8) % 4000;
		if (n > r->len - off)
			n = r->len - off;
		cs_flow_feed(f, dir, r->data + off, n);
		off += n;
	}
}

static void test_corpus_through_flows(void **state)
{
	struct eh_sink sink = {0};
	struct cs_detector *d = eh_detector(&sink, 0);
	struct cs_flow *f = NULL;
	unsigned long cur = 0;
	struct corpus_rec r;
	size_t off = 0, msgs = 0;
	uint32_t seed = 1;
	int rc;

	(void)state;
	assert_non_null(d);
	assert_true(corpus_len >= 20u * 1000 * 1000);
	while ((rc = corpus_next(corpus, corpus_len, &off, &r)) == 1) {
		if (!f || r.flow != cur) {
			struct cs_flow_info info = {.source = "bench/1",
						    .dest = "example.com:443",
						    .protocol = "https"};

			if (f)
				cs_flow_close(f);
			f = cs_flow_new(d, &info);
			assert_non_null(f);
			cur = r.flow;
		}
		feed_segments(f, r.dir == '>' ? CS_DIR_OUTBOUND : CS_DIR_INBOUND, &r, &seed);
		msgs++;
	}
	if (f)
		cs_flow_close(f);
	assert_int_equal(rc, 0);

	struct cs_detector_stats st;

	cs_detector_get_stats(d, &st);
	report_first(&sink);
	assert_int_equal(sink.total, 0);
	assert_int_equal(st.findings, 0);
	/* The corpus is well formed: every message parsed, nothing failed to decode. */
	assert_int_equal(st.decode_errors, 0);
	assert_true(st.messages >= msgs);
	assert_true(st.bytes_scanned > 10u * 1000 * 1000);
	cs_detector_free(d);
}

static void test_corpus_raw_scanner(void **state)
{
	struct eh_sink sink = {0};
	struct cs_detector *d = eh_detector(&sink, 0);
	struct corpus_rec r;
	size_t off = 0;

	(void)state;
	assert_non_null(d);
	while (corpus_next(corpus, corpus_len, &off, &r) == 1) {
		/*
		 * SSE streams are text only once reassembled (cs_flow does it):
		 * their raw events split words ("s" | "sh -c") anywhere.
		 */
		if (memmem(r.data, r.len < 512 ? r.len : 512, "text/event-stream", 17))
			continue;
		eh_scan(d, r.dir == '>' ? CS_DIR_OUTBOUND : CS_DIR_INBOUND, r.data, r.len, 0);
	}
	report_first(&sink);
	assert_int_equal(sink.total, 0);
	cs_detector_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_through_flows),
		cmocka_unit_test(test_corpus_raw_scanner),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
