// SPDX-License-Identifier: MIT
/*
 * finding.c - names, timestamps and the JSON form of a clawsec-traffic-finding/v1.
 *
 * The JSON form is the contract with every consumer (the JSONL log, the IPC
 * answers, the MCP tools), so the writer emits exactly the eleven schema
 * fields and the parser accepts nothing else: an unknown, missing, repeated
 * or mistyped field is an error with a reason, never a silent default.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "detector.h"
#include "errbuf.h"
#include "finding.h"
#include "fold.h"
#include "utf8.h"

static const char *const direction_names[] = {"outbound", "inbound"};
static const char *const threat_names[] = {"EXFIL", "INJECTION"};
static const char *const severity_names[] = {"low", "medium", "high", "critical"};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, unsigned v)
{
	return v < n ? names[v] : "unknown";
}

static int parse_name(const char *const *names, size_t n, const char *s, unsigned *out)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(s, names[i])) {
			*out = (unsigned)i;
			return 0;
		}
	}
	return -1;
}

const char *cs_direction_name(enum cs_direction d)
{
	return name_of(direction_names, N_ELEMS(direction_names), d);
}

const char *cs_threat_name(enum cs_threat t)
{
	return name_of(threat_names, N_ELEMS(threat_names), t);
}

const char *cs_severity_name(enum cs_severity s)
{
	return name_of(severity_names, N_ELEMS(severity_names), s);
}

int cs_direction_parse(const char *s, enum cs_direction *out)
{
	unsigned v;

	if (parse_name(direction_names, N_ELEMS(direction_names), s, &v))
		return -1;
	*out = (enum cs_direction)v;
	return 0;
}

int cs_threat_parse(const char *s, enum cs_threat *out)
{
	unsigned v;

	if (parse_name(threat_names, N_ELEMS(threat_names), s, &v))
		return -1;
	*out = (enum cs_threat)v;
	return 0;
}

int cs_severity_parse(const char *s, enum cs_severity *out)
{
	unsigned v;

	if (parse_name(severity_names, N_ELEMS(severity_names), s, &v))
		return -1;
	*out = (enum cs_severity)v;
	return 0;
}

uint64_t cs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void cs_format_timestamp(uint64_t epoch_ms, char out[CS_TIMESTAMP_LEN])
{
	time_t secs = (time_t)(epoch_ms / 1000u);
	unsigned ms = (unsigned)(epoch_ms % 1000u);
	struct tm tm;

	if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999 ||
	    strftime(out, CS_TIMESTAMP_LEN, "%Y-%m-%dT%H:%M:%S", &tm) != 19) {
		/* Out of the four-digit-year range: say so rather than print garbage. */
		memcpy(out, "9999-12-31T23:59:59.999Z", 25);
		return;
	}
	out[19] = '.';
	out[20] = (char)('0' + ms / 100);
	out[21] = (char)('0' + ms / 10 % 10);
	out[22] = (char)('0' + ms % 10);
	out[23] = 'Z';
	out[24] = '\0';
}

/* Reads exactly `n` decimal digits at s; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

int cs_parse_timestamp(const char *s, uint64_t *epoch_ms)
{
	/* YYYY-MM-DDTHH:MM:SS.mmmZ, 24 characters, nothing else accepted. */
	if (!s || strlen(s) != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != '.' || s[23] != 'Z')
		return -1;
	int year = digits(s, 4), mon = digits(s + 5, 2), day = digits(s + 8, 2);
	int hour = digits(s + 11, 2), min = digits(s + 14, 2), sec = digits(s + 17, 2);
	int ms = digits(s + 20, 3);

	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || hour < 0 || hour > 23 || min < 0 ||
	    min > 59 || sec < 0 || sec > 59 || ms < 0)
		return -1;
	if (day > days_in_month(year, mon))
		return -1;
	struct tm tm = {.tm_year = year - 1900,
			.tm_mon = mon - 1,
			.tm_mday = day,
			.tm_hour = hour,
			.tm_min = min,
			.tm_sec = sec};
	time_t t = timegm(&tm);

	if (t == (time_t)-1)
		return -1;
	*epoch_ms = (uint64_t)t * 1000u + (uint64_t)ms;
	return 0;
}

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		size_t l = cs_utf8_len(p + i, n - i);

		if (!l)
			return false;
		i += l;
	}
	return true;
}

/*
 * A field of a struct that promises valid UTF-8, copied so that it is valid
 * even if a producer broke the promise (each bad byte becomes U+FFFD): a
 * finding line must always be parseable JSON. Reads at most cap bytes.
 */
