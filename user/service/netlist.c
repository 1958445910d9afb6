/* SPDX-License-Identifier: MIT */
/* netlist.c - CIDR prefixes and host patterns of the proxy's lists (see netlist.h). */
#include "netlist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool parse_bits(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (!*s || strlen(s) > 3 || (s[0] == '0' && s[1]))
		return false; /* empty, too long, or a leading zero */
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool host_bits_zero(const struct cs_cidr *c)
{
	for (unsigned i = c->bits; i < 128; i++)
		if (c->addr[i / 8] & (0x80u >> (i % 8)))
			return false;
	return true;
}

int cs_cidr_parse(const char *s, struct cs_cidr *out, const char **why)
{
	char addr[CS_CIDR_STR];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned bits;
	bool v4;

	memset(out, 0, sizeof(*out));
	*why = "must be an IPv4 or IPv6 address with an optional /prefix-length";
	if (alen >= sizeof(addr))
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	/* inet_pton takes only the strict forms: no "127.1", "0x7f.1" or "2130706433". */
	v4 = inet_pton(AF_INET, addr, out->addr + 12) == 1;
	if (v4) {
		out->addr[10] = out->addr[11] = 0xff;
	} else if (inet_pton(AF_INET6, addr, out->addr) != 1) {
		return -1;
	}
	bits = v4 ? 32 : 128;
	if (slash && !parse_bits(slash + 1, bits, &bits)) {
		*why = v4 ? "prefix length must be 0..32" : "prefix length must be 0..128";
		return -1;
	}
	out->bits = v4 ? 96 + bits : bits;
	if (!host_bits_zero(out)) {
		*why = "address has bits set after the prefix length";
		return -1;
	}
	return 0;
}

bool cs_cidr_match(const struct cs_cidr *c, const uint8_t addr[16])
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, addr, full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);

	return (c->addr[full] & mask) == (addr[full] & mask);
}

bool cs_host_pattern_valid(const char *s)
{
	if (!strncmp(s, "*.", 2))
		s += 2;
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
			return false;
	return true;
}

bool cs_host_pattern_match(const char *pattern, const char *host)
{
	size_t hl = strlen(host), pl;
	bool wild = !strncmp(pattern, "*.", 2);

	if (wild)
		pattern++; /* ".suffix" */
	pl = strlen(pattern);
	if (hl && host[hl - 1] == '.')
		hl--;
	if (pl && pattern[pl - 1] == '.')
		pl--; /* "example.test." is "example.test" on either side */
	if (wild)
		return hl > pl && !strncasecmp(host + hl - pl, pattern, pl);
	return pl == hl && !strncasecmp(pattern, host, hl);
}
