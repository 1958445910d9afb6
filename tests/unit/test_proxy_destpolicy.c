/* SPDX-License-Identifier: MIT */
/*
 * test_proxy_destpolicy.c - the proxy's destination policy without traffic:
 * address classes (loopback, link-local, metadata, unspecified, private) in
 * every IPv4-in-IPv6 wrapping and numeric spelling, the lists, the CONNECT
 * ports, the proxy's own listener, and the config validation of the lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "destpolicy.h"
#include "fsutil.h"
#include "http_msg.h"
#include "netlist.h"

/* Resolve a numeric spelling exactly as the proxy's resolver would (getaddrinfo), no DNS. */
static struct sockaddr_storage addr_of(const char *host, uint16_t port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
	struct addrinfo *res = NULL;
	struct sockaddr_storage ss;
	char p[8];

	snprintf(p, sizeof(p), "%u", port);
	if (getaddrinfo(host, p, &hints, &res))
		fail_msg("getaddrinfo refused \"%s\"", host);
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return ss;
}

static enum cs_dest_reason class_of(const char *host)
{
	struct sockaddr_storage ss = addr_of(host, 80);
	uint8_t a[16];

	assert_true(cs_dest_normalise((struct sockaddr *)&ss, a));
	return cs_dest_class(a);
}

static void expect_class(const char *host, enum cs_dest_reason want)
{
	enum cs_dest_reason got = class_of(host);

	if (got != want)
		fail_msg("%s: got %s, want %s", host, cs_dest_reason_name(got),
			 cs_dest_reason_name(want));
}

static void test_classes(void **state)
{
	(void)state;
	expect_class("127.0.0.1", CS_DEST_LOOPBACK);
	expect_class("127.255.255.254", CS_DEST_LOOPBACK);
	expect_class("::1", CS_DEST_LOOPBACK);
	expect_class("169.254.169.254", CS_DEST_METADATA);
	expect_class("fd00:ec2::254", CS_DEST_METADATA);
	expect_class("169.254.0.1", CS_DEST_LINK_LOCAL);
	expect_class("169.254.255.255", CS_DEST_LINK_LOCAL);
	expect_class("fe80::1", CS_DEST_LINK_LOCAL);
	expect_class("febf:ffff::1", CS_DEST_LINK_LOCAL);
	expect_class("0.0.0.0", CS_DEST_UNSPECIFIED);
	expect_class("0.1.2.3", CS_DEST_UNSPECIFIED);
	expect_class("::", CS_DEST_UNSPECIFIED);
	/* private, public, documentation and neighbouring ranges are not refused by default */
	expect_class("10.0.0.1", CS_DEST_OK);
	expect_class("172.16.0.1", CS_DEST_OK);
	expect_class("192.168.1.1", CS_DEST_OK);
	expect_class("fc00::1", CS_DEST_OK);
	expect_class("fec0::1", CS_DEST_OK);
	expect_class("169.253.255.255", CS_DEST_OK);
	expect_class("128.0.0.1", CS_DEST_OK);
	expect_class("1.0.0.0", CS_DEST_OK);
	expect_class("2001:db8::1", CS_DEST_OK);
	expect_class("::2", CS_DEST_UNSPECIFIED); /* IPv4-compatible 0.0.0.2: "this network" */
}

