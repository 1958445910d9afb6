/* SPDX-License-Identifier: MIT */
/*
 * corpus_reader.h - load the benign corpus written by
 * scripts/gen-benign-corpus.js (generating it on first use) and walk its
 * records. Shared by test_benign_corpus.c; the benchmark has its own copy
 * of the walk because bench/ is built without the test tree.
 */
#ifndef CS_TEST_CORPUS_READER_H
#define CS_TEST_CORPUS_READER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct corpus_rec {
	char dir; /* '>' request (outbound) or '<' response (inbound) */
	unsigned long flow;
	const unsigned char *data;
	size_t len;
};

/* Path of the corpus: $CS_BENIGN_CORPUS, else <build>/benign-corpus.bin (generated). */
static inline int corpus_path(char *out, size_t cap)
{
	const char *env = getenv("CS_BENIGN_CORPUS");
	const char *bin = getenv("CS_BINARY_DIR");
	const char *src = getenv("CS_SOURCE_DIR");
	char cmd[8400], script[4096];
	struct stat co, sc;

	if (env && *env) {
		snprintf(out, cap, "%s", env);
		return 0;
	}
	snprintf(out, cap, "%s/benign-corpus.bin", bin && *bin ? bin : CS_BINARY_DIR);
	if (cap > 4096 || snprintf(script, sizeof(script), "%s/scripts/gen-benign-corpus.js",
				   src && *src ? src : CS_SOURCE_DIR) >= (int)sizeof(script))
		return -1;
	/* Reuse a generated corpus unless the generator changed since. */
	if (stat(out, &co) == 0 && stat(script, &sc) == 0 && co.st_mtime >= sc.st_mtime)
		return 0;
	snprintf(cmd, sizeof(cmd), "node '%s' '%s'", script, out);
	return system(cmd) == 0 ? 0 : -1;
}

static inline unsigned char *corpus_load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* Next record at *off; 1 when one was read, 0 at the end, -1 on a malformed file. */
static inline int corpus_next(const unsigned char *buf, size_t len, size_t *off,
			      struct corpus_rec *r)
{
	char line[64];
	size_t i = *off, k = 0;
	unsigned long long n;

	if (*off == 0) {
		if (len < 10 || memcmp(buf, "CSCORPUS1\n", 10) != 0)
			return -1;
		i = 10;
	}
	if (i >= len)
		return 0;
	while (i < len && buf[i] != '\n' && k + 1 < sizeof(line))
		line[k++] = (char)buf[i++];
	line[k] = '\0';
	if (i >= len || sscanf(line, "%c %lu %llu", &r->dir, &r->flow, &n) != 3 ||
	    (r->dir != '>' && r->dir != '<') || n > len - i - 1)
		return -1;
	r->data = buf + i + 1;
	r->len = (size_t)n;
	*off = i + 1 + (size_t)n;
	return 1;
}

#endif
