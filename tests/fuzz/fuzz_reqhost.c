// SPDX-License-Identifier: MIT
/*
 * fuzz_reqhost.c - the Host header of a request head from a hostile process:
 * never reads past the input, and an accepted host is NUL-terminated, fits,
 * holds only name/IP-literal bytes and occurs in the input as it is.
 */
#include "fuzz_util.h"
#include "reqhost.h"

static int allowed(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
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
	free(p);
	return 0;
}