static void test_ipv4_inside_ipv6(void **state)
{
	(void)state;
	expect_class("::ffff:127.0.0.1", CS_DEST_LOOPBACK);	  /* mapped */
	expect_class("::ffff:7f00:1", CS_DEST_LOOPBACK);	  /* mapped, hex */
	expect_class("::127.0.0.1", CS_DEST_LOOPBACK);		  /* compatible */
	expect_class("::ffff:169.254.169.254", CS_DEST_METADATA); /* mapped */
	expect_class("::169.254.169.254", CS_DEST_METADATA);	  /* compatible */
	expect_class("::ffff:0.0.0.0", CS_DEST_UNSPECIFIED);
	expect_class("64:ff9b::7f00:1", CS_DEST_LOOPBACK);	    /* NAT64 */
	expect_class("64:ff9b::169.254.169.254", CS_DEST_METADATA); /* NAT64 */
	expect_class("64:ff9b::a00:1", CS_DEST_OK);		    /* NAT64 of 10.0.0.1 */
	expect_class("2002:7f00:1::1", CS_DEST_LOOPBACK);	    /* 6to4 */
	expect_class("2002:a9fe:a9fe::", CS_DEST_METADATA);	    /* 6to4 */
	expect_class("::ffff:10.0.0.1", CS_DEST_OK);
}

/* The spellings getaddrinfo() accepts for 127.0.0.1 all land on loopback. */
static void test_numeric_spellings(void **state)
{
	static const char *const loop[] = {"2130706433", "0x7f.1",	 "0x7f000001",
					   "127.1",	 "017700000001", "0177.0.0.1"};

	(void)state;
	for (size_t i = 0; i < sizeof(loop) / sizeof(loop[0]); i++)
		expect_class(loop[i], CS_DEST_LOOPBACK);
	expect_class("0", CS_DEST_UNSPECIFIED);
	expect_class("2852039166", CS_DEST_METADATA); /* 169.254.169.254 */
	expect_class("0xa9.0xfe.0xa9.0xfe", CS_DEST_METADATA);

	/* The request parser passes those spellings on as the host, unchanged. */
	struct hm_request r;
	char out[512];
	size_t len;
	const char *req = "GET http://[::ffff:127.0.0.1]:8080/ HTTP/1.1\r\n\r\n";

	assert_int_equal(hm_parse_request(req, strlen(req), &r, out, sizeof(out), &len), 0);
	assert_string_equal(r.host, "::ffff:127.0.0.1");
	expect_class(r.host, CS_DEST_LOOPBACK);
	req = "CONNECT 0x7f.1:443 HTTP/1.1\r\n\r\n";
	assert_int_equal(hm_parse_request(req, strlen(req), &r, out, sizeof(out), &len), 0);
	expect_class(r.host, CS_DEST_LOOPBACK);
}

static void test_cidr_parse(void **state)
{
	static const char *const bad[] = {"",
					  "abc",
					  "10.0.0.1/8",
					  "10.0.0.0/33",
					  "10.0.0.0/",
					  "10.0.0.0/08",
					  "10.0.0.0/-1",
					  "127.1",
					  "0x7f.0.0.1",
					  "2130706433",
					  "2001:db8::/129",
					  "fe80::1/10",
					  "10.0.0.0/8/8",
					  "10.0.0.0 /8",
					  "[::1]",
					  "::1/1a"};
	struct cs_cidr c;
	const char *why;
	uint8_t a[16];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!cs_cidr_parse(bad[i], &c, &why))
			fail_msg("\"%s\" was accepted", bad[i]);
	assert_int_equal(cs_cidr_parse("10.0.0.1/8", &c, &why), -1);
	assert_non_null(strstr(why, "bits set"));

	assert_int_equal(cs_cidr_parse("10.0.0.0/8", &c, &why), 0);
	assert_int_equal(c.bits, 104);
	struct sockaddr_storage ss = addr_of("10.255.0.1", 1);

	assert_true(cs_dest_normalise((struct sockaddr *)&ss, a));
	assert_true(cs_cidr_match(&c, a));
	ss = addr_of("64:ff9b::a01:203", 1); /* NAT64 of 10.1.2.3 */
	assert_true(cs_dest_normalise((struct sockaddr *)&ss, a));
	assert_true(cs_cidr_match(&c, a));
	ss = addr_of("11.0.0.1", 1);
	assert_true(cs_dest_normalise((struct sockaddr *)&ss, a));
	assert_false(cs_cidr_match(&c, a));

	assert_int_equal(cs_cidr_parse("127.0.0.2", &c, &why), 0); /* one host */
	assert_int_equal(c.bits, 128);
	assert_int_equal(cs_cidr_parse("0.0.0.0/0", &c, &why), 0); /* every IPv4 address only */
	ss = addr_of("2001:db8::1", 1);
	assert_true(cs_dest_normalise((struct sockaddr *)&ss, a));
	assert_false(cs_cidr_match(&c, a));
	assert_int_equal(cs_cidr_parse("::/0", &c, &why), 0);
	assert_true(cs_cidr_match(&c, a));
	assert_int_equal(cs_cidr_parse("fe80::/10", &c, &why), 0);
	ss = addr_of("febf::1", 1);
	assert_true(cs_dest_normalise((struct sockaddr *)&ss, a));
	assert_true(cs_cidr_match(&c, a));
	ss = addr_of("fec0::1", 1);
	assert_true(cs_dest_normalise((struct sockaddr *)&ss, a));
	assert_false(cs_cidr_match(&c, a));
}

