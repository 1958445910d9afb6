// SPDX-License-Identifier: MIT
/*
 * metrics_http.c - classifying a scrape request. Only the request line
 * matters; headers are skipped (a scraper's Accept header asks for the
 * text format at most, which is all there is).
 */
#include "metrics_http.h"

#include <stdbool.h>
#include <string.h>

/* The end of the head: CRLF CRLF, or a bare LF LF. */
static bool head_complete(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n' || (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n'))
			return true;
	}
	return false;
}

static bool token_char(char c)
{
	return c > 0x20 && c < 0x7f;
}

/* The path without its query string is exactly /metrics. */
static bool metrics_path(const char *p, size_t n)
{
	size_t path_len = 0;

	while (path_len < n && p[path_len] != '?')
		path_len++;
	return path_len == 8 && memcmp(p, "/metrics", 8) == 0;
}

enum cs_metrics_req cs_metrics_parse(const char *buf, size_t len)
{
	const char *eol, *sp1, *sp2;
	size_t line;

	if (!head_complete(buf, len))
		return len >= CS_METRICS_MAX_HEAD ? CS_MREQ_TOO_LONG : CS_MREQ_INCOMPLETE;
	eol = memchr(buf, '\n', len);
	line = (size_t)(eol - buf);
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	sp1 = memchr(buf, ' ', line);
	if (!sp1 || sp1 == buf)
		return CS_MREQ_BAD;
	sp2 = memchr(sp1 + 1, ' ', line - (size_t)(sp1 + 1 - buf));
	if (!sp2 || sp2 == sp1 + 1)
		return CS_MREQ_BAD;
	for (const char *c = buf; c < buf + line; c++)
		if (c != sp1 && c != sp2 && !token_char(*c))
			return CS_MREQ_BAD;
	if ((size_t)(buf + line - (sp2 + 1)) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return CS_MREQ_BAD;
	bool get = sp1 - buf == 3 && memcmp(buf, "GET", 3) == 0;
	bool head = sp1 - buf == 4 && memcmp(buf, "HEAD", 4) == 0;

	if (!get && !head)
		return CS_MREQ_BAD_METHOD;
	if (!metrics_path(sp1 + 1, (size_t)(sp2 - sp1 - 1)))
		return CS_MREQ_NOT_FOUND;
	return get ? CS_MREQ_METRICS : CS_MREQ_HEAD;
}

int cs_metrics_status(enum cs_metrics_req r, const char **reason)
{
	switch (r) {
	case CS_MREQ_METRICS:
	case CS_MREQ_HEAD:
		*reason = "OK";
		return 200;
	case CS_MREQ_NOT_FOUND:
		*reason = "Not Found";
		return 404;
	case CS_MREQ_BAD_METHOD:
		*reason = "Method Not Allowed";
		return 405;
	case CS_MREQ_TOO_LONG:
		*reason = "Request Header Fields Too Large";
		return 431;
	case CS_MREQ_INCOMPLETE:
	case CS_MREQ_BAD:
		break;
	}
	*reason = "Bad Request";
	return 400;
}
