/* SPDX-License-Identifier: MIT */
/* ca_path.c - the CA directory's privacy check (see ca_path.h). */
#include "ca_path.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "fsutil.h"

#define DOCKER_JSON_MAX (4u << 20)

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return -1;
}

/*
 * Absolute, symlink-free form of a path that may not exist yet: resolve the
 * longest existing prefix and append the rest.
 */
static int normalize(const char *path, char out[PATH_MAX])
{
	char tmp[PATH_MAX], rest[PATH_MAX] = "";
	char *slash;

	if (path[0] != '/' || strlen(path) >= sizeof(tmp))
		return -1;
	strcpy(tmp, path);
	while (!realpath(tmp, out)) {
		slash = strrchr(tmp, '/');
		if (!slash || errno != ENOENT)
			return -1;
		char seg[2 * PATH_MAX + 2];

		snprintf(seg, sizeof(seg), "/%s%s", slash + 1, rest);
		if (strlen(seg) >= sizeof(rest))
			return -1;
		strcpy(rest, seg);
		if (slash == tmp) {
			strcpy(tmp, "/");
			if (!realpath(tmp, out))
				return -1;
			break;
		}
		*slash = '\0';
	}
	if (strcmp(out, "/") == 0 && rest[0])
		out[0] = '\0';
	if (strlen(out) + strlen(rest) >= PATH_MAX)
		return -1;
	strcat(out, rest);
	return 0;
}

/* Is `dir` equal to or below `top`? Both normalized. */
static bool is_within(const char *dir, const char *top)
{
	size_t n = strlen(top);

	if (n == 1 && top[0] == '/')
		return true;
	while (n > 1 && top[n - 1] == '/')
		n--;
	return !strncmp(dir, top, n) && (dir[n] == '\0' || dir[n] == '/');
}

/*
 * Is dir inside the fixed part of an IPC root glob (the directory before its
 * first wildcard)? Every group directory, and whatever may become one, is there.
 */
static bool inside_glob_root(const char *dir, const char *glob)
{
	char top[PATH_MAX], n[PATH_MAX];
	size_t fixed = strcspn(glob, "*?[");
	char *slash;

	if (fixed >= sizeof(top))
		return false;
	memcpy(top, glob, fixed);
	top[fixed] = '\0';
	slash = strrchr(top, '/');
	if (!slash)
		return false;
	if (slash == top)
		slash[1] = '\0';
	else
		*slash = '\0';
	return !normalize(top, n) && is_within(dir, n);
}

static bool source_covers(const char *dir, const char *src)
{
	char n[PATH_MAX];

	return src && src[0] == '/' && !normalize(src, n) && is_within(dir, n);
}

/* Bind sources of one container: hostconfig.json Binds and config.v2.json MountPoints. */
static const char *docker_visible(const char *dir, const char *cdir, char *why, size_t whylen)
{
	static const char *files[] = {"hostconfig.json", "config.v2.json"};

	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX];
		size_t len;
		char *txt;
		cJSON *j, *it;
		const char *hit = NULL;

		if (snprintf(path, sizeof(path), "%s/%s", cdir, files[i]) >= (int)sizeof(path))
			continue;
		txt = cs_read_file(path, DOCKER_JSON_MAX, &len);
		if (!txt)
			continue;
		j = cJSON_ParseWithLength(txt, len);
		free(txt);
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "Binds")) {
			char src[PATH_MAX];

			if (!cJSON_IsString(it))
				continue;
			snprintf(src, sizeof(src), "%.*s", (int)strcspn(it->valuestring, ":"),
				 it->valuestring);
			if (source_covers(dir, src)) {
				snprintf(why, whylen, "%s", src);
				hit = why;
			}
		}
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "MountPoints")) {
			const cJSON *s = cJSON_GetObjectItem(it, "Source");

			if (cJSON_IsString(s) && source_covers(dir, s->valuestring)) {
				snprintf(why, whylen, "%s", s->valuestring);
				hit = why;
			}
		}
		cJSON_Delete(j);
		if (hit)
			return hit;
	}
	return NULL;
}

static int check_docker(const struct cs_config *c, const char *dir, char *err, size_t errlen)
{
	DIR *d = c->docker_containers_dir[0] ? opendir(c->docker_containers_dir) : NULL;
	struct dirent *e;
	char why[PATH_MAX];
	int rc = 0;

	if (!d)
		return 0; /* no Docker state readable here: nothing is bind-mounted */
	while (!rc && (e = readdir(d))) {
		char cdir[PATH_MAX];

		if (e->d_name[0] == '.' ||
		    snprintf(cdir, sizeof(cdir), "%s/%s", c->docker_containers_dir, e->d_name) >=
			    (int)sizeof(cdir))
			continue;
		if (docker_visible(dir, cdir, why, sizeof(why))) {
			snprintf(err, errlen,
				 "CA directory %s is visible to a Docker container (bind mount of "
				 "%s "
				 "in %s)",
				 dir, why, e->d_name);
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

/*
 * Whoever may write a directory on the way to the CA can rename it away and
 * put their own CA (or an empty directory we would fill) in its place, unless
 * the sticky bit stops them, as on /tmp. Checks every existing ancestor of
 * `dir`, as written (symlinks included) and resolved.
 */
static int check_parents(const char *dir, char *err, size_t errlen)
{
	char up[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(up, sizeof(up), "%s", dir);
	while ((slash = strrchr(up, '/'))) {
		if (slash == up)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (!stat(up, &st) && S_ISDIR(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    !(st.st_mode & S_ISVTX)) {
			snprintf(
				err, errlen,
				"CA directory %s: parent directory %s is writable by group or "
				"others without "
				"the sticky bit (mode %04o), so another user could replace the CA; "
				"use a CA directory whose parents are not",
				dir, up, (unsigned)(st.st_mode & 07777));
			return -1;
		}
		if (slash == up)
			break;
	}
	return 0;
}

int cs_ca_check_private(const struct cs_config *c, const char *dir, char *err, size_t errlen)
{
	char n[PATH_MAX], top[PATH_MAX];

	if (normalize(dir, n))
		return fail(err, errlen, "CA directory %s: not an absolute usable path", dir);
	if (check_parents(dir, err, errlen) || check_parents(n, err, errlen))
		return -1;
	for (size_t i = 0; i < c->n_ipc_roots; i++) {
		if (inside_glob_root(n, c->ipc_roots[i])) {
			snprintf(err, errlen,
				 "CA directory %s is inside an IPC root that containers can see "
				 "(%s)",
				 n, c->ipc_roots[i]);
			return -1;
		}
	}
	if (c->nanoclaw_dir[0] && !normalize(c->nanoclaw_dir, top) && is_within(n, top))
		return fail(
			err, errlen,
			"CA directory %s is inside the NanoClaw checkout (mounted into the main "
			"group's container)",
			n);
	return check_docker(c, n, err, errlen);
}
