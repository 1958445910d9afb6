/* SPDX-License-Identifier: MIT */
/* procstat.c - /proc stat fields and the monotonic clock (procstat.h). */
#include "procstat.h"

#include <string.h>
#include <time.h>

const char *cs_procstat_field(const char *stat, int n)
{
	const char *p = strrchr(stat, ')');

	if (!p || n < 3 || p[1] != ' ')
		return NULL;
	p += 2; /* field 3 */
	for (int f = 3; f < n; f++) {
		p = strchr(p, ' ');
		if (!p)
			return NULL;
		p++;
	}
	return *p ? p : NULL;
}

uint64_t cs_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
