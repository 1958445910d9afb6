// SPDX-License-Identifier: MIT
/*
 * bench_detector.c - detector throughput and memory (run by run-detector.sh).
 *
 *   bench_detector CORPUS OUT.json
 *
 * Measures, single-threaded (so MB/s is per core):
 *  (a) the benign corpus (scripts/gen-benign-corpus.js) through the scanner
 *      with the full registry, and through the whole cs_flow pipeline;
 *  (b) dense near-miss input built to make rules start and fail;
 *  (c) a gzip + chunked HTTP response through cs_flow;
 *  (d) requests whose 64 KiB body is one long base64-alphabet run;
 * the same benign bytes scanned naively (every regex, one by one, over the
 * whole text, no prefilter) and the ratio; and the peak RSS. The corpus is
 * streamed record by record so RSS reflects the detector, not the input.
 * Times are the thread's CPU time, so a busy machine slows the figures less.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <zlib.h>

#include "detector.h"
#include "detector_internal.h"
#include "registry.h"
#include "scanner.h"

#define BENCH_REPEAT 5

static uint64_t findings, raw_findings;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The inputs are benign or near misses: BENCH_VERBOSE=1 shows the first findings. */
static void on_finding(void *ctx, const struct cs_finding *f)
{
	(void)ctx;
	if (findings++ < 3 && getenv("BENCH_VERBOSE"))
		fprintf(stderr, "bench: unexpected finding %s/%s: %s\n", f->pattern, f->rule,
			f->snippet);
}

struct match_ctx {
	struct cs_detector *d;
	enum cs_direction dir;
};

static void on_match(void *ctx, const struct cs_match *m)
{
	struct match_ctx *c = ctx;
	struct cs_flow_meta meta = {.source = "bench/1", .dest = "bench:1", .protocol = "http"};

	cs_detector_report(c->d, &meta, c->dir, m);
}

/* ---- corpus streaming ---- */

struct corpus {
	FILE *f;
	uint8_t *buf;
	size_t cap, len;
	char dir;
	unsigned long flow;
};

static int corpus_open(struct corpus *c, const char *path)
{
	char magic[10];

	memset(c, 0, sizeof(*c));
	c->f = fopen(path, "rb");
	if (!c->f || fread(magic, 1, 10, c->f) != 10 || memcmp(magic, "CSCORPUS1\n", 10) != 0) {
		fprintf(stderr, "bench: %s is not a benign corpus\n", path);
		return -1;
	}
	return 0;
}

static int corpus_next(struct corpus *c)
{
	unsigned long long n;

	if (fscanf(c->f, "%c %lu %llu", &c->dir, &c->flow, &n) != 3 || fgetc(c->f) != '\n')
		return 0;
	if (n > c->cap) {
		uint8_t *b = realloc(c->buf, n);

		if (!b)
			return -1;
		c->buf = b;
		c->cap = n;
	}
	c->len = n;
	return fread(c->buf, 1, n, c->f) == n ? 1 : -1;
}

static void corpus_close(struct corpus *c)
{
	if (c->f)
		fclose(c->f);
	free(c->buf);
}

/* ---- measurements ---- */

struct result {
	const char *name;
	double bytes, secs;
};

static double mbps(const struct result *r)
{
	return r->secs > 0 ? r->bytes / r->secs / 1e6 : 0;
}

/* The engine: prefilter + anchored JIT regexes, streaming, one scanner per direction. */
static int bench_scanner(struct cs_detector *d, const char *path, struct result *r)
{
	struct match_ctx ctx[2] = {{d, CS_DIR_OUTBOUND}, {d, CS_DIR_INBOUND}};
	struct cs_scanner *s[2];
	struct corpus c;
	int rc;

	for (int i = 0; i < 2; i++)
		s[i] = cs_scanner_new(cs_detector_registry(d), (enum cs_direction)i, on_match,
				      &ctx[i]);
	if (!s[0] || !s[1] || corpus_open(&c, path))
		return -1;
	while ((rc = corpus_next(&c)) == 1) {
		int i = c.dir == '>' ? 0 : 1;
		double t = now();

		cs_scanner_feed(s[i], c.buf, c.len);
		cs_scanner_reset(s[i]);
		r->secs += now() - t;
		r->bytes += (double)c.len;
	}
	corpus_close(&c);
	cs_scanner_free(s[0]);
	cs_scanner_free(s[1]);
	return rc;
}