static void test_host_patterns(void **state)
{
	(void)state;
	assert_true(cs_host_pattern_valid("api.example.test"));
	assert_true(cs_host_pattern_valid("*.internal.test"));
	assert_false(cs_host_pattern_valid("*."));
	assert_false(cs_host_pattern_valid(""));
	assert_false(cs_host_pattern_valid("a b"));
	assert_false(cs_host_pattern_valid("a.*.test"));
	assert_true(cs_host_pattern_match("*.internal.test", "a.internal.test"));
	assert_true(cs_host_pattern_match("*.internal.test", "A.Internal.TEST."));
	assert_false(cs_host_pattern_match("*.internal.test", "internal.test"));
	assert_false(cs_host_pattern_match("*.internal.test", "xinternal.test"));
	assert_true(cs_host_pattern_match("metadata.test", "METADATA.test."));
	assert_false(cs_host_pattern_match("metadata.test", "metadata.test.."));
	assert_false(cs_host_pattern_match("metadata.test", "ametadata.test"));
	assert_true(cs_host_pattern_match("metadata.test.", "metadata.test"));
	assert_true(cs_host_pattern_match("*.internal.test.", "a.internal.test"));
}

/* A config with the given lists, as gen_new() makes the rules from it. */
static void rules_with(struct cs_config *cfg, struct cs_dest_rules *r, const char *allow,
		       const char *deny, const char *allow_host, const char *deny_host)
{
	char err[128];

	cs_config_defaults(cfg);
	if (allow)
		snprintf(cfg->allow_cidrs[cfg->n_allow_cidrs++], CS_CIDR_STR, "%s", allow);
	if (deny)
		snprintf(cfg->deny_cidrs[cfg->n_deny_cidrs++], CS_CIDR_STR, "%s", deny);
	if (allow_host)
		snprintf(cfg->allow_hosts[cfg->n_allow_hosts++], CS_CFG_STR, "%s", allow_host);
	if (deny_host)
		snprintf(cfg->deny_hosts[cfg->n_deny_hosts++], CS_CFG_STR, "%s", deny_host);
	assert_int_equal(cs_dest_rules_init(r, cfg, err, sizeof(err)), 0);
}

static enum cs_dest_reason check(const struct cs_dest_rules *r, const struct cs_dest_local *l,
				 const char *host, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss = addr_of(addr, port);

	return cs_dest_check_addr(r, l, host, (struct sockaddr *)&ss);
}

static void local_on(struct cs_dest_local *l, const char *listen, uint16_t port)
{
	struct sockaddr_storage ss = addr_of(listen, port);

	memset(l, 0, sizeof(*l));
	assert_true(cs_dest_normalise((struct sockaddr *)&ss, l->listen));
	l->listen_port = port;
	l->listen_any = cs_dest_class(l->listen) == CS_DEST_UNSPECIFIED;
	ss = addr_of("10.9.8.7", 0); /* an interface address of "the host" */
	assert_true(cs_dest_normalise((struct sockaddr *)&ss, l->addrs[l->n_addrs++]));
}

