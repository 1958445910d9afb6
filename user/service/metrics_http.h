/* SPDX-License-Identifier: MIT */
/*
 * metrics_http.h - the one HTTP request the metrics endpoint understands.
 * Anyone who can reach the listener may send anything: the head is parsed
 * from a bounded buffer, and every answer is decided from its first line.
 */
#ifndef CLAWSEC_METRICS_HTTP_H
#define CLAWSEC_METRICS_HTTP_H

#include <stddef.h>

/* The longest request head read; longer is a 431. */
#define CS_METRICS_MAX_HEAD 4096

enum cs_metrics_req {
	CS_MREQ_INCOMPLETE, /* no end of head yet: read more */
	CS_MREQ_METRICS,    /* GET /metrics (a query string is ignored) */
	CS_MREQ_HEAD,	    /* HEAD /metrics */
	CS_MREQ_NOT_FOUND,  /* any other path: 404 */
	CS_MREQ_BAD_METHOD, /* anything but GET and HEAD: 405 (read-only) */
	CS_MREQ_BAD,	    /* not an HTTP/1.x request line: 400 */
	CS_MREQ_TOO_LONG,   /* no end of head within CS_METRICS_MAX_HEAD: 431 */
};

/* Classify the bytes buf[0, len) received so far. */
enum cs_metrics_req cs_metrics_parse(const char *buf, size_t len);

/* The status line and reason for a classification other than INCOMPLETE. */
int cs_metrics_status(enum cs_metrics_req r, const char **reason);

#endif
