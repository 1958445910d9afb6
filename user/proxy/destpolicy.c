/* SPDX-License-Identifier: MIT */
/* destpolicy.c - the proxy's destination policy (see destpolicy.h). */
#include "destpolicy.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const char *const reason_names[CS_DEST_REASONS] = {
	[CS_DEST_OK] = "ok",
	[CS_DEST_LOOPBACK] = "loopback",
	[CS_DEST_LINK_LOCAL] = "link-local",
	[CS_DEST_METADATA] = "metadata",
	[CS_DEST_UNSPECIFIED] = "unspecified",
	[CS_DEST_HOST_ADDRESS] = "host-address",
	[CS_DEST_PROXY_SELF] = "proxy-self",
	[CS_DEST_DENIED_HOST] = "denied-host",
	[CS_DEST_DENIED_CIDR] = "denied-cidr",
	[CS_DEST_CONNECT_PORT] = "connect-port",
};

const char *cs_dest_reason_name(enum cs_dest_reason r)
{
	return (unsigned)r < CS_DEST_REASONS ? reason_names[r] : "unknown";
}

static int parse_list(struct cs_cidr *out, size_t *n, const char (*list)[CS_CIDR_STR], size_t count,
		      char *err, size_t errlen)
{
	const char *why;

	*n = 0;
	for (size_t i = 0; i < count; i++) {
		if (cs_cidr_parse(list[i], &out[*n], &why)) {
			snprintf(err, errlen, "CIDR \"%s\": %s", list[i], why);
			return -1;
		}
		(*n)++;
	}
	return 0;
}

int cs_dest_rules_init(struct cs_dest_rules *r, const struct cs_config *cfg, char *err,
		       size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	if (parse_list(r->allow, &r->n_allow, cfg->allow_cidrs, cfg->n_allow_cidrs, err, errlen))
		return -1;
	return parse_list(r->deny, &r->n_deny, cfg->deny_cidrs, cfg->n_deny_cidrs, err, errlen);
}

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static const uint8_t nat64_prefix[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

static void set_v4(uint8_t out[16], const uint8_t v4[4])
{
	memcpy(out, v4_prefix, 12);
	memcpy(out + 12, v4, 4);
}

/* An IPv4 address carried inside an IPv6 one reaches that IPv4 address: judge it as such. */
static void unwrap_v6(uint8_t a[16])
{
	static const uint8_t zero[12];
	uint8_t v4[4];

	if (!memcmp(a, zero, 12) && (a[12] | a[13] | a[14] || a[15] > 1)) {
		memcpy(v4, a + 12, 4); /* IPv4-compatible ::a.b.c.d (not :: or ::1) */
		set_v4(a, v4);
	} else if (!memcmp(a, nat64_prefix, 12)) {
		memcpy(v4, a + 12, 4); /* NAT64 well-known prefix */
		set_v4(a, v4);
	} else if (a[0] == 0x20 && a[1] == 0x02) {
		memcpy(v4, a + 2, 4); /* 6to4 */
		set_v4(a, v4);
	}
}

bool cs_dest_normalise(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		set_v4(out, (const uint8_t *)&s4->sin_addr);
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	unwrap_v6(out);
	return true;
}

static enum cs_dest_reason class_v4(const uint8_t *a)
{
	if (a[0] == 127)
		return CS_DEST_LOOPBACK;
	if (a[0] == 0)
		return CS_DEST_UNSPECIFIED; /* 0.0.0.0/8 "this network": Linux connects it locally
					     */
	if (a[0] == 169 && a[1] == 254)
		return a[2] == 169 && a[3] == 254 ? CS_DEST_METADATA : CS_DEST_LINK_LOCAL;
	return CS_DEST_OK;
}

enum cs_dest_reason cs_dest_class(const uint8_t a[16])
{
	static const uint8_t any[16],
		ec2_metadata[16] = {0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54};
	static const uint8_t loop6[16] = {[15] = 1};

	if (!memcmp(a, v4_prefix, 12))
		return class_v4(a + 12);
	if (!memcmp(a, any, 16))
		return CS_DEST_UNSPECIFIED;
	if (!memcmp(a, loop6, 16))
		return CS_DEST_LOOPBACK;
	if (!memcmp(a, ec2_metadata, 16))
		return CS_DEST_METADATA;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return CS_DEST_LINK_LOCAL;
	return CS_DEST_OK;
}

static bool port_allowed(const struct cs_config *cfg, uint16_t port)
{
	if (port == 443)
		return true;
	for (size_t i = 0; i < cfg->n_connect_ports; i++)
		if (cfg->connect_ports[i] == port)
			return true;
	return false;
}

static bool host_listed(const char (*list)[CS_CFG_STR], size_t n, const char *host)
{
	for (size_t i = 0; i < n; i++)
		if (cs_host_pattern_match(list[i], host))
			return true;
	return false;
}

enum cs_dest_reason cs_dest_check_request(const struct cs_dest_rules *r, const char *host,
					  uint16_t port, bool connect)
{
	const struct cs_config *cfg = r->cfg;

	if (connect && !port_allowed(cfg, port))
		return CS_DEST_CONNECT_PORT;
	if (host_listed(cfg->deny_hosts, cfg->n_deny_hosts, host))
		return CS_DEST_DENIED_HOST;
	return CS_DEST_OK;
}

static bool cidr_listed(const struct cs_cidr *list, size_t n, const uint8_t a[16])
{
	for (size_t i = 0; i < n; i++)
		if (cs_cidr_match(&list[i], a))
			return true;
	return false;
}

static bool is_host_address(const struct cs_dest_local *l, const uint8_t a[16])
{
	for (size_t i = 0; i < l->n_addrs; i++)
		if (!memcmp(l->addrs[i], a, 16))
			return true;
	return false;
}

static uint16_t port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

/* Would this reach the proxy's own listener? A wildcard listener is on every local address. */
static bool is_self(const struct cs_dest_local *l, const uint8_t a[16], uint16_t port)
{
	if (!l->listen_port || port != l->listen_port)
		return false;
	if (!memcmp(l->listen, a, 16))
		return true;
	return l->listen_any && (cs_dest_class(a) == CS_DEST_LOOPBACK ||
				 cs_dest_class(a) == CS_DEST_UNSPECIFIED || is_host_address(l, a));
}

enum cs_dest_reason cs_dest_check_addr(const struct cs_dest_rules *r, const struct cs_dest_local *l,
				       const char *host, const struct sockaddr *sa)
{
	const struct cs_config *cfg = r->cfg;
	enum cs_dest_reason cls;
	uint8_t a[16];

	if (!cs_dest_normalise(sa, a))
		return CS_DEST_UNSPECIFIED;
	if (is_self(l, a, port_of(sa)))
		return CS_DEST_PROXY_SELF;
	if (cidr_listed(r->deny, r->n_deny, a))
		return CS_DEST_DENIED_CIDR;
	if (cidr_listed(r->allow, r->n_allow, a) ||
	    host_listed(cfg->allow_hosts, cfg->n_allow_hosts, host))
		return CS_DEST_OK;
	cls = cs_dest_class(a);
	if (cls != CS_DEST_OK)
		return cls;
	return is_host_address(l, a) ? CS_DEST_HOST_ADDRESS : CS_DEST_OK;
}
