// SPDX-License-Identifier: MIT
/*
 * fuzz_metrics_http.c - whatever reaches the /metrics listener, the request
 * classifier never reads past what it was given (ASan), decides the same at
 * every prefix once the head is complete, only ever answers 200 to a
 * GET/HEAD of exactly /metrics, and maps each outcome to a known status.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "metrics_http.h"

static void check_status(enum cs_metrics_req r)
{
	const char *reason = NULL;
	int status = cs_metrics_status(r, &reason);

	CHECK(reason && reason[0]);
	CHECK(status == 200 || status == 400 || status == 404 || status == 405 || status == 431);
	CHECK((status == 200) == (r == CS_MREQ_METRICS || r == CS_MREQ_HEAD));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so any over-read is caught. */
	char *buf = malloc(size ? size : 1);
	enum cs_metrics_req whole, r;

	CHECK(buf);
	memcpy(buf, data, size);
	whole = cs_metrics_parse(buf, size);
	if (whole != CS_MREQ_INCOMPLETE)
		check_status(whole);
	if (whole == CS_MREQ_METRICS || whole == CS_MREQ_HEAD)
		CHECK(size >= 16 && (memcmp(buf, "GET /metrics", 12) == 0 ||
				     memcmp(buf, "HEAD /metrics", 13) == 0));
	/* Once decided, more bytes never change the decision. */
	for (size_t n = 0; n <= size; n++) {
		r = cs_metrics_parse(buf, n);
		if (r != CS_MREQ_INCOMPLETE && r != CS_MREQ_TOO_LONG) {
			CHECK(r == whole);
			break;
		}
	}
	free(buf);
	return 0;
}
