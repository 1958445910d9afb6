// SPDX-License-Identifier: MIT
/*
 * textsafe.c - UTF-8 checks on what comes in and a repair of what goes out
 * of the MCP server. cJSON passes bytes of strings through unchecked, so a
 * client's invalid UTF-8 would otherwise be echoed back verbatim.
 */
#include "textsafe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

bool mcp_utf8_valid(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;

	for (size_t i = 0; i < n;) {
		size_t len = cs_utf8_len(p + i, n - i);

		if (len == 0)
			return false;
		i += len;
	}
	return true;
}

bool mcp_json_has_nul_escape(const char *s, size_t n)
{
	bool in_string = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			in_string = !in_string;
			continue;
		}
		if (!in_string || s[i] != '\\' || i + 1 >= n)
			continue;
		/* Valid JSON: an escape is \X or \uXXXX, never at the end. */
		if (s[i + 1] == 'u' && i + 5 < n && memcmp(s + i + 2, "0000", 4) == 0)
			return true;
		i++; /* skip the escaped character, which may be a quote */
	}
	return false;
}

char *mcp_utf8_repair(char *s)
{
	size_t n = strlen(s);
	char *out, *w;

	if (mcp_utf8_valid(s, n))
		return s;
	/* Each invalid byte becomes at most 3 bytes. */
	out = malloc(n * 3 + 1);
	if (!out)
		return NULL;
	w = out;
	for (size_t i = 0; i < n;) {
		size_t len = cs_utf8_len((const uint8_t *)s + i, n - i);

		if (len == 0) {
			memcpy(w, replacement, 3);
			w += 3;
			i++;
			continue;
		}
		memcpy(w, s + i, len);
		w += len;
		i += len;
	}
	*w = '\0';
	return out;
}