static void test_default_policy(void **state)
{
	struct cs_config *cfg = malloc(sizeof(*cfg));
	struct cs_dest_rules r;
	struct cs_dest_local l;

	(void)state;
	rules_with(cfg, &r, NULL, NULL, NULL, NULL);
	local_on(&l, "127.0.0.1", 10255);
	assert_int_equal(check(&r, &l, "x", "127.0.0.2", 80), CS_DEST_LOOPBACK);
	assert_int_equal(check(&r, &l, "x", "::ffff:127.0.0.1", 80), CS_DEST_LOOPBACK);
	assert_int_equal(check(&r, &l, "x", "2130706433", 80), CS_DEST_LOOPBACK);
	assert_int_equal(check(&r, &l, "x", "169.254.169.254", 80), CS_DEST_METADATA);
	assert_int_equal(check(&r, &l, "x", "fe80::1", 80), CS_DEST_LINK_LOCAL);
	assert_int_equal(check(&r, &l, "x", "0", 80), CS_DEST_UNSPECIFIED);
	assert_int_equal(check(&r, &l, "x", "10.9.8.7", 80), CS_DEST_HOST_ADDRESS);
	assert_int_equal(check(&r, &l, "x", "::ffff:10.9.8.7", 80), CS_DEST_HOST_ADDRESS);
	assert_int_equal(check(&r, &l, "x", "127.0.0.1", 10255), CS_DEST_PROXY_SELF);
	assert_int_equal(check(&r, &l, "x", "10.9.8.6", 80), CS_DEST_OK);
	assert_int_equal(check(&r, &l, "x", "192.168.0.1", 10255), CS_DEST_OK);
	assert_int_equal(check(&r, &l, "x", "2001:db8::1", 443), CS_DEST_OK);

	/* CONNECT: 443 always, other ports only when listed; plain HTTP any port. */
	assert_int_equal(cs_dest_check_request(&r, "a.test", 443, true), CS_DEST_OK);
	assert_int_equal(cs_dest_check_request(&r, "a.test", 22, true), CS_DEST_CONNECT_PORT);
	assert_int_equal(cs_dest_check_request(&r, "a.test", 22, false), CS_DEST_OK);
	cfg->connect_ports[cfg->n_connect_ports++] = 8443;
	assert_int_equal(cs_dest_check_request(&r, "a.test", 8443, true), CS_DEST_OK);
	assert_int_equal(cs_dest_check_request(&r, "a.test", 8444, true), CS_DEST_CONNECT_PORT);
	free(cfg);
}