/* Which share of the pipeline figure a message belongs to. */
enum kind { KIND_PLAIN, KIND_SSE, KIND_GZIP, KINDS };

static enum kind message_kind(const uint8_t *p, size_t n)
{
	const uint8_t *end = memmem(p, n, "\r\n\r\n", 4);
	size_t head = end ? (size_t)(end - p) : n;

	if (memmem(p, head, "Content-Encoding: gzip", 22))
		return KIND_GZIP;
	if (memmem(p, head, "text/event-stream", 17) && !memmem(p, head, "Accept:", 7))
		return KIND_SSE;
	return KIND_PLAIN;
}

/*
 * The whole pipeline: HTTP framing, chunked, gzip, JSON/SSE text, base64
 * rescans; also split by kind of message, so the table shows where the
 * time goes.
 */
static int bench_flows(struct cs_detector *d, const char *path, struct result *r,
		       struct result *by_kind)
{
	struct cs_flow_info info = {"bench/1", "example.com:443", "https", CS_FORMAT_AUTO};
	struct cs_flow *f = NULL;
	unsigned long cur = 0;
	struct corpus c;
	int rc;

	if (corpus_open(&c, path))
		return -1;
	while ((rc = corpus_next(&c)) == 1) {
		struct result *k;
		double t = now();

		if (!f || c.flow != cur) {
			if (f)
				cs_flow_close(f);
			f = cs_flow_new(d, &info);
			cur = c.flow;
		}
		if (f)
			cs_flow_feed(f, c.dir == '>' ? CS_DIR_OUTBOUND : CS_DIR_INBOUND, c.buf,
				     c.len);
		t = now() - t;
		r->secs += t;
		r->bytes += (double)c.len;
		k = &by_kind[message_kind(c.buf, c.len)];
		k->secs += t;
		k->bytes += (double)c.len;
	}
	if (f)
		cs_flow_close(f);
	corpus_close(&c);
	return rc;
}

/*
 * The naive way: every rule of the direction compiled on its own (JIT,
 * unanchored, no prefilter) and searched over the whole message in turn.
 */
static int bench_naive(struct cs_detector *d, const char *path, struct result *r)
{
	const struct cs_registry *reg = cs_detector_registry(d);
	pcre2_match_data *md = pcre2_match_data_create(reg->max_groups, NULL);
	pcre2_code **code = calloc(reg->n, sizeof(*code));
	struct corpus c;
	int rc, ec;
	PCRE2_SIZE eo;

	if (!md || !code)
		return -1;
	for (size_t i = 0; i < reg->n; i++) {
		code[i] = pcre2_compile((PCRE2_SPTR)reg->rules[i]->regex, PCRE2_ZERO_TERMINATED, 0,
					&ec, &eo, NULL);
		if (!code[i] || pcre2_jit_compile(code[i], PCRE2_JIT_COMPLETE) != 0)
			return -1;
	}
	if (corpus_open(&c, path))
		return -1;
	while ((rc = corpus_next(&c)) == 1) {
		enum cs_direction dir = c.dir == '>' ? CS_DIR_OUTBOUND : CS_DIR_INBOUND;
		double t = now();

		for (size_t i = 0; i < reg->n; i++) {
			if (reg->rules[i]->dir != dir)
				continue;
			for (size_t off = 0; off < c.len;) {
				if (pcre2_jit_match(code[i], c.buf, c.len, off, 0, md, NULL) <= 0)
					break;
				PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

				off = ov[1] > off ? ov[1] : off + 1;
			}
		}
		r->secs += now() - t;
		r->bytes += (double)c.len;
	}
	corpus_close(&c);
	for (size_t i = 0; i < reg->n; i++)
		pcre2_code_free(code[i]);
	free(code);
	pcre2_match_data_free(md);
	return rc;
}

