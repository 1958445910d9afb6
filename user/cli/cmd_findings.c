/* SPDX-License-Identifier: MIT */
/*
 * cmd_findings.c - `clawsec-traffic findings`: the operator's view of the
 * findings log, newest first, across rotated files, unfiltered by group.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_config.h"
#include "commands.h"
#include "finding_table.h"
#include "findings_follow.h"
#include "logstore.h"

#define PROG "clawsec-traffic findings"
#define LIMIT_DEFAULT 100
#define LIMIT_MAX 100000
#define HTML_LIMIT_DEFAULT 10000

static void usage(FILE *out)
{
	fprintf(out,
		"usage: clawsec-traffic findings [--config F] [--log-dir D] [--since T]\n"
		"                                [--severity S] [--pattern P] [--limit N] "
		"[--json]\n"
		"                                [--follow | --html FILE]\n\n"
		"Print logged findings, newest first (redacted, as stored).\n"
		"  --since T     RFC 3339 time (2026-01-01T00:00:00.000Z) or an age: 30s, 15m, 2h, "
		"7d\n"
		"  --severity S  minimum severity: low, medium, high, critical\n"
		"  --pattern P   only this family id (e.g. ai_api_key)\n"
		"  --limit N     at most N findings (default %d, at most %d)\n"
		"  --json        JSONL (one finding per line) instead of a table\n"
		"  --follow      the last %d, then each new finding and fold summary as it is\n"
		"                logged, across rotation (like journalctl -f); Ctrl-C ends it\n"
		"  --html FILE   write one self-contained HTML page (no external assets): a\n"
		"                timeline by severity, counts by pattern and destination, and a\n"
		"                filterable table (default limit %d)\n",
		LIMIT_DEFAULT, LIMIT_MAX, 10, HTML_LIMIT_DEFAULT);
}

/* An RFC 3339 timestamp, or an age relative to now. */
static int parse_since(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long n;
	uint64_t unit;

	if (!cs_parse_timestamp(s, out))
		return 0;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	n = strtoull(s, &end, 10);
	switch (*end) {
	case 's':
		unit = 1000;
		break;
	case 'm':
		unit = 60000;
		break;
	case 'h':
		unit = 3600000;
		break;
	case 'd':
		unit = 86400000;
		break;
	default:
		return -1;
	}
	if (end[1] || n > 36500ull * 86400000 / unit)
		return -1;
	*out = cs_now_ms() > n * unit ? cs_now_ms() - n * unit : 1;
	return 0;
}

struct sink {
	bool json;
	struct cs_finding *rows;
	size_t n;
};

static int emit(void *ctx, const struct cs_finding *f)
{
	struct sink *s = ctx;
	char *line;

	if (!s->json) {
		s->rows[s->n++] = *f;
		return 0;
	}
	line = cs_finding_to_line(f);
	if (!line)
		return 1;
	puts(line);
	free(line);
	return 0;
}

/* stderr, so that --json output stays a clean JSONL stream. */
static void report_malformed(void *ctx, const char *path, size_t n)
{
	(void)ctx;
	fprintf(stderr, PROG ": %zu unreadable line%s skipped in %s\n", n, n == 1 ? "" : "s", path);
}

/* A log directory that does not exist is a wrong path, not an empty log. */
static bool log_dir_exists(const char *dir)
{
	struct stat st;

	if (!stat(dir, &st) && S_ISDIR(st.st_mode))
		return true;
	fprintf(stderr, PROG ": no findings log at %s\n", dir);
	return false;
}

struct opts {
	const char *config, *log_dir, *html;
	struct cs_findings_query q;
	bool json, follow, limit_given;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"config", required_argument, NULL, 'c'},
		{"log-dir", required_argument, NULL, 'd'},
		{"since", required_argument, NULL, 's'},
		{"severity", required_argument, NULL, 'S'},
		{"pattern", required_argument, NULL, 'p'},
		{"limit", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"follow", no_argument, NULL, 'f'},
		{"html", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int opt;
	char *end;

	o->q.limit = LIMIT_DEFAULT;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:s:S:p:n:jfH:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'f':
			o->follow = true;
			break;
		case 'H':
			o->html = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			o->log_dir = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'p':
			o->q.pattern = optarg;
			break;
		case 's':
			if (parse_since(optarg, &o->q.since_ms))
				return fprintf(stderr, PROG ": bad --since '%s'\n", optarg), -1;
			break;
		case 'S':
			if (cs_severity_parse(optarg, &o->q.min_severity))
				return fprintf(stderr, PROG ": bad --severity '%s'\n", optarg), -1;
			o->q.has_min_severity = true;
			break;
		case 'n':
			o->q.limit = strtoul(optarg, &end, 10);
			if (*end || !o->q.limit || o->q.limit > LIMIT_MAX)
				return fprintf(stderr, PROG ": --limit must be 1..%d\n", LIMIT_MAX),
				       -1;
			o->limit_given = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	if (o->follow && o->html)
		return fprintf(stderr, PROG ": --follow and --html do not go together\n"), -1;
	if (o->html && !o->limit_given)
		o->q.limit = HTML_LIMIT_DEFAULT;
	return 0;
}

int cmd_findings(int argc, char **argv)
{
	struct opts o = {0};
	struct sink s = {0};
	struct cs_config *c = NULL;
	const char *dir;
	long n;
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc > 0 ? CS_EXIT_OK : CS_EXIT_USAGE;
	/* With --log-dir the config is not needed to read the log. */
	if (o.log_dir)
		dir = o.log_dir;
	else if ((c = cli_config_new(PROG, o.config)))
		dir = c->log_dir;
	else
		return CS_EXIT_ERROR;
	if (!log_dir_exists(dir)) {
		free(c);
		return CS_EXIT_ERROR;
	}
	o.q.malformed = report_malformed;
	if (o.follow || o.html) {
		rc = o.follow ? cs_findings_follow(dir, &o.q, o.json, cs_table_width(STDOUT_FILENO))
			      : cs_findings_html(dir, &o.q, o.html);
		free(c);
		return rc ? CS_EXIT_ERROR : CS_EXIT_OK;
	}
	s.json = o.json;
	if (!s.json && !(s.rows = calloc(o.q.limit, sizeof(*s.rows)))) {
		fprintf(stderr, PROG ": out of memory\n");
		free(c);
		return CS_EXIT_ERROR;
	}
	n = cs_logstore_query(dir, &o.q, emit, &s, NULL);
	if (n < 0)
		fprintf(stderr, PROG ": cannot read the findings in %s: %s\n", dir,
			strerror((int)-n));
	else if (!s.json &&
		 cs_finding_table_print(stdout, s.rows, s.n, cs_table_width(STDOUT_FILENO)))
		n = -1;
	free(s.rows);
	free(c);
	return n < 0 || fflush(stdout) ? CS_EXIT_ERROR : CS_EXIT_OK;
}