static void test_lists(void **state)
{
	struct cs_config *cfg = malloc(sizeof(*cfg));
	struct cs_dest_rules r;
	struct cs_dest_local l;

	(void)state;
	/* An allowed loopback origin; the listener on the same address stays refused. */
	rules_with(cfg, &r, "127.0.0.1/32", NULL, NULL, NULL);
	local_on(&l, "127.0.0.1", 10255);
	assert_int_equal(check(&r, &l, "x", "127.0.0.1", 8080), CS_DEST_OK);
	assert_int_equal(check(&r, &l, "x", "0x7f.1", 8080), CS_DEST_OK);
	assert_int_equal(check(&r, &l, "x", "127.0.0.1", 10255), CS_DEST_PROXY_SELF);
	assert_int_equal(check(&r, &l, "x", "127.0.0.2", 8080), CS_DEST_LOOPBACK);

	/* deny_cidrs wins over allow_cidrs; deny_hosts is checked on the requested name. */
	rules_with(cfg, &r, "10.1.2.3", "10.0.0.0/8", NULL, "*.corp.test");
	assert_int_equal(check(&r, &l, "x", "10.1.2.3", 80), CS_DEST_DENIED_CIDR);
	assert_int_equal(check(&r, &l, "x", "64:ff9b::a01:203", 80), CS_DEST_DENIED_CIDR);
	assert_int_equal(check(&r, &l, "x", "11.1.2.3", 80), CS_DEST_OK);
	assert_int_equal(cs_dest_check_request(&r, "db.corp.test.", 80, false),
			 CS_DEST_DENIED_HOST);
	assert_int_equal(cs_dest_check_request(&r, "corp.test", 80, false), CS_DEST_OK);

	/* allow_hosts lifts the built-in classes for that name only. */
	rules_with(cfg, &r, NULL, NULL, "metadata.test", NULL);
	assert_int_equal(check(&r, &l, "metadata.test", "169.254.169.254", 80), CS_DEST_OK);
	assert_int_equal(check(&r, &l, "other.test", "169.254.169.254", 80), CS_DEST_METADATA);

	/* A wildcard listener is on every local address. */
	rules_with(cfg, &r, "10.9.8.7", NULL, NULL, NULL);
	local_on(&l, "::", 3128);
	assert_int_equal(check(&r, &l, "x", "10.9.8.7", 3128), CS_DEST_PROXY_SELF);
	assert_int_equal(check(&r, &l, "x", "127.0.0.5", 3128), CS_DEST_PROXY_SELF);
	assert_int_equal(check(&r, &l, "x", "10.9.8.7", 80), CS_DEST_OK);
	assert_int_equal(check(&r, &l, "x", "10.9.8.6", 3128), CS_DEST_OK);
	free(cfg);
}

static void test_reason_names(void **state)
{
	(void)state;
	for (int i = 0; i < CS_DEST_REASONS; i++) {
		const char *n = cs_dest_reason_name(i);

		assert_true(n[0]);
		for (const char *c = n; *c; c++) /* a header value token */
			assert_true((*c >= 'a' && *c <= 'z') || *c == '-');
	}
	assert_string_equal(cs_dest_reason_name(CS_DEST_LOOPBACK), "loopback");
}

/* check-config reports a bad list entry with its JSON path and why. */
static void test_config_validation(void **state)
{
	char dir[] = "/tmp/cs-test-destpolicy-XXXXXX", path[64], cmd[96];
	const char *text = "{\"proxy\":{\"allow_cidrs\":[\"127.0.0.1/32\",\"10.0.0.1/8\"],"
			   "\"deny_cidrs\":[\"nope\"],\"allow_hosts\":[\"a b\"],"
			   "\"deny_hosts\":[\"*.ok.test\",\"\"],\"connect_ports\":[0]}}";
	struct cs_config *cfg = malloc(sizeof(*cfg));
	struct cs_config_problems *p = malloc(sizeof(*p));
	static const char *const want[][2] = {
		{"$.proxy.allow_cidrs[1]", "bits set after the prefix"},
		{"$.proxy.deny_cidrs[0]", "IPv4 or IPv6 address"},
		{"$.proxy.allow_hosts[0]", "host name"},
		{"$.proxy.deny_hosts[1]", "host name"},
		{"$.proxy.connect_ports[0]", "out of range"},
	};

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv(CS_ENV_PREFIX "HOME", dir, 1);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	assert_int_equal(cs_write_file_atomic(path, text, strlen(text), 0600), 0);
	assert_int_equal(cs_config_load(path, cfg, p), -1);
	assert_int_equal(p->n, 5);
	for (size_t i = 0; i < 5; i++) {
		bool seen = false;

		for (size_t j = 0; j < p->n; j++)
			seen |= !strcmp(p->items[j].path, want[i][0]) &&
				strstr(p->items[j].reason, want[i][1]);
		if (!seen)
			fail_msg("no problem at %s with \"%s\"", want[i][0], want[i][1]);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cfg);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_ipv4_inside_ipv6),
		cmocka_unit_test(test_numeric_spellings),
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_host_patterns),
		cmocka_unit_test(test_default_policy),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_config_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
