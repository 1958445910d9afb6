/* SPDX-License-Identifier: MIT */
/*
 * sockpeer.h - the remote address of a process's TCP socket, from /proc.
 *
 * Used when the capture saw data on a socket whose connect()/accept() came
 * before the agent attached: /proc/PID/fd/FD names the socket inode, and
 * /proc/PID/net/tcp{,6} (the process's own network namespace) maps it to
 * its addresses.
 */
#ifndef CLAWSEC_SOCKPEER_H
#define CLAWSEC_SOCKPEER_H

#include <stdint.h>

struct cs_sock_peer {
	uint16_t family;       /* AF_INET / AF_INET6 */
	uint16_t lport, rport; /* host byte order */
	uint8_t laddr[16], raddr[16];
};

/* 0 and the addresses, or -1 when fd is not a TCP socket of pid (or gone). */
int cs_sock_peer(uint32_t pid, int fd, struct cs_sock_peer *out);

#endif
