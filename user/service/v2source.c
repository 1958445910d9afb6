/* SPDX-License-Identifier: MIT */
/* v2source.c - see v2source.h. */
#include "v2source.h"

#include <stdio.h>
#include <string.h>

#define SOURCE_MAX 127 /* docs/finding-schema.md: source is 1..127 bytes */

static const char id_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/* Length of the id at the start of s (up to the next '/' or the end), 0 if none. */
static size_t id_len(const char *s)
{
	size_t n = strspn(s, id_chars);

	if (n < 1 || n > CS_V2_ID_MAX || s[0] == '-' || s[0] == '_')
		return 0;
	return n;
}

bool cs_v2_valid_id(const char *s)
{
	size_t n = id_len(s);

	return n && !s[n];
}

int cs_v2_source(char *out, size_t len, const char *group, const char *session, const char *comm,
		 int pid)
{
	char buf[SOURCE_MAX + 2];
	int n;

	if (!cs_v2_valid_id(group) || !cs_v2_valid_id(session) || !comm[0] || pid <= 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%s%s/%s/%s/%d", CS_V2_SOURCE_PREFIX, group, session, comm,
		     pid);
	if (n < 0 || n > SOURCE_MAX || (size_t)n >= len)
		return -1;
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}

bool cs_v2_source_in_group(const char *source, const char *group)
{
	const size_t plen = sizeof(CS_V2_SOURCE_PREFIX) - 1;
	size_t glen = strlen(group), slen;
	const char *rest, *slash;

	if (!cs_v2_valid_id(group) || strncmp(source, CS_V2_SOURCE_PREFIX, plen) ||
	    strncmp(source + plen, group, glen) || source[plen + glen] != '/')
		return false;
	/* Then <session>/<comm>/<pid>: the whole shape, not just the start. */
	rest = source + plen + glen + 1;
	slen = id_len(rest);
	if (!slen || rest[slen] != '/')
		return false;
	rest += slen + 1;
	slash = strrchr(rest, '/');
	return slash && slash > rest && slash[1] &&
	       strspn(slash + 1, "0123456789") == strlen(slash + 1);
}
