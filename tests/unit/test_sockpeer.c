/* SPDX-License-Identifier: MIT */
/* test_sockpeer.c - a socket's addresses from /proc, on real loopback sockets. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sockpeer.h"

/* A connected pair over loopback of `family`; returns the listener's port. */
static uint16_t connect_pair(int family, int *client, int *server)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = sizeof(ss);
	int l = socket(family, SOCK_STREAM, 0);

	assert_true(l >= 0);
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	assert_int_equal(bind(l, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&ss, &len), 0);
	*client = socket(family, SOCK_STREAM, 0);
	assert_int_equal(connect(*client, (struct sockaddr *)&ss, len), 0);
	*server = accept(l, NULL, NULL);
	assert_true(*server >= 0);
	close(l);
	return ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				       : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void test_ipv4_peer(void **state)
{
	int c, s;
	uint16_t port = connect_pair(AF_INET, &c, &s);
	struct cs_sock_peer p;
	const uint8_t lo[4] = {127, 0, 0, 1};

	(void)state;
	assert_int_equal(cs_sock_peer((uint32_t)getpid(), c, &p), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.rport, port);
	assert_memory_equal(p.raddr, lo, 4);
	/* The accepted side sees the client's port as its peer. */
	assert_int_equal(cs_sock_peer((uint32_t)getpid(), s, &p), 0);
	assert_int_equal(p.lport, port);
	close(c);
	close(s);
}

static void test_ipv6_peer(void **state)
{
	int c, s, probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct cs_sock_peer p;
	uint16_t port;

	(void)state;
	if (probe < 0)
		skip(); /* no IPv6 in this kernel */
	close(probe);
	port = connect_pair(AF_INET6, &c, &s);
	assert_int_equal(cs_sock_peer((uint32_t)getpid(), c, &p), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.rport, port);
	assert_memory_equal(p.raddr, &in6addr_loopback, 16);
	close(c);
	close(s);
}

static void test_not_a_socket(void **state)
{
	struct cs_sock_peer p;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(cs_sock_peer((uint32_t)getpid(), fds[0], &p), -1);
	assert_int_equal(cs_sock_peer((uint32_t)getpid(), 987654, &p), -1);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_peer),
		cmocka_unit_test(test_ipv6_peer),
		cmocka_unit_test(test_not_a_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
