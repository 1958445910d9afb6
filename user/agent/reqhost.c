// SPDX-License-Identifier: MIT
/*
 * reqhost.c - the Host header of a request head, strictly validated; a proxy
 * head without its credential.
 */
#include "reqhost.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define HEAD_MAX 8192 /* a Host header later than this is not looked for */

static bool is_method_char(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

/* "METHOD SP": the head starts like a request. */
static bool request_line(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && i < 16 && is_method_char(p[i]))
		i++;
	return i > 0 && i < n && p[i] == ' ';
}

static bool host_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

/* v[0..n) is "host", "host:port", "[v6]" or "[v6]:port": copy the host. */
static int take_host(const uint8_t *v, size_t n, char *host, size_t len)
{
	size_t end = n, i;

	if (n && v[0] == '[') {
		const uint8_t *rb = memchr(v, ']', n);

		if (!rb)
			return -1;
		end = (size_t)(rb - v) + 1;
		for (i = 1; i + 1 < end; i++)
			if (!(host_char(v[i]) || v[i] == ':'))
				return -1;
	} else {
		const uint8_t *colon = memchr(v, ':', n);

		if (colon)
			end = (size_t)(colon - v);
		for (i = 0; i < end; i++)
			if (!host_char(v[i]))
				return -1;
	}
	for (i = end; i < n; i++) /* the port: ":digits" only */
		if (!(i == end ? v[i] == ':' : v[i] >= '0' && v[i] <= '9'))
			return -1;
	if (!end || end >= len)
		return -1;
	memcpy(host, v, end);
	host[end] = '\0';
	return 0;
}

/* The value of a "Host:" line l[0..n), spaces trimmed. */
static int host_line(const uint8_t *l, size_t n, char *host, size_t len)
{
	size_t a = 5, b = n;

	if (n < 5 || strncasecmp((const char *)l, "host:", 5))
		return 1;
	while (a < b && (l[a] == ' ' || l[a] == '\t'))
		a++;
	while (b > a && (l[b - 1] == ' ' || l[b - 1] == '\t'))
		b--;
	return take_host(l + a, b - a, host, len);
}

int cs_req_host(const uint8_t *p, size_t n, char *host, size_t len)
{
	size_t pos = 0;
	bool first = true;

	if (!len || len > CS_REQHOST_MAX || !request_line(p, n))
		return -1;
	if (n > HEAD_MAX)
		n = HEAD_MAX;
	while (pos < n) {
		const uint8_t *nl = memchr(p + pos, '\n', n - pos);
		size_t l;
		int r;

		if (!nl)
			return -1;
		l = (size_t)(nl - (p + pos));
		if (l && p[pos + l - 1] == '\r')
			l--;
		if (!l)
			return -1; /* end of the head */
		if (!first) {
			r = host_line(p + pos, l, host, len);
			if (r <= 0)
				return r;
		}
		first = false;
		pos = (size_t)(nl - p) + 1;
	}
	return -1;
}

/* The value of a "Proxy-Authorization:" line l[0..n), or NULL. */
static const uint8_t *proxy_auth_value(const uint8_t *l, size_t n, size_t *vlen)
{
	static const char name[] = "proxy-authorization:";
	size_t a = sizeof(name) - 1, b = n;

	if (n < a || strncasecmp((const char *)l, name, a))
		return NULL;
	while (a < b && (l[a] == ' ' || l[a] == '\t'))
		a++;
	while (b > a && (l[b - 1] == ' ' || l[b - 1] == '\t' || l[b - 1] == '\r'))
		b--;
	*vlen = b - a;
	return l + a;
}

size_t cs_req_strip_proxy_auth(const uint8_t *head, size_t n, uint8_t *out, cs_req_value_fn fn,
			       void *ctx)
{
	size_t pos = 0, o = 0;

	while (pos < n) {
		const uint8_t *nl = memchr(head + pos, '\n', n - pos);
		size_t l = nl ? (size_t)(nl - (head + pos)) + 1 : n - pos, vlen;
		const uint8_t *v = proxy_auth_value(head + pos, l, &vlen);

		if (v) {
			fn(ctx, v, vlen);
		} else {
			if (out)
				memcpy(out + o, head + pos, l);
			o += l;
		}
		pos += l;
	}
	return o;
}
