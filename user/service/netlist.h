/* SPDX-License-Identifier: MIT */
/*
 * netlist.h - the entries of the proxy's allow/deny lists: CIDR prefixes
 * (IPv4 and IPv6) and host-name patterns ("name" or "*.suffix"). Parsed
 * strictly (config validation and the proxy use the same parser) and
 * matched on addresses in one 16-byte form, IPv4 as ::ffff:a.b.c.d.
 */
#ifndef CLAWSEC_NETLIST_H
#define CLAWSEC_NETLIST_H

#include <stdbool.h>
#include <stdint.h>

#define CS_CIDR_STR 64 /* longest accepted CIDR text, NUL included */

struct cs_cidr {
	uint8_t addr[16]; /* IPv4 prefixes as ::ffff:a.b.c.d */
	unsigned bits;	  /* over the 128-bit form: an IPv4 /n is 96 + n */
};

/*
 * "a.b.c.d[/n]" (strict dotted quad, n 0..32) or "v6[/n]" (n 0..128); a
 * bare address is a single-host prefix. Host bits after the prefix must be
 * zero ("10.0.0.1/8" is refused: it is almost always a typo). 0, or -1
 * with *why saying what is wrong.
 */
int cs_cidr_parse(const char *s, struct cs_cidr *out, const char **why);
bool cs_cidr_match(const struct cs_cidr *c, const uint8_t addr[16]);

/* A host name of letters, digits, '-' and '.', optionally "*." first. */
bool cs_host_pattern_valid(const char *s);
/*
 * Case-insensitive; one trailing dot on either side is ignored ("a.test."
 * is "a.test"); "*.suffix" matches names strictly below suffix.
 */
bool cs_host_pattern_match(const char *pattern, const char *host);

#endif
