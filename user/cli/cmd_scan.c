// SPDX-License-Identifier: MIT
/*
 * cmd_scan.c - `clawsec-traffic scan`: run the detector over captured streams.
 *
 * Each file holds the bytes of one direction of one connection as seen on
 * the wire (HTTP/1.x messages or raw bytes). It is fed through a detector
 * flow in read()-sized chunks, exactly as the live agent feeds it, so a scan
 * reproduces what the agent would have reported. stdout carries findings
 * only (JSONL, or a table with --table); everything else goes to stderr.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "detector.h"
#include "finding_table.h"

#define READ_CHUNK (64u << 10)
#define SNIFF_BYTES 16 /* enough to tell a request line from a status line */
#define TABLE_MAX 2000 /* findings kept for --table; the rest are counted */

enum scan_dir { DIR_AUTO, DIR_OUT, DIR_IN };

struct scan_opts {
	enum scan_dir dir;
	enum cs_format format;
	const char *dest;
	const char *source;
	size_t max_scan_bytes;
	bool table;
};

struct scan_out {
	bool table;
	bool write_failed;
	struct cs_finding *rows;
	size_t n_rows, n_dropped;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: clawsec-traffic scan [options] FILE...|-\n\n"
		"Scan captured traffic offline. Each FILE is the bytes of one direction of\n"
		"one connection as seen on the wire: HTTP/1.x messages or raw bytes (- is\n"
		"stdin). Findings go to stdout as JSONL (clawsec-traffic-finding/v1), one\n"
		"per line, already redacted; nothing else is written to stdout.\n\n"
		"options:\n"
		"  -d, --direction outbound|inbound|auto\n"
		"                   auto (default): a stream starting with a request line is\n"
		"                   outbound, one starting with a status line is inbound, and\n"
		"                   anything else is scanned in both directions\n"
		"  -f, --format auto|http|raw   framing (default auto: HTTP when it parses)\n"
		"      --dest HOST:PORT         remote side to report (default: the Host\n"
		"                               header or HTTP/2 :authority of each\n"
		"                               request, else unknown:0)\n"
		"      --source S               local side to report (default scan/<file>)\n"
		"      --max-scan-bytes N       decoded bytes scanned per message\n"
		"                               (default %u, at most %u)\n"
		"  -t, --table                  print a table for people instead of JSONL\n"
		"  -h, --help\n\n"
		"exit status: 0 whether or not anything was found, 1 on an I/O error,\n"
		"2 on bad usage.\n",
		CS_MAX_SCAN_BYTES_DEFAULT, CS_MAX_SCAN_BYTES_HARD);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "clawsec-traffic scan: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry `clawsec-traffic scan --help`.\n");
	return CS_EXIT_USAGE;
}

/* host:port with a non-empty host (brackets for IPv6) and a port 0..65535. */
static bool valid_dest(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || colon == s || strlen(s) > 255)
		return false;
	for (const char *p = s; p < colon; p++)
		if ((unsigned char)*p <= ' ' || *p == '/' || *p == 0x7f)
			return false;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return colon[1] && !*end && !errno && port >= 0 && port <= 65535;
}

