// SPDX-License-Identifier: MIT
/*
 * fuzz_destlist.c - the proxy's allow/deny list entries (user/service/netlist.c)
 * and the destination classifier (user/proxy/destpolicy.c). Each input line is
 * tried as a CIDR and as a host pattern: an accepted CIDR prints back to the
 * same prefix and matches its own address; an accepted host pattern matches
 * the names it promises to; the lines the validator accepts are exactly those
 * the proxy's rules accept. The first 16 bytes, taken as an address, get the
 * same class whether written as IPv4, IPv4-mapped, IPv4-compatible or NAT64.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>

#include "destpolicy.h"
#include "fuzz_util.h"

static void cidr_line(const char *s)
{
	struct cs_cidr c, again;
	const char *why;
	char text[INET6_ADDRSTRLEN + 8], addr[INET6_ADDRSTRLEN];

	if (cs_cidr_parse(s, &c, &why)) {
		CHECK(why && why[0]);
		return;
	}
	CHECK(c.bits <= 128);
	CHECK(cs_cidr_match(&c, c.addr));
	bool v4 = strchr(s, '.') && !strchr(s, ':');

	if (v4) {
		CHECK(c.bits >= 96);
		inet_ntop(AF_INET, c.addr + 12, addr, sizeof(addr));
		snprintf(text, sizeof(text), "%s/%u", addr, c.bits - 96);
	} else {
		inet_ntop(AF_INET6, c.addr, addr, sizeof(addr));
		snprintf(text, sizeof(text), "%s/%u", addr, c.bits);
	}
	CHECK(!cs_cidr_parse(text, &again, &why));
	CHECK(again.bits == c.bits && !memcmp(again.addr, c.addr, 16));
}

static void host_line(const char *s)
{
	char name[CS_CFG_STR + 8];

	if (!cs_host_pattern_valid(s))
		return;
	if (!strncmp(s, "*.", 2)) {
		snprintf(name, sizeof(name), "a%s", s + 1);
		CHECK(cs_host_pattern_match(s, name));
		CHECK(!cs_host_pattern_match(s, s + 2));
		return;
	}
	CHECK(cs_host_pattern_match(s, s));
	snprintf(name, sizeof(name), "%s", s);
	if (s[strlen(s) - 1] != '.') { /* the FQDN spelling is the same name */
		snprintf(name, sizeof(name), "%s.", s);
		CHECK(cs_host_pattern_match(s, name));
	}
	for (char *p = name; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	CHECK(cs_host_pattern_match(s, name));
}

/* Lines the config validator accepts as CIDRs are those the proxy's rules take. */
static void rules(const char *text)
{
	static struct cs_config cfg;
	struct cs_dest_rules r;
	char err[160], line[CS_CIDR_STR];
	const char *why;
	bool all_valid = true;
	struct cs_cidr tmp;

	memset(&cfg, 0, sizeof(cfg));
	for (const char *p = text; *p && cfg.n_allow_cidrs < CS_CFG_MAX_LIST;) {
		size_t n = strcspn(p, "\n");

		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			memcpy(cfg.allow_cidrs[cfg.n_allow_cidrs++], line, n + 1);
			all_valid &= !cs_cidr_parse(line, &tmp, &why);
		}
		p += n + (p[n] == '\n');
	}
	CHECK((cs_dest_rules_init(&r, &cfg, err, sizeof(err)) == 0) == all_valid);
}

static enum cs_dest_reason class_of(int family, const uint8_t *bytes)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	uint8_t a[16];

	if (family == AF_INET) {
		memcpy(&s4.sin_addr, bytes, 4);
		CHECK(cs_dest_normalise((struct sockaddr *)&s4, a));
	} else {
		memcpy(&s6.sin6_addr, bytes, 16);
		CHECK(cs_dest_normalise((struct sockaddr *)&s6, a));
	}
	return cs_dest_class(a);
}

static void classes(const uint8_t *p)
{
	uint8_t w[16] = {0};
	enum cs_dest_reason v4 = class_of(AF_INET, p);

	CHECK(v4 < CS_DEST_REASONS);
	class_of(AF_INET6, p);
	w[10] = w[11] = 0xff; /* mapped */
	memcpy(w + 12, p, 4);
	CHECK(class_of(AF_INET6, w) == v4);
	w[0] = 0, w[1] = 0x64, w[2] = 0xff, w[3] = 0x9b, w[10] = w[11] = 0; /* NAT64 */
	CHECK(class_of(AF_INET6, w) == v4);
	memset(w, 0, 12); /* compatible, except :: and ::1, which are IPv6's own */
	if (p[0] | p[1] | p[2] || p[3] > 1)
		CHECK(class_of(AF_INET6, w) == v4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strlen(line) < CS_CFG_STR) {
			cidr_line(line);
			host_line(line);
		}
	}
	memcpy(text, data, size);
	rules(text);
	if (size >= 16)
		classes(data);
	free(text);
	return 0;
}
