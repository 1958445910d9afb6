// SPDX-License-Identifier: MIT
/*
 * fuzz_http.c - HTTP/1.x framing of arbitrary bytes: every callback sees
 * sane values, nothing is lost or invented (head + body + trailer + raw
 * bytes never exceed the input) and the events are the same whatever the
 * split. The first byte picks the format and whether responses to HEAD
 * are expected.
 */
#include "fuzz_util.h"
#include "http.h"

struct ctx {
	struct flog log;
	size_t bytes;
	bool no_body;
};

static enum cs_http_verdict head(void *c, const struct cs_http_head *h)
{
	struct ctx *x = c;

	CHECK(h->raw_len > 0 && h->raw_len <= CS_HTTP_MAX_HEAD);
	CHECK(h->line_len < h->raw_len);
	if (h->is_request)
		CHECK(h->method + h->method_len < h->target &&
		      h->target + h->target_len <= h->raw + h->line_len);
	else
		CHECK(h->status >= 0 && h->status <= 999);
	x->bytes += h->raw_len;
	flog_add(&x->log, 'H', h->raw, h->raw_len);
	flog_event(&x->log, h->is_request ? 'Q' : 'S');
	return x->no_body && !h->is_request ? CS_HTTP_NO_BODY : CS_HTTP_AS_USUAL;
}

static void body(void *c, const uint8_t *p, size_t n)
{
	struct ctx *x = c;

	x->bytes += n;
	flog_add(&x->log, 'B', p, n);
}

static void trailer(void *c, const uint8_t *p, size_t n)
{
	struct ctx *x = c;

	x->bytes += n;
	flog_add(&x->log, 'T', p, n);
}

static void gap(void *c)
{
	flog_event(&((struct ctx *)c)->log, 'G');
}

static void end(void *c, bool complete)
{
	flog_event(&((struct ctx *)c)->log, complete ? 'E' : 'C');
}

static void raw(void *c, const uint8_t *p, size_t n)
{
	struct ctx *x = c;

	x->bytes += n;
	flog_add(&x->log, 'R', p, n);
}

static void raw_end(void *c)
{
	flog_event(&((struct ctx *)c)->log, 'r');
}

static void error(void *c)
{
	flog_event(&((struct ctx *)c)->log, 'X');
}

static void run(enum cs_format fmt, const uint8_t *data, size_t size, size_t a, size_t b,
		struct ctx *x)
{
	const struct cs_http_cb cb = {head, body, trailer, gap, end, raw, raw_end, error, x};
	struct cs_http p;

	cs_http_init(&p, fmt, &cb);
	cs_http_feed(&p, data, a);
	cs_http_feed(&p, data + a, b - a);
	cs_http_feed(&p, data + b, size - b);
	cs_http_finish(&p);
	CHECK(p.head_cap <= CS_HTTP_MAX_HEAD);
	cs_http_free(&p);
	CHECK(x->bytes <= size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx whole = {0}, split = {0};
	enum cs_format fmt;
	size_t a, b;

	if (!size)
		return 0;
	fmt = (enum cs_format)(data[0] % 3);
	whole.no_body = split.no_body = data[0] & 4;
	data++;
	size--;
	fuzz_cuts(data, size, &a, &b);
	run(fmt, data, size, size, size, &whole);
	run(fmt, data, size, a, b, &split);
	CHECK(flog_equal(&whole.log, &split.log));
	flog_free(&whole.log);
	flog_free(&split.log);
	return 0;
}