/* Near misses for every family, densely packed: each starts a rule that then fails. */
static const char *const near_misses[] = {
	"sk-ant-api03-short ",
	"sk-proj-abcdefghijklmnopqrstuvwx ",
	"AKIAIOSFODNN7EXAMPLE ",
	"AIzaShort ",
	"-----BEGIN CERTIFICATE-----\n",
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJzekNDQVZtZ0F3SUJBZ0lV ",
	"/etc/passwd ",
	"/proc/cpuinfo ",
	"~/.ssh/id_rsa.pub ",
	"/app/.env.example ",
	"process.env.NODE_ENV ",
	"store/authors.json ",
	"curl -s https://api.example.com/v1/items | jq . ",
	"wget https://example.com/file.tar.gz ",
	"rm -rf dist ",
	"rm -rf node_modules ",
	"nc -zv db.internal 5432 ",
	"python -c 'print(1)' ",
	"perl -pi -e 's/a/b/' x ",
	"ssh -c aes128-ctr host ",
	"eval(code) ",
	"socat TCP-LISTEN:8080,fork TCP:localhost:80 ",
	"cat ~/.ssh/authorized_keys ",
	"mkfifo /tmp/pipe ",
	"OpenSSL/1.1.1nc ",
	"box-shadow: 0 1px 2px #000; ",
	"ghp_short npm_config_cache glpat-x sk_live_x ",
	"xoxb-123-abc Bot is up; DISCORD_URL=x ",
	"12:30:AAx at 10:AA ",
	"c''url x \"cu\"rl y | less ",
	"cmd 2>&1 >&2 <&0 | nc -zv h 80 ",
	"python3 -c \"$(cat x)\" /inet/data ",
	"use bash -c so globs work, sh -c in docs ",
};

static uint8_t *make_adversarial(size_t len)
{
	uint8_t *b = malloc(len);
	size_t n = sizeof(near_misses) / sizeof(near_misses[0]);
	uint32_t seed = 1;

	if (!b)
		return NULL;
	for (size_t off = 0; off < len;) {
		const char *u;
		size_t ul;

		seed = seed * 1103515245u + 12345u;
		u = near_misses[(seed >> 16) % n];
		ul = strlen(u);
		if (ul > len - off) {
			/* A near miss cut short can become a hit (.env.exampl): pad instead. */
			memset(b + off, ' ', len - off);
			break;
		}
		memcpy(b + off, u, ul);
		off += ul;
	}
	return b;
}

/* Both directions over the same near-miss bytes, fed in 16 KiB chunks. */
static int bench_adversarial(struct cs_detector *d, struct result *r)
{
	const size_t len = 4u << 20;
	uint8_t *b = make_adversarial(len);

	if (!b)
		return -1;
	for (int dir = 0; dir < 2; dir++) {
		struct match_ctx ctx = {d, (enum cs_direction)dir};
		struct cs_scanner *s =
			cs_scanner_new(cs_detector_registry(d), ctx.dir, on_match, &ctx);
		double t = now();

		if (!s)
			return -1;
		for (int rep = 0; rep < 2; rep++) {
			for (size_t off = 0; off < len; off += 16384)
				cs_scanner_feed(s, b + off, len - off < 16384 ? len - off : 16384);
			cs_scanner_reset(s);
		}
		r->secs += now() - t;
		r->bytes += 2.0 * (double)len;
		cs_scanner_free(s);
	}
	free(b);
	return 0;
}

