/* SPDX-License-Identifier: MIT */
/*
 * peers.h - open connections counted per client address, so that one client
 * cannot take every slot of proxy.max_conns (issue 9: 1,100 idle sockets
 * from one peer made the proxy refuse everyone else). IPv6 clients are
 * counted per /64, the block one host normally holds, so a container with
 * many IPv6 addresses is still one client. Loop thread only.
 */
#ifndef CLAWSEC_PROXY_PEERS_H
#define CLAWSEC_PROXY_PEERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct cs_peers;

/* The key a client is counted under: its normalised address, IPv6 cut to /64. */
struct cs_peer_key {
	uint8_t b[16];
};

struct cs_peers *cs_peers_new(void);
void cs_peers_free(struct cs_peers *t);
void cs_peer_key(const struct sockaddr *sa, struct cs_peer_key *k);
/*
 * One more connection for k; false (and nothing counted) when k already has
 * `limit` or memory is short. Entries live only while their count is
 * non-zero, so the table never holds more than the open connections.
 */
bool cs_peers_take(struct cs_peers *t, const struct cs_peer_key *k, uint32_t limit);
void cs_peers_release(struct cs_peers *t, const struct cs_peer_key *k);

#endif
