/* SPDX-License-Identifier: MIT */
/*
 * fuzz_env.h - set-up shared by the host-side fuzzers (config, IPC): a
 * private temp directory on tmpfs when there is one (fsync and rename stay
 * cheap per run), and an environment without NANOCLAW_TRAFFIC_GUARDIAN_*
 * overrides so only the input decides what the config says.
 */
#ifndef CS_FUZZ_ENV_H
#define CS_FUZZ_ENV_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_util.h"

extern char **environ;

/* Unset one matching variable per pass: unsetenv() reshuffles environ. */
static inline void fuzz_clear_env(void)
{
	bool found = true;

	while (found) {
		found = false;
		for (char **e = environ; *e; e++) {
			char name[256];
			size_t n = strcspn(*e, "=");

			if (strncmp(*e, CS_ENV_PREFIX, strlen(CS_ENV_PREFIX)) || n >= sizeof(name))
				continue;
			memcpy(name, *e, n);
			name[n] = '\0';
			CHECK(unsetenv(name) == 0);
			found = true;
			break;
		}
	}
}

/* mkdtemp() of /dev/shm/<tag>-XXXXXX (or /tmp), mode 0700, into dir. */
static inline void fuzz_temp_dir(const char *tag, char dir[PATH_MAX])
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(dir, PATH_MAX, "%s/%s-XXXXXX", base, tag);
	CHECK(mkdtemp(dir));
}

#endif
