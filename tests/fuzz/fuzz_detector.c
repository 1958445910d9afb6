// SPDX-License-Identifier: MIT
/*
 * fuzz_detector.c - arbitrary bytes through whole flows: the input is a
 * script of (direction, length) records followed by their bytes, with
 * occasional capture gaps, fed through cs_flow in both directions. The
 * detector must never crash, leak, or report a finding that breaks the
 * record's invariants, and its counters must add up. A first byte >= 128
 * takes each request's dest from its Host or :authority (dest_from_host):
 * a dest is then the flow's or a printable host:port without '/'.
 */
#include <string.h>

#include "detector.h"
#include "fuzz_util.h"

static bool from_host;

static bool dest_ok(const char *d)
{
	if (!strcmp(d, "fuzz.example:443"))
		return true;
	if (!from_host || !*d || !strchr(d, ':'))
		return false;
	for (; *d; d++)
		if (*d <= ' ' || *d >= 0x7f || *d == '/')
			return false;
	return true;
}

static void on_finding(void *ctx, const struct cs_finding *f)
{
	(void)ctx;
	CHECK(f->direction == CS_DIR_OUTBOUND || f->direction == CS_DIR_INBOUND);
	CHECK(memchr(f->snippet, 0, sizeof(f->snippet)));
	CHECK(memchr(f->dest, 0, sizeof(f->dest)));
	CHECK(dest_ok(f->dest));
}

static struct cs_detector *detector(void)
{
	static struct cs_detector *d;
	static const uint8_t key[32] = "fuzz-detector-fingerprint-key-32";

	if (!d) {
		struct cs_detector_config cfg = {
			.max_scan_bytes = 64 * 1024,
			.dedup_window_ms = 0,
			.fingerprint_key = key,
		};
		char err[256];

		d = cs_detector_new(&cfg, on_finding, NULL, err, sizeof(err));
		CHECK(d);
	}
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_detector *d = detector();
	const struct cs_flow_info info = {
		.source = "fuzz/1",
		.dest = "fuzz.example:443",
		.protocol = "https",
		.format = size ? (enum cs_format)(data[0] % 3) : CS_FORMAT_AUTO,
	};
	struct cs_detector_stats before, after;
	struct cs_flow *f;
	size_t i = size ? 1 : 0, fed = 0;

	cs_detector_get_stats(d, &before);
	f = cs_flow_new(d, &info);
	CHECK(f);
	from_host = size && data[0] >= 128;
	if (from_host)
		CHECK(cs_flow_dest_from_host(f) == 0);
	while (i < size) {
		uint8_t op = data[i++];
		size_t n = (size_t)(op >> 2) * 3 + 1;
		enum cs_direction dir = op & 1 ? CS_DIR_INBOUND : CS_DIR_OUTBOUND;

		if ((op & 3) == 3 && n > 100) {
			cs_flow_gap(f, dir, n);
			continue;
		}
		if (n > size - i)
			n = size - i;
		cs_flow_feed(f, dir, data + i, n);
		fed += n;
		i += n;
	}
	cs_flow_close(f);
	cs_detector_get_stats(d, &after);
	CHECK(after.bytes_in - before.bytes_in == fed);
	CHECK(after.flows_open == before.flows_open);
	return 0;
}