static char *utf8_clean(const char *s, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, cap);
	char *out = malloc(n * 3 + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t l = cs_utf8_len(p + i, n - i);

		if (l) {
			memcpy(out + o, p + i, l);
			o += l;
			i += l;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

static bool add_clean(cJSON *obj, const char *key, const char *s, size_t cap)
{
	char *clean = utf8_clean(s, cap);
	bool ok = clean && cJSON_AddStringToObject(obj, key, clean);

	free(clean);
	return ok;
}

struct cJSON *cs_finding_to_json(const struct cs_finding *f)
{
	char ts[CS_TIMESTAMP_LEN];
	cJSON *o;

	if (f->folded)
		return cs_fold_to_json(f);
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cs_format_timestamp(f->timestamp_ms, ts);
	if (!cJSON_AddStringToObject(o, "schema_version", CS_FINDING_SCHEMA) ||
	    !cJSON_AddStringToObject(o, "platform", CS_PLATFORM) ||
	    !cJSON_AddStringToObject(o, "direction", cs_direction_name(f->direction)) ||
	    !add_clean(o, "protocol", f->protocol, sizeof(f->protocol)) ||
	    !cJSON_AddStringToObject(o, "threat_type", cs_threat_name(f->threat)) ||
	    !add_clean(o, "pattern", f->pattern, sizeof(f->pattern)) ||
	    !cJSON_AddStringToObject(o, "severity", cs_severity_name(f->severity)) ||
	    !add_clean(o, "source", f->source, sizeof(f->source)) ||
	    !add_clean(o, "dest", f->dest, sizeof(f->dest)) ||
	    !add_clean(o, "snippet", f->snippet, sizeof(f->snippet)) ||
	    !cJSON_AddStringToObject(o, "timestamp", ts)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

char *cs_finding_to_line(const struct cs_finding *f)
{
	cJSON *o = cs_finding_to_json(f);
	char *line;

	if (!o)
		return NULL;
	line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return line;
}

/* The protocols a producer may name; docs/finding.schema.json lists the same. */
static const char *const protocol_names[] = {"http", "https", "tcp", "tls"};

enum field_id {
	F_SCHEMA,
	F_PLATFORM,
	F_DIRECTION,
	F_PROTOCOL,
	F_THREAT,
	F_PATTERN,
	F_SEVERITY,
	F_SOURCE,
	F_DEST,
	F_SNIPPET,
	F_TIMESTAMP,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"schema_version", "platform", "direction", "protocol", "threat_type", "pattern",
	"severity",	  "source",   "dest",	   "snippet",  "timestamp",
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cs_vset_err(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Every member once, every member a string of valid UTF-8, nothing unknown. */
static int collect_fields(const cJSON *obj, const char *vals[F_COUNT], char *err, size_t errlen)
{
	const cJSON *it;

	memset(vals, 0, sizeof(*vals) * F_COUNT);
	cJSON_ArrayForEach(it, obj) {
		unsigned id;

		if (parse_name(field_names, F_COUNT, it->string, &id))
			return fail(err, errlen, "unknown field \"%.64s\"", it->string);
		if (vals[id])
			return fail(err, errlen, "field \"%s\" appears twice", field_names[id]);
		if (!cJSON_IsString(it) || !it->valuestring)
			return fail(err, errlen, "field \"%s\" must be a string", field_names[id]);
		if (!utf8_valid(it->valuestring))
			return fail(err, errlen, "field \"%s\" is not valid UTF-8",
				    field_names[id]);
		vals[id] = it->valuestring;
	}
	for (unsigned i = 0; i < F_COUNT; i++)
		if (!vals[i])
			return fail(err, errlen, "missing field \"%s\"", field_names[i]);
	return 0;
}

static int copy_field(char *dst, size_t cap, const char *val, const char *name, bool allow_empty,
		      char *err, size_t errlen)
{
	size_t n = strlen(val);

	if (!n && !allow_empty)
		return fail(err, errlen, "field \"%s\" must not be empty", name);
	if (n >= cap)
		return fail(err, errlen, "field \"%s\" is longer than %zu bytes", name, cap - 1);
	memcpy(dst, val, n + 1);
	return 0;
}

static int check_enums(const char *vals[F_COUNT], struct cs_finding *out, char *err, size_t errlen)
{
	unsigned proto;

	if (strcmp(vals[F_SCHEMA], CS_FINDING_SCHEMA))
		return fail(err, errlen, "schema_version must be \"%s\"", CS_FINDING_SCHEMA);
	if (strcmp(vals[F_PLATFORM], CS_PLATFORM))
		return fail(err, errlen, "platform must be \"%s\"", CS_PLATFORM);
	if (cs_direction_parse(vals[F_DIRECTION], &out->direction))
		return fail(err, errlen, "direction must be \"outbound\" or \"inbound\"");
	if (cs_threat_parse(vals[F_THREAT], &out->threat))
		return fail(err, errlen, "threat_type must be \"EXFIL\" or \"INJECTION\"");
	if (cs_severity_parse(vals[F_SEVERITY], &out->severity))
		return fail(err, errlen, "severity must be low, medium, high or critical");
	if (parse_name(protocol_names, N_ELEMS(protocol_names), vals[F_PROTOCOL], &proto))
		return fail(err, errlen, "protocol must be http, https, tcp or tls");
	if (!cs_family_known(vals[F_PATTERN]))
		return fail(err, errlen, "pattern \"%.32s\" is not a known family id",
			    vals[F_PATTERN]);
	if (cs_parse_timestamp(vals[F_TIMESTAMP], &out->timestamp_ms))
		return fail(err, errlen,
			    "timestamp must be RFC 3339 UTC with milliseconds "
			    "(2026-04-26T00:00:00.000Z)");
	return 0;
}

int cs_finding_from_json(const struct cJSON *obj, struct cs_finding *out, char *err, size_t errlen)
{
	const char *vals[F_COUNT];
	struct cs_finding f;

	memset(&f, 0, sizeof(f));
	if (!cJSON_IsObject(obj))
		return fail(err, errlen, "a finding must be a JSON object");
	if (collect_fields(obj, vals, err, errlen) || check_enums(vals, &f, err, errlen))
		return -1;
	if (copy_field(f.protocol, sizeof(f.protocol), vals[F_PROTOCOL], "protocol", false, err,
		       errlen) ||
	    copy_field(f.pattern, sizeof(f.pattern), vals[F_PATTERN], "pattern", false, err,
		       errlen) ||
	    copy_field(f.source, sizeof(f.source), vals[F_SOURCE], "source", false, err, errlen) ||
	    copy_field(f.dest, sizeof(f.dest), vals[F_DEST], "dest", false, err, errlen) ||
	    copy_field(f.snippet, sizeof(f.snippet), vals[F_SNIPPET], "snippet", true, err, errlen))
		return -1;
	*out = f;
	return 0;
}