/* gzip of `len` bytes of benign corpus requests, framed as a chunked response. */
static uint8_t *make_gzip_chunked(const char *path, size_t len, size_t *out_len)
{
	struct corpus c;
	uint8_t *text = malloc(len), *gz, *wire;
	size_t have = 0, gzlen, w = 0;
	z_stream z = {0};
	static const char hdr[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				  "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";

	if (!text || corpus_open(&c, path))
		return NULL;
	while (have < len && corpus_next(&c) == 1) {
		size_t n = c.len < len - have ? c.len : len - have;

		/* Requests only: raw SSE responses are not text until reassembled. */
		if (c.dir != '>')
			continue;
		memcpy(text + have, c.buf, n);
		have += n;
	}
	corpus_close(&c);
	gzlen = compressBound(have) + 64;
	gz = malloc(gzlen);
	if (!gz || deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	z.next_in = text;
	z.avail_in = (uInt)have;
	z.next_out = gz;
	z.avail_out = (uInt)gzlen;
	deflate(&z, Z_FINISH);
	gzlen = z.total_out;
	deflateEnd(&z);
	free(text);
	wire = malloc(sizeof(hdr) + gzlen + gzlen / 1000 * 16 + 64);
	if (!wire)
		return NULL;
	memcpy(wire, hdr, sizeof(hdr) - 1);
	w = sizeof(hdr) - 1;
	for (size_t off = 0; off < gzlen; off += 4096) {
		size_t n = gzlen - off < 4096 ? gzlen - off : 4096;

		w += (size_t)sprintf((char *)wire + w, "%zx\r\n", n);
		memcpy(wire + w, gz + off, n);
		w += n;
		memcpy(wire + w, "\r\n", 2);
		w += 2;
	}
	memcpy(wire + w, "0\r\n\r\n", 5);
	w += 5;
	free(gz);
	*out_len = w;
	return wire;
}

static int bench_gzip(struct cs_detector *d, const char *path, struct result *wire_r,
		      struct result *decoded_r)
{
	struct cs_flow_info info = {"bench/1", "example.com:443", "https", CS_FORMAT_HTTP};
	size_t len, text = 8u << 20;
	uint8_t *wire = make_gzip_chunked(path, text, &len);
	struct cs_detector_stats before, after;

	if (!wire)
		return -1;
	cs_detector_get_stats(d, &before);
	for (int rep = 0; rep < 2; rep++) {
		struct cs_flow *f = cs_flow_new(d, &info);
		double t = now();

		if (!f)
			return -1;
		for (size_t off = 0; off < len; off += 1460)
			cs_flow_feed(f, CS_DIR_INBOUND, wire + off,
				     len - off < 1460 ? len - off : 1460);
		cs_flow_close(f);
		wire_r->secs += now() - t;
		wire_r->bytes += (double)len;
	}
	cs_detector_get_stats(d, &after);
	decoded_r->secs = wire_r->secs;
	decoded_r->bytes += (double)(after.bytes_scanned - before.bytes_scanned);
	free(wire);
	return 0;
}

/*
 * POSTs whose 64 KiB JSON body is one repeated base64-alphabet letter, fed
 * in 16 KiB pieces with a small response after each: one run as long as
 * the body, the run finder's costliest input (the capture bench sends it).
 */
#define LONG_RUN_BODY 65536
#define LONG_RUN_REQUESTS 200

static int bench_long_run(struct cs_detector *d, struct result *r)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				   "Content-Length: 11\r\n\r\n{\"ok\":true}";
	struct cs_flow_info info = {"bench/1", "example.com:443", "https", CS_FORMAT_AUTO};
	char *req = malloc(LONG_RUN_BODY + 256);
	struct cs_flow *f = cs_flow_new(d, &info);
	size_t len;
	double t;

	if (!req || !f)
		return -1;
	len = (size_t)sprintf(req,
			      "POST /v1/messages HTTP/1.1\r\nHost: example.com\r\n"
			      "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			      LONG_RUN_BODY);
	memset(req + len, 'y', LONG_RUN_BODY);
	len += LONG_RUN_BODY;
	t = now();
	for (int i = 0; i < LONG_RUN_REQUESTS; i++) {
		for (size_t off = 0; off < len; off += 16384)
			cs_flow_feed(f, CS_DIR_OUTBOUND, req + off,
				     len - off < 16384 ? len - off : 16384);
		cs_flow_feed(f, CS_DIR_INBOUND, resp, sizeof(resp) - 1);
	}
	r->secs += now() - t;
	r->bytes += (double)len * LONG_RUN_REQUESTS;
	cs_flow_close(f);
	free(req);
	return 0;
}

static long peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	struct cs_detector_config cfg = {.max_scan_bytes = CS_MAX_SCAN_BYTES_HARD};
	struct result scan = {.name = "benign_scanner"}, flows = {.name = "benign_flow"},
		      naive = {.name = "benign_naive"}, adv = {.name = "adversarial_scanner"},
		      gzw = {.name = "gzip_chunked_flow_wire"},
		      kinds[KINDS] = {[KIND_PLAIN] = {.name = "benign_flow_plain"},
				      [KIND_SSE] = {.name = "benign_flow_sse"},
				      [KIND_GZIP] = {.name = "benign_flow_gzip"}},
		      gzd = {.name = "gzip_chunked_flow_decoded"},
		      lrun = {.name = "long_run_flow_64k"};
	char err[256];
	struct cs_detector *d;
	long rss_detector = 0;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CORPUS OUT.json\n", argv[0]);
		return 2;
	}
	d = cs_detector_new(&cfg, on_finding, NULL, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	/* Several passes each, so the faster measurements are not lost in timer noise. */
	for (int rep = 0; rep < BENCH_REPEAT; rep++) {
		uint64_t before = findings;

		/* Raw SSE events split words anywhere: raw-scan findings are not counted. */
		if (bench_scanner(d, argv[1], &scan) < 0)
			return 1;
		raw_findings += findings - before;
		if (bench_flows(d, argv[1], &flows, kinds) < 0 || bench_adversarial(d, &adv) < 0 ||
		    bench_long_run(d, &lrun) < 0)
			return 1;
		/* Before the gzip test builds its 8 MB input: the detector's own peak. */
		if (rep == 0)
			rss_detector = peak_rss_kb();
		if (bench_gzip(d, argv[1], &gzw, &gzd) < 0) {
			fprintf(stderr, "bench: a measurement failed\n");
			return 1;
		}
	}
	long rss = peak_rss_kb();

	/* Last: its time does not matter and it does not use the detector's memory. */
	if (bench_naive(d, argv[1], &naive) < 0)
		return 1;
	double ratio = mbps(&naive) > 0 ? mbps(&scan) / mbps(&naive) : 0;
	double lrun_us = lrun.secs * 1e6 / (BENCH_REPEAT * LONG_RUN_REQUESTS);
	const struct result *rs[] = {&scan,
				     &flows,
				     &kinds[KIND_PLAIN],
				     &kinds[KIND_SSE],
				     &kinds[KIND_GZIP],
				     &adv,
				     &gzw,
				     &gzd,
				     &lrun,
				     &naive};

	printf("%-28s %10s %10s %10s\n", "measurement (1 core)", "MB", "cpu s", "MB/s");
	for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++)
		printf("%-28s %10.1f %10.3f %10.1f\n", rs[i]->name, rs[i]->bytes / 1e6, rs[i]->secs,
		       mbps(rs[i]));
	printf("%-28s %10.1fx\n", "engine vs naive", ratio);
	printf("%-28s %10.2f us\n", "long run: per 64 KiB request", lrun_us);
	printf("%-28s %10.1f MB\n", "peak RSS (detector+corpus IO)", (double)rss_detector / 1024.0);
	printf("%-28s %10.1f MB\n", "peak RSS (with gzip inputs)", (double)rss / 1024.0);
	printf("%-28s %10zu\n", "rules", cs_detector_registry(d)->n);
	printf("%-28s %10llu\n", "findings (flows+adversarial)",
	       (unsigned long long)(findings - raw_findings));

	out = fopen(argv[2], "w");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	fprintf(out, "{\n  \"schema\": \"clawsec-bench-detector/v1\",\n  \"rules\": %zu,\n",
		cs_detector_registry(d)->n);
	for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++)
		fprintf(out,
			"  \"%s\": {\"bytes\": %.0f, \"seconds\": %.4f, \"mb_per_s\": %.1f},\n",
			rs[i]->name, rs[i]->bytes, rs[i]->secs, mbps(rs[i]));
	fprintf(out,
		"  \"engine_vs_naive\": %.2f,\n  \"long_run_us_per_request\": %.2f,\n"
		"  \"peak_rss_mb\": %.1f,\n"
		"  \"peak_rss_mb_with_gzip_inputs\": %.1f,\n  \"findings\": %llu,\n"
		"  \"goals\": {\"benign_mb_per_s\": 1000, \"adversarial_mb_per_s\": 100, "
		"\"rss_mb\": 32}\n}\n",
		ratio, lrun_us, (double)rss_detector / 1024.0, (double)rss / 1024.0,
		(unsigned long long)(findings - raw_findings));
	fclose(out);
	cs_detector_free(d);
	return 0;
}
