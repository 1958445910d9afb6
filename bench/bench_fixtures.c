// SPDX-License-Identifier: MIT
/*
 * bench_fixtures.c - credential recall on the shapes public secret
 * scanners test with (run by run-fixtures.sh).
 *
 *   bench_fixtures FIXTURES OUT.json
 *
 * Judges every fixture of bench/gen-credential-fixtures.js through the whole
 * pipeline (fixture_eval.h) and prints, per group, how many keys were found
 * (at the severity their kind asks for) and the highest severity reported
 * for each, and how many negatives were reported (false positives); the
 * same as JSON in OUT. Not a speed measurement: the counts
 * are exact and repeatable. BENCH_VERBOSE=1 prints every miss and false
 * positive.
 */
#include "fixture_eval.h"

static const char *const sev_names[4] = {"low", "medium", "high", "critical"};

static void print_table(const struct fx_tally *t)
{
	printf("%-20s %-18s %-5s %5s %5s %7s  %s\n", "group", "family", "class", "n", "found",
	       "recall", "highest severity reported (l/m/h/c)");
	for (size_t i = 0; i < t->n; i++) {
		const struct fx_group *g = &t->g[i];

		printf("%-20s %-18s %-5s %5u %5u %6.1f%%  %u/%u/%u/%u%s%s\n", g->name,
		       g->negative ? "(negative)" : g->family, g->cls, g->n, g->found,
		       fx_pct(g->found, g->n), g->sev[0], g->sev[1], g->sev[2], g->sev[3],
		       g->leaks ? "  LEAKS" : "", fx_group_meets_goal(g) ? "" : "  BELOW GOAL");
	}
	printf("true positives %u/%u found (%.1f%%), false positives %u/%u, leaks %u\n",
	       t->tp_found, t->tp, fx_pct(t->tp_found, t->tp), t->fp_found, t->fp, t->leaks);
}

static void write_group(FILE *out, const struct fx_group *g, const char *sep)
{
	fprintf(out,
		"%s\n    \"%s\": {\"family\": \"%s\", \"class\": \"%s\", \"n\": %u, "
		"\"found\": %u, \"recall_pct\": %.1f, \"meets_goal\": %s, \"leaks\": %u, "
		"\"severity\": {",
		sep, g->name, g->negative ? "" : g->family, g->cls, g->n, g->found,
		fx_pct(g->found, g->n), fx_group_meets_goal(g) ? "true" : "false", g->leaks);
	for (int s = 0; s < 4; s++)
		fprintf(out, "%s\"%s\": %u", s ? ", " : "", sev_names[s], g->sev[s]);
	fprintf(out, "}}");
}

static int write_json(const struct fx_tally *t, const char *path)
{
	FILE *out = fopen(path, "w");
	const char *sep = "";

	if (!out)
		return -1;
	fprintf(out, "{\n  \"schema\": \"clawsec-bench-fixtures/v1\",\n  \"groups\": {");
	for (size_t i = 0; i < t->n; i++, sep = ",")
		write_group(out, &t->g[i], sep);
	fprintf(out,
		"\n  },\n  \"true_positives\": %u,\n  \"true_positives_found\": %u,\n"
		"  \"negatives\": %u,\n  \"false_positives\": %u,\n  \"leaks\": %u,\n",
		t->tp, t->tp_found, t->fp, t->fp_found, t->leaks);
	fprintf(out, "  \"goals\": {\"ai_aws_pem_recall_pct\": 100, \"other_recall_pct_min\": 90, "
		     "\"false_positives\": 0, \"leaks\": 0}\n}\n");
	return fclose(out) == 0 ? 0 : -1;
}

static uint8_t *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	static struct fx_tally t;
	size_t len = 0;
	uint8_t *buf;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FIXTURES OUT.json\n", argv[0]);
		return 2;
	}
	buf = load(argv[1], &len);
	if (!buf || fx_evaluate(buf, len, &t, getenv("BENCH_VERBOSE") ? stderr : NULL) < 0) {
		fprintf(stderr, "bench: %s is not a fixture set, or out of memory\n", argv[1]);
		return 1;
	}
	free(buf);
	print_table(&t);
	if (write_json(&t, argv[2]) < 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
