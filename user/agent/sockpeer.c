/* SPDX-License-Identifier: MIT */
/* sockpeer.c - socket inode -> addresses through /proc/PID/net/tcp{,6}. */
#include "sockpeer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The kernel prints each 32-bit word of the address as %08X of its memory. */
static int parse_addr(const char *hex, size_t words, uint8_t *out, uint16_t *port)
{
	for (size_t i = 0; i < words; i++) {
		char w[9];
		uint32_t v;

		memcpy(w, hex + 8 * i, 8);
		w[8] = '\0';
		v = (uint32_t)strtoul(w, NULL, 16);
		memcpy(out + 4 * i, &v, 4);
	}
	if (hex[8 * words] != ':')
		return -1;
	*port = (uint16_t)strtoul(hex + 8 * words + 1, NULL, 16);
	return 0;
}

static int scan_table(uint32_t pid, const char *name, size_t words, unsigned long ino,
		      struct cs_sock_peer *out)
{
	char path[64], line[512], local[64], remote[64];
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/net/%s", pid, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (rc && fgets(line, sizeof(line), f)) {
		unsigned long this_ino;

		if (sscanf(line, " %*d: %63s %63s %*x %*x:%*x %*x:%*x %*x %*u %*u %lu", local,
			   remote, &this_ino) != 3 ||
		    this_ino != ino)
			continue;
		if (strlen(local) != 8 * words + 5 || strlen(remote) != 8 * words + 5)
			continue;
		memset(out, 0, sizeof(*out));
		out->family = words == 1 ? AF_INET : AF_INET6;
		if (!parse_addr(local, words, out->laddr, &out->lport) &&
		    !parse_addr(remote, words, out->raddr, &out->rport))
			rc = 0;
	}
	fclose(f);
	return rc;
}

int cs_sock_peer(uint32_t pid, int fd, struct cs_sock_peer *out)
{
	char path[64], link[64];
	ssize_t n;
	unsigned long ino;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/fd/%d", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = '\0';
	if (sscanf(link, "socket:[%lu]", &ino) != 1)
		return -1;
	if (scan_table(pid, "tcp", 1, ino, out) == 0)
		return 0;
	return scan_table(pid, "tcp6", 4, ino, out);
}
