// SPDX-License-Identifier: MIT
/*
 * bench_findings.c - what an operator would be told about benign NanoClaw
 * traffic (run by run-findings.sh).
 *
 *   bench_findings CORPUS OUT.json
 *
 * Feeds the corpus of bench/gen-nanoclaw-corpus.js through the whole
 * pipeline, one cs_flow per exchange with the dest taken from each
 * request's Host (as the capture sees it through the gateway's CONNECT),
 * with deduplication off so every finding counts, and prints the findings
 * per 1,000 messages by pattern and severity (table on stdout, JSON in
 * OUT). Not a speed measurement: the counts are exact and repeatable.
 * BENCH_VERBOSE=1 prints every finding of severity high or above.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector.h"

#define SEVERITIES 4

struct tally {
	unsigned long long by[64][SEVERITIES];
	unsigned long long sev[SEVERITIES];
	unsigned long long messages;
};

static void on_finding(void *ctx, const struct cs_finding *f)
{
	struct tally *t = ctx;

	for (size_t i = 0; i < cs_family_count() && i < 64; i++) {
		if (strcmp(cs_family_id(i), f->pattern) == 0)
			t->by[i][f->severity]++;
	}
	t->sev[f->severity]++;
	if (getenv("BENCH_VERBOSE") && f->severity >= (enum cs_severity)atoi(getenv("BENCH_VERBOSE")))
		fprintf(stderr, "%s %s/%s -> %s: %s\n", cs_severity_name(f->severity), f->pattern,
			f->rule, f->dest, f->snippet);
}

/* One record: "<dir> <flow> <len>\n" + len bytes; 1, 0 at the end, -1 on a bad file. */
static int next_record(FILE *in, char *dir, unsigned long *flow, char **buf, size_t *cap,
		       size_t *len)
{
	unsigned long long n;

	if (fscanf(in, "%c %lu %llu", dir, flow, &n) != 3 || fgetc(in) != '\n')
		return feof(in) ? 0 : -1;
	if (n > *cap) {
		char *b = realloc(*buf, n);

		if (!b)
			return -1;
		*buf = b;
		*cap = n;
	}
	*len = n;
	return fread(*buf, 1, n, in) == n ? 1 : -1;
}

static int run(struct cs_detector *d, FILE *in, struct tally *t)
{
	struct cs_flow_info info = {"node/4242", "unknown:0", "https", CS_FORMAT_HTTP};
	struct cs_flow *f = NULL;
	unsigned long flow, cur = 0;
	char dir, *buf = NULL;
	size_t cap = 0, len;
	int rc;

	while ((rc = next_record(in, &dir, &flow, &buf, &cap, &len)) == 1) {
		if (!f || flow != cur) {
			cs_flow_close(f);
			f = cs_flow_new(d, &info);
			if (!f || cs_flow_dest_from_host(f) < 0) {
				rc = -1;
				break;
			}
			cur = flow;
		}
		cs_flow_feed(f, dir == '>' ? CS_DIR_OUTBOUND : CS_DIR_INBOUND, buf, len);
		t->messages++;
	}
	cs_flow_close(f);
	free(buf);
	return rc;
}

static double per_k(const struct tally *t, unsigned long long n)
{
	return t->messages ? (double)n * 1000.0 / (double)t->messages : 0;
}

static void print_table(const struct tally *t)
{
	printf("findings per 1,000 benign messages (%llu messages)\n", t->messages);
	printf("%-18s %9s %9s %9s %9s\n", "pattern", "low", "medium", "high", "critical");
	for (size_t i = 0; i < cs_family_count() && i < 64; i++) {
		const unsigned long long *b = t->by[i];

		if (!(b[0] | b[1] | b[2] | b[3]))
			continue;
		printf("%-18s %9.1f %9.1f %9.1f %9.1f\n", cs_family_id(i), per_k(t, b[0]),
		       per_k(t, b[1]), per_k(t, b[2]), per_k(t, b[3]));
	}
	printf("%-18s %9.1f %9.1f %9.1f %9.1f\n", "all", per_k(t, t->sev[0]), per_k(t, t->sev[1]),
	       per_k(t, t->sev[2]), per_k(t, t->sev[3]));
}

static int write_json(const struct tally *t, const char *path)
{
	FILE *out = fopen(path, "w");
	const char *sep = "";

	if (!out)
		return -1;
	fprintf(out, "{\n  \"schema\": \"clawsec-bench-findings/v1\",\n  \"messages\": %llu,\n",
		t->messages);
	fprintf(out, "  \"per_1000_messages\": {");
	for (size_t i = 0; i < cs_family_count() && i < 64; i++) {
		const unsigned long long *b = t->by[i];

		if (!(b[0] | b[1] | b[2] | b[3]))
			continue;
		fprintf(out,
			"%s\n    \"%s\": {\"low\": %.2f, \"medium\": %.2f, \"high\": %.2f, "
			"\"critical\": %.2f}",
			sep, cs_family_id(i), per_k(t, b[0]), per_k(t, b[1]), per_k(t, b[2]),
			per_k(t, b[3]));
		sep = ",";
	}
	fprintf(out,
		"\n  },\n  \"all\": {\"low\": %.2f, \"medium\": %.2f, \"high\": %.2f, "
		"\"critical\": %.2f},\n",
		per_k(t, t->sev[0]), per_k(t, t->sev[1]), per_k(t, t->sev[2]), per_k(t, t->sev[3]));
	fprintf(out, "  \"goals\": {\"critical\": 0, \"high_max\": 2}\n}\n");
	return fclose(out) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct cs_detector_config cfg = {.dedup_window_ms = 0};
	static struct tally t;
	char err[256], magic[10];
	struct cs_detector *d;
	FILE *in;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CORPUS OUT.json\n", argv[0]);
		return 2;
	}
	in = fopen(argv[1], "rb");
	if (!in || fread(magic, 1, 10, in) != 10 || memcmp(magic, "CSCORPUS1\n", 10) != 0) {
		fprintf(stderr, "bench: %s is not a corpus\n", argv[1]);
		return 1;
	}
	d = cs_detector_new(&cfg, on_finding, &t, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	if (run(d, in, &t) < 0) {
		fprintf(stderr, "bench: bad corpus or out of memory\n");
		return 1;
	}
	fclose(in);
	cs_detector_free(d);
	print_table(&t);
	if (write_json(&t, argv[2]) < 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
