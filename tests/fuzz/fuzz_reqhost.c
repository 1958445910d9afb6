// SPDX-License-Identifier: MIT
/*
 * fuzz_reqhost.c - request heads from a hostile process: never a read past
 * the input. An accepted Host is NUL-terminated, fits, holds only
 * name/IP-literal bytes and occurs in the input as it is. Stripping
 * Proxy-Authorization never grows the head, leaves no such line behind, and
 * the copy plus the values account for every byte of a line kept or dropped.
 */
#include "fuzz_util.h"
#include "reqhost.h"

#include <strings.h>

static int allowed(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
}

static void value(void *ctx, const uint8_t *v, size_t len)
{
	size_t *total = ctx;

	CHECK(len <= 0x7fffffff);
	if (len)
		CHECK(v[0] != ' ' && v[len - 1] != ' ');
	*total += len;
}

static void check_strip(const uint8_t *p, size_t size)
{
	uint8_t *out = malloc(size ? size : 1);
	size_t vals = 0, n;

	CHECK(out);
	n = cs_req_strip_proxy_auth(p, size, out, value, &vals);
	CHECK(n <= size && n + vals <= size);
	CHECK(cs_req_strip_proxy_auth(p, size, NULL, value, &vals) == n);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || out[i - 1] == '\n')
			CHECK(n - i < 20 ||
			      strncasecmp((char *)out + i, "proxy-authorization:", 20));
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: ASan then sees any read past the end */
	uint8_t *p = malloc(size ? size : 1);
	char host[CS_REQHOST_MAX];
	size_t len = 1 + (size ? data[0] % CS_REQHOST_MAX : 0);

	CHECK(p);
	memcpy(p, data, size);
	memset(host, 'Z', sizeof(host));
	if (!cs_req_host(p, size, host, len)) {
		size_t n = strnlen(host, len);

		CHECK(n > 0 && n < len);
		for (size_t i = 0; i < n; i++)
			CHECK(allowed(host[i]));
		CHECK(memmem(p, size, host, n) != NULL);
	}
	check_strip(p, size);
	free(p);
	return 0;
}
