/* SPDX-License-Identifier: MIT */
/*
 * destpolicy.h - where the proxy may connect. Decided on the address that
 * is actually passed to connect(), after resolution, so DNS rebinding and
 * the odd spellings of an address ("2130706433", "0x7f.1", "0",
 * "[::ffff:127.0.0.1]") reach the same verdict as "127.0.0.1".
 *
 * Pure: the caller supplies the host's interface addresses and the proxy's
 * own listener (struct cs_dest_local); nothing here does I/O.
 */
#ifndef CLAWSEC_PROXY_DESTPOLICY_H
#define CLAWSEC_PROXY_DESTPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "netlist.h"

/* Why a destination is refused; the names are the X-Clawsec-Refused values. */
enum cs_dest_reason {
	CS_DEST_OK = 0,
	CS_DEST_LOOPBACK,     /* 127.0.0.0/8, ::1 */
	CS_DEST_LINK_LOCAL,   /* 169.254.0.0/16, fe80::/10 */
	CS_DEST_METADATA,     /* 169.254.169.254, fd00:ec2::254: cloud instance metadata */
	CS_DEST_UNSPECIFIED,  /* 0.0.0.0/8, :: (connect() sends these to the host itself) */
	CS_DEST_HOST_ADDRESS, /* an address of one of the host's interfaces */
	CS_DEST_PROXY_SELF,   /* the proxy's own listener: a loop */
	CS_DEST_DENIED_HOST,  /* proxy.deny_hosts */
	CS_DEST_DENIED_CIDR,  /* proxy.deny_cidrs */
	CS_DEST_CONNECT_PORT, /* CONNECT to a port not in 443 + proxy.connect_ports */
	CS_DEST_REASONS,
};

const char *cs_dest_reason_name(enum cs_dest_reason r);

/* The config's lists, parsed once per configuration generation. */
struct cs_dest_rules {
	struct cs_cidr allow[CS_CFG_MAX_LIST], deny[CS_CFG_MAX_LIST];
	size_t n_allow, n_deny;
	const struct cs_config *cfg; /* host lists and ports; must outlive the rules */
};

/* 0, or -1 with err (a list entry the config validation should have refused). */
int cs_dest_rules_init(struct cs_dest_rules *r, const struct cs_config *cfg, char *err,
		       size_t errlen);

#define CS_DEST_LOCAL_MAX 256 /* addresses past this are not known as the host's */

/* The machine's side: refreshed by the proxy, read by the checks. */
struct cs_dest_local {
	uint8_t addrs[CS_DEST_LOCAL_MAX][16]; /* interface addresses, normalised */
	size_t n_addrs;
	uint8_t listen[16];   /* the proxy's listener, normalised */
	uint16_t listen_port; /* 0: unknown */
	bool listen_any;      /* bound to 0.0.0.0 or :: */
};

/*
 * The 16-byte form every check works on: IPv4 as ::ffff:a.b.c.d, and an
 * IPv4 address embedded in IPv6 (IPv4-compatible ::a.b.c.d, NAT64
 * 64:ff9b::/96, 6to4 2002:AABB:CCDD::/48) as that IPv4 address. false for a
 * family that is neither.
 */
bool cs_dest_normalise(const struct sockaddr *sa, uint8_t out[16]);
/* The built-in class of a normalised address: OK, LOOPBACK, LINK_LOCAL, METADATA, UNSPECIFIED. */
enum cs_dest_reason cs_dest_class(const uint8_t a[16]);

/* Before any connection: CONNECT port, then deny_hosts on the requested name. */
enum cs_dest_reason cs_dest_check_request(const struct cs_dest_rules *r, const char *host,
					  uint16_t port, bool connect);
/*
 * For one address about to be connected to (port included in sa): the
 * proxy's own listener, deny_cidrs, then allow_cidrs / allow_hosts (which
 * lift the built-in classes and the host's addresses, never the listener),
 * then the built-in classes and the host's interface addresses.
 */
enum cs_dest_reason cs_dest_check_addr(const struct cs_dest_rules *r, const struct cs_dest_local *l,
				       const char *host, const struct sockaddr *sa);

#endif
