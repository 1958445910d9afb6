/* SPDX-License-Identifier: MIT */
/* findings_cache.c - see findings_cache.h. */
#include "findings_cache.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "logstore.h"

struct slot {
	char log_dir[PATH_MAX];
	char group[65];
	struct cs_task q; /* only the query fields are compared */
	struct cs_fcache_sig sig;
	cJSON *res; /* NULL: empty slot */
	uint64_t used;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[CS_FCACHE_SLOTS];
static uint64_t tick, hits, misses;

static void sig_of(const char *log_dir, struct cs_fcache_sig *s)
{
	char path[PATH_MAX + 32];
	struct stat st;

	memset(s, 0, sizeof(*s));
	cs_logstore_path(log_dir, path, sizeof(path));
	if (!stat(path, &st)) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->size = st.st_size;
		s->mtime = st.st_mtim;
	}
	strncat(path, ".1", sizeof(path) - strlen(path) - 1);
	if (!stat(path, &st)) {
		s->ino1 = st.st_ino;
		s->size1 = st.st_size;
	}
}

static bool same_sig(const struct cs_fcache_sig *a, const struct cs_fcache_sig *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->ino1 == b->ino1 && a->size == b->size &&
	       a->size1 == b->size1 && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static bool same_query(const struct slot *s, const char *log_dir, const char *group,
		       const struct cs_task *t)
{
	return s->res && !strcmp(s->log_dir, log_dir) && !strcmp(s->group, group) &&
	       s->q.since_ms == t->since_ms && s->q.has_severity == t->has_severity &&
	       (!t->has_severity || s->q.severity == t->severity) &&
	       !strcmp(s->q.pattern, t->pattern) && s->q.limit == t->limit;
}

cJSON *cs_fcache_get(const char *log_dir, const char *group, const struct cs_task *t,
		     struct cs_fcache_sig *now)
{
	cJSON *copy = NULL;

	sig_of(log_dir, now);
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < CS_FCACHE_SLOTS && !copy; i++) {
		if (!same_query(&slots[i], log_dir, group, t) || !same_sig(&slots[i].sig, now))
			continue;
		copy = cJSON_Duplicate(slots[i].res, true);
		slots[i].used = ++tick;
	}
	if (copy)
		hits++;
	else
		misses++;
	pthread_mutex_unlock(&mu);
	return copy;
}

void cs_fcache_put(const char *log_dir, const char *group, const struct cs_task *t,
		   const struct cs_fcache_sig *sig, const cJSON *res)
{
	struct slot *victim = &slots[0];
	cJSON *copy = cJSON_Duplicate(res, true);

	if (!copy)
		return;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < CS_FCACHE_SLOTS; i++) {
		if (same_query(&slots[i], log_dir, group, t) || !slots[i].res) {
			victim = &slots[i];
			break;
		}
		if (slots[i].used < victim->used)
			victim = &slots[i];
	}
	cJSON_Delete(victim->res);
	snprintf(victim->log_dir, sizeof(victim->log_dir), "%s", log_dir);
	snprintf(victim->group, sizeof(victim->group), "%s", group);
	victim->q = *t;
	victim->sig = *sig;
	victim->res = copy;
	victim->used = ++tick;
	pthread_mutex_unlock(&mu);
}

void cs_fcache_counts(uint64_t *h, uint64_t *m)
{
	pthread_mutex_lock(&mu);
	*h = hits;
	*m = misses;
	pthread_mutex_unlock(&mu);
}
