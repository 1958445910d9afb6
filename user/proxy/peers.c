/* SPDX-License-Identifier: MIT */
/* peers.c - per-client connection counts (see peers.h). */
#include "peers.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "destpolicy.h"

#define BUCKETS 1024 /* a power of two */

struct peer {
	struct peer *next;
	struct cs_peer_key k;
	uint32_t n;
};

struct cs_peers {
	struct peer *b[BUCKETS];
	uint64_t seed; /* clients choose their addresses: keep the buckets unpredictable */
};

struct cs_peers *cs_peers_new(void)
{
	struct cs_peers *t = calloc(1, sizeof(*t));

	if (t && getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t; /* no entropy yet: still not a fixed value */
	return t;
}

void cs_peers_free(struct cs_peers *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < BUCKETS; i++)
		while (t->b[i]) {
			struct peer *p = t->b[i];

			t->b[i] = p->next;
			free(p);
		}
	free(t);
}

void cs_peer_key(const struct sockaddr *sa, struct cs_peer_key *k)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	memset(k, 0, sizeof(*k));
	if (!cs_dest_normalise(sa, k->b))
		return; /* not IP: all such clients share one key */
	if (memcmp(k->b, mapped, sizeof(mapped)))
		memset(k->b + 8, 0, 8); /* IPv6: the /64 */
}

static struct peer **slot(struct cs_peers *t, const struct cs_peer_key *k)
{
	uint64_t h = t->seed ^ 0xcbf29ce484222325ull; /* FNV-1a, seeded */

	for (size_t i = 0; i < sizeof(k->b); i++)
		h = (h ^ k->b[i]) * 0x100000001b3ull;
	struct peer **pp = &t->b[(h ^ (h >> 32)) & (BUCKETS - 1)];

	while (*pp && memcmp((*pp)->k.b, k->b, sizeof(k->b)))
		pp = &(*pp)->next;
	return pp;
}

bool cs_peers_take(struct cs_peers *t, const struct cs_peer_key *k, uint32_t limit)
{
	struct peer **pp = slot(t, k);

	if (!*pp) {
		*pp = calloc(1, sizeof(**pp));
		if (!*pp)
			return false;
		(*pp)->k = *k;
	}
	if ((*pp)->n >= limit) {
		if (!(*pp)->n) { /* limit 0: do not keep an empty entry */
			struct peer *p = *pp;

			*pp = p->next;
			free(p);
		}
		return false;
	}
	(*pp)->n++;
	return true;
}

void cs_peers_release(struct cs_peers *t, const struct cs_peer_key *k)
{
	struct peer **pp = slot(t, k), *p = *pp;

	if (!p)
		return;
	if (--p->n)
		return;
	*pp = p->next;
	free(p);
}
