// SPDX-License-Identifier: MIT
/* headfield.c - header fields of a raw HTTP/1.x head. */
#include "headfield.h"

#include <string.h>
#include <strings.h>

bool cs_head_next_field(const uint8_t *head, size_t len, size_t *pos, const char *name,
			const uint8_t **v, size_t *vlen)
{
	size_t nl = strlen(name);

	while (*pos < len) {
		const uint8_t *line = head + *pos, *eol = memchr(line, '\n', len - *pos);
		size_t n = eol ? (size_t)(eol - line) : len - *pos;

		*pos += n + 1;
		if (n > nl && line[nl] == ':' && !strncasecmp((const char *)line, name, nl)) {
			*v = line + nl + 1;
			*vlen = n - nl - 1;
			return true;
		}
	}
	return false;
}

bool cs_head_has_word(const uint8_t *v, size_t n, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i + wl <= n; i++)
		if (!strncasecmp((const char *)v + i, word, wl))
			return true;
	return false;
}
