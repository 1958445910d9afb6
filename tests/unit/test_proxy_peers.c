/* SPDX-License-Identifier: MIT */
/* test_proxy_peers.c - per-client connection counts: the limit, release, IPv6 /64 keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "peers.h"

static struct cs_peer_key key_of(const char *ip)
{
	struct sockaddr_storage ss;
	struct cs_peer_key k;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
	}
	cs_peer_key((struct sockaddr *)&ss, &k);
	return k;
}

static void test_limit_and_release(void **state)
{
	struct cs_peers *t = cs_peers_new();
	struct cs_peer_key a = key_of("10.0.0.1"), b = key_of("10.0.0.2");

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < 3; i++)
		assert_true(cs_peers_take(t, &a, 3));
	assert_false(cs_peers_take(t, &a, 3)); /* a is full */
	assert_true(cs_peers_take(t, &b, 3));  /* b is not */
	cs_peers_release(t, &a);
	assert_true(cs_peers_take(t, &a, 3)); /* a slot came back */
	assert_false(cs_peers_take(t, &a, 3));
	for (int i = 0; i < 3; i++)
		cs_peers_release(t, &a);
	cs_peers_release(t, &b);
	assert_false(cs_peers_take(t, &a, 0)); /* no empty entry is kept (asan would see a leak) */
	cs_peers_free(t);
}

static void test_keys(void **state)
{
	struct cs_peer_key a, b;

	(void)state;
	a = key_of("2001:db8:1:2::1");
	b = key_of("2001:db8:1:2:ffff::9"); /* same /64: one client */
	assert_memory_equal(a.b, b.b, 16);
	b = key_of("2001:db8:1:3::1");
	assert_memory_not_equal(a.b, b.b, 16);
	a = key_of("10.0.0.1"); /* IPv4 keeps its whole address */
	b = key_of("10.0.0.2");
	assert_memory_not_equal(a.b, b.b, 16);
	b = key_of("::ffff:10.0.0.1"); /* the same client over a dual-stack socket */
	assert_memory_equal(a.b, b.b, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_and_release),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