static int parse_args(int argc, char **argv, struct scan_opts *o)
{
	static const struct option longopts[] = {
		{"direction", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'},
		{"dest", required_argument, NULL, 'D'},
		{"source", required_argument, NULL, 'S'},
		{"max-scan-bytes", required_argument, NULL, 'M'},
		{"table", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+d:f:th", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!strcmp(optarg, "outbound"))
				o->dir = DIR_OUT;
			else if (!strcmp(optarg, "inbound"))
				o->dir = DIR_IN;
			else if (!strcmp(optarg, "auto"))
				o->dir = DIR_AUTO;
			else
				return usage_error(
					"bad --direction '%s' (outbound, inbound or auto)", optarg);
			break;
		case 'f':
			if (!strcmp(optarg, "http"))
				o->format = CS_FORMAT_HTTP;
			else if (!strcmp(optarg, "raw"))
				o->format = CS_FORMAT_RAW;
			else if (!strcmp(optarg, "auto"))
				o->format = CS_FORMAT_AUTO;
			else
				return usage_error("bad --format '%s' (auto, http or raw)", optarg);
			break;
		case 'D':
			if (!valid_dest(optarg))
				return usage_error("bad --dest '%s' (HOST:PORT)", optarg);
			o->dest = optarg;
			break;
		case 'S':
			if (!*optarg || strlen(optarg) > 127)
				return usage_error("bad --source '%s' (1 to 127 bytes)", optarg);
			o->source = optarg;
			break;
		case 'M': {
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || !isdigit((unsigned char)optarg[0]) || v == 0 ||
			    v > CS_MAX_SCAN_BYTES_HARD)
				return usage_error("bad --max-scan-bytes '%s' (1 to 16777216)",
						   optarg);
			o->max_scan_bytes = (size_t)v;
			break;
		}
		case 't':
			o->table = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no FILE given (use - for stdin)");
	int stdin_uses = 0;
	for (int i = optind; i < argc; i++)
		stdin_uses += !strcmp(argv[i], "-");
	if (stdin_uses > 1)
		return usage_error("%s", "- (stdin) given more than once");
	return 0;
}

static void on_finding(void *ctx, const struct cs_finding *f)
{
	struct scan_out *out = ctx;
	char *line;

	if (out->table) {
		if (out->n_rows < TABLE_MAX)
			out->rows[out->n_rows++] = *f;
		else
			out->n_dropped++;
		return;
	}
	line = cs_finding_to_line(f);
	if (!line || fprintf(stdout, "%s\n", line) < 0)
		out->write_failed = true;
	free(line);
}

static bool starts_with_method(const char *b, size_t n)
{
	static const char *const methods[] = {"GET ",  "POST ",	   "PUT ",     "DELETE ", "PATCH ",
					      "HEAD ", "OPTIONS ", "CONNECT ", "TRACE ",  "PRI * "};

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t l = strlen(methods[i]);

		if (n >= l && !memcmp(b, methods[i], l))
			return true;
	}
	return false;
}

/* Read until SNIFF_BYTES are in or the stream ends; returns bytes read or -1. */
static ssize_t read_head(int fd, char *buf, size_t cap)
{
	size_t have = 0;

	while (have < SNIFF_BYTES) {
		ssize_t r = read(fd, buf + have, cap - have);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		have += (size_t)r;
	}
	return (ssize_t)have;
}

static void feed(struct cs_flow *flow, enum scan_dir dir, const char *buf, size_t n)
{
	if (dir != DIR_IN)
		cs_flow_feed(flow, CS_DIR_OUTBOUND, buf, n);
	if (dir != DIR_OUT)
		cs_flow_feed(flow, CS_DIR_INBOUND, buf, n);
}

static void default_source(const char *name, char *out, size_t cap)
{
	const char *base = strrchr(name, '/');

	if (!strcmp(name, "-"))
		snprintf(out, cap, "scan/stdin");
	else
		snprintf(out, cap, "scan/%.120s", base && base[1] ? base + 1 : name);
}

/* Scan one stream; 0, or -1 after reporting an I/O error on stderr. */
static int scan_stream(struct cs_detector *det, const struct scan_opts *o, const char *name,
		       char *buf)
{
	int fd = strcmp(name, "-") ? open(name, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	char source[128], dest[272];
	enum scan_dir dir = o->dir;
	ssize_t n;
	int rc = 0;

	if (fd < 0 || (n = read_head(fd, buf, READ_CHUNK)) < 0) {
		fprintf(stderr, "clawsec-traffic scan: %s: %s\n", name, strerror(errno));
		if (fd > STDIN_FILENO)
			close(fd);
		return -1;
	}
	bool request = starts_with_method(buf, (size_t)n);
	bool response = (size_t)n >= 5 && !memcmp(buf, "HTTP/", 5);

	if (dir == DIR_AUTO && (request || response))
		dir = request ? DIR_OUT : DIR_IN;
	if (o->source)
		snprintf(source, sizeof(source), "%s", o->source);
	else
		default_source(name, source, sizeof(source));
	if (o->dest)
		snprintf(dest, sizeof(dest), "%s", o->dest);
	else
		snprintf(dest, sizeof(dest), "unknown:0");

	struct cs_flow_info info = {
		.source = source,
		.dest = dest,
		.protocol = (request || response || o->format == CS_FORMAT_HTTP) &&
					    o->format != CS_FORMAT_RAW
				    ? "http"
				    : "tcp",
		.format = o->format,
	};
	struct cs_flow *flow = cs_flow_new(det, &info);

	/* Without --dest each request's Host (:authority) names its dest, set before it is scanned.
	 */
	if (flow && !o->dest && cs_flow_dest_from_host(flow) < 0) {
		cs_flow_close(flow);
		flow = NULL;
	}
	if (!flow) {
		fprintf(stderr, "clawsec-traffic scan: %s: out of memory\n", name);
		rc = -1;
		goto out;
	}
	while (n > 0) {
		feed(flow, dir, buf, (size_t)n);
		do {
			n = read(fd, buf, READ_CHUNK);
		} while (n < 0 && errno == EINTR);
	}
	if (n < 0) {
		fprintf(stderr, "clawsec-traffic scan: %s: %s\n", name, strerror(errno));
		rc = -1;
	}
	cs_flow_close(flow);
out:
	if (fd > STDIN_FILENO)
		close(fd);
	return rc;
}

static void summary(const struct cs_detector *det, int files, int failed)
{
	struct cs_detector_stats st;

	cs_detector_get_stats(det, &st);
	fprintf(stderr,
		"clawsec-traffic scan: %d stream(s)%s, %llu bytes in, %llu scanned, %llu not "
		"scanned (over max-scan-bytes), %llu decode errors, %llu finding(s), %llu "
		"duplicate(s) folded\n",
		files, failed ? " (some unreadable)" : "", (unsigned long long)st.bytes_in,
		(unsigned long long)st.bytes_scanned, (unsigned long long)st.bytes_unscanned,
		(unsigned long long)st.decode_errors, (unsigned long long)st.findings,
		(unsigned long long)st.findings_suppressed);
}

int cmd_scan(int argc, char **argv)
{
	struct scan_opts o = {.dir = DIR_AUTO, .format = CS_FORMAT_AUTO};
	struct scan_out out = {0};
	struct cs_detector_config cfg = {.dedup_window_ms = CS_DEDUP_WINDOW_DEFAULT_MS};
	struct cs_detector *det;
	char err[256], *buf;
	int rc = parse_args(argc, argv, &o), failed = 0;

	if (rc)
		return rc < 0 ? CS_EXIT_OK : rc;
	cfg.max_scan_bytes = o.max_scan_bytes;
	out.table = o.table;
	buf = malloc(READ_CHUNK);
	out.rows = o.table ? calloc(TABLE_MAX, sizeof(*out.rows)) : NULL;
	if (!buf || (o.table && !out.rows)) {
		fprintf(stderr, "clawsec-traffic scan: out of memory\n");
		free(buf);
		free(out.rows);
		return CS_EXIT_ERROR;
	}
	det = cs_detector_new(&cfg, on_finding, &out, err, sizeof(err));
	if (!det) {
		fprintf(stderr, "clawsec-traffic scan: detector: %s\n", err);
		free(buf);
		free(out.rows);
		return CS_EXIT_ERROR;
	}
	for (int i = optind; i < argc; i++)
		failed += scan_stream(det, &o, argv[i], buf) != 0;
	if (o.table) {
		if (cs_finding_table_print(stdout, out.rows, out.n_rows, cs_table_width(1)))
			out.write_failed = true;
		else if (!out.n_rows)
			printf("(no findings)\n");
		else if (out.n_dropped)
			printf("(%zu more findings not shown)\n", out.n_dropped);
	}
	if (fflush(stdout) || ferror(stdout))
		out.write_failed = true;
	summary(det, argc - optind, failed);
	cs_detector_free(det);
	free(buf);
	free(out.rows);
	if (out.write_failed)
		fprintf(stderr, "clawsec-traffic scan: writing to stdout failed\n");
	return failed || out.write_failed ? CS_EXIT_ERROR : CS_EXIT_OK;
}
