// SPDX-License-Identifier: MIT
/*
 * bench_boringssl_find.c - what finding BoringSSL's AEAD functions costs
 * (run by run-boringssl-find.sh).
 *
 *   bench_boringssl_find OUT.json FILE...
 *
 * Per file: one scan with the file dropped from the page cache first
 * (POSIX_FADV_DONTNEED: what the first Bun process on a fresh host costs, when
 * the kernel honours it), the best of 3 scans with the file in the page cache
 * and the finder's cache empty (a new file, e.g. another Bun version), and the
 * mean of 1,000 cached answers (every later process of the same binary).
 * Table on stdout, JSON in OUT. Timings: noisy on a shared machine.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "boringssl_find.h"

#define WARM_RUNS 3
#define CACHED_RUNS 1000

struct row {
	const char *path;
	unsigned int fns, tables;
	char version[CS_BSSL_VERSION_MAX];
	double disk_ms, warm_ms, cached_us;
	int err;
};

static void drop_page_cache(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

static void measure(struct row *r)
{
	struct cs_boringssl_fns f;
	uint64_t total = 0;

	drop_page_cache(r->path);
	cs_boringssl_cache_clear();
	r->err = cs_boringssl_find(r->path, &f);
	if (r->err)
		return;
	r->disk_ms = (double)f.scan_us / 1000.0;
	r->fns = f.n_fns;
	r->tables = f.tables;
	snprintf(r->version, sizeof(r->version), "%s", f.version);
	r->warm_ms = 1e9;
	for (int i = 0; i < WARM_RUNS; i++) {
		cs_boringssl_cache_clear();
		if (!cs_boringssl_find(r->path, &f) && (double)f.scan_us / 1000.0 < r->warm_ms)
			r->warm_ms = (double)f.scan_us / 1000.0;
	}
	for (int i = 0; i < CACHED_RUNS; i++) {
		if (!cs_boringssl_find(r->path, &f))
			total += f.scan_us;
	}
	r->cached_us = (double)total / CACHED_RUNS;
}

static int write_json(const char *out, const struct row *rows, int n)
{
	FILE *f = fopen(out, "w");

	if (!f)
		return -1;
	fprintf(f, "{\n  \"bench\": \"boringssl_find\",\n  \"note\": \"2 vCPU shared machine, "
		   "noisy\",\n"
		   "  \"files\": [\n");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		fprintf(f,
			"    {\"path\": \"%s\", \"error\": %d, \"version\": \"%s\", \"functions\": "
			"%u, "
			"\"tables\": %u, \"disk_cold_ms\": %.1f, \"page_cache_ms\": %.1f, "
			"\"cached_us\": %.2f}%s\n",
			r->path, r->err, r->version, r->fns, r->tables, r->disk_ms, r->warm_ms,
			r->cached_us, i + 1 < n ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct row rows[16];
	int n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s OUT.json FILE...\n", argv[0]);
		return 2;
	}
	printf("%-8s %9s %6s %14s %16s %11s  %s\n", "version", "functions", "tables",
	       "disk cold ms", "page cache ms", "cached us", "file");
	for (int i = 2; i < argc && n < 16; i++, n++) {
		struct row *r = &rows[n];

		memset(r, 0, sizeof(*r));
		r->path = argv[i];
		measure(r);
		if (r->err) {
			printf("%-8s error %d  %s\n", "-", r->err, r->path);
			continue;
		}
		printf("%-8s %9u %6u %14.1f %16.1f %11.2f  %s\n", r->version[0] ? r->version : "-",
		       r->fns, r->tables, r->disk_ms, r->warm_ms, r->cached_us, r->path);
	}
	if (write_json(argv[1], rows, n)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
