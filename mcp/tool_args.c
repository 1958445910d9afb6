// SPDX-License-Identifier: MIT
/*
 * tool_args.c - argument checks for the MCP tools. Timestamps are accepted
 * in any RFC 3339 form and sent to the host in the one form the IPC
 * protocol allows: UTC with milliseconds.
 */
#include "tool_args.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Room for any formatted timestamp, as far as the compiler can tell. */
#define TS_LEN 64

__attribute__((format(printf, 3, 4))) static int reject(char *err, size_t errlen, const char *fmt,
							...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool two_digits(const char *s, int *out)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return false;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

/* "YYYY-MM-DDTHH:MM:SS" into tm, checked against the calendar; false if malformed. */
static bool parse_datetime(const char *s, struct tm *tm)
{
	int y1, y2, mo, d, h, mi, sec;
	struct tm check;
	time_t t;

	if (!two_digits(s, &y1) || !two_digits(s + 2, &y2) || s[4] != '-' ||
	    !two_digits(s + 5, &mo) || s[7] != '-' || !two_digits(s + 8, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !two_digits(s + 11, &h) || s[13] != ':' ||
	    !two_digits(s + 14, &mi) || s[16] != ':' || !two_digits(s + 17, &sec))
		return false;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y1 * 100 + y2 - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = sec;
	check = *tm;
	t = timegm(&check);
	gmtime_r(&t, &check);
	return check.tm_mday == d && check.tm_mon == mo - 1 && check.tm_hour == h &&
	       check.tm_min == mi && check.tm_sec == sec;
}

/* Fraction digits after '.', kept to milliseconds; returns chars consumed. */
static size_t parse_fraction(const char *s, int *ms)
{
	size_t n = 0;

	*ms = 0;
	if (*s != '.')
		return 0;
	while (isdigit((unsigned char)s[1 + n])) {
		if (n < 3)
			*ms = *ms * 10 + (s[1 + n] - '0');
		n++;
	}
	if (n == 0 || n > 9)
		return (size_t)-1;
	for (size_t i = n; i < 3; i++)
		*ms *= 10;
	return n + 1;
}

/* "Z" or "+HH:MM"/"-HH:MM": offset east of UTC in seconds; false if malformed. */
static bool parse_offset(const char *s, long *offset)
{
	int h, m;

	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*offset = 0;
		return true;
	}
	if ((s[0] != '+' && s[0] != '-') || !two_digits(s + 1, &h) || s[3] != ':' ||
	    !two_digits(s + 4, &m) || s[6] != '\0' || h > 23 || m > 59)
		return false;
	*offset = (s[0] == '-' ? -1 : 1) * (h * 3600L + m * 60L);
	return true;
}

/* Any RFC 3339 date-time into the protocol's UTC millisecond form. */
static bool normalise_timestamp(const char *in, char out[TS_LEN])
{
	struct tm tm;
	int ms;
	size_t frac;
	long offset;
	time_t t;

	if (strlen(in) < 20 || !parse_datetime(in, &tm))
		return false;
	frac = parse_fraction(in + 19, &ms);
	if (frac == (size_t)-1 || !parse_offset(in + 19 + frac, &offset))
		return false;
	t = timegm(&tm) - offset;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1970)
		return false;
	snprintf(out, TS_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return true;
}

static bool valid_family(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 31)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
			return false;
	}
	return true;
}

static bool valid_severity(const char *s)
{
	static const char *const names[] = {"low", "medium", "high", "critical"};

	for (size_t i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0)
			return true;
	}
	return false;
}

static bool known_filter(const char *key)
{
	return strcmp(key, "since") == 0 || strcmp(key, "severity") == 0 ||
	       strcmp(key, "pattern") == 0 || strcmp(key, "limit") == 0;
}

static int check_limit(const cJSON *arg, cJSON *out, char *err, size_t errlen)
{
	double v = arg->valuedouble;

	if (!cJSON_IsNumber(arg) || v < 1 || v > MCP_FINDINGS_LIMIT_MAX || v != (double)(int)v)
		return reject(err, errlen,
			      "invalid argument limit: must be an integer from 1 to %d",
			      MCP_FINDINGS_LIMIT_MAX);
	return cJSON_AddNumberToObject(out, "limit", v) ? 0 : reject(err, errlen, "%s", "");
}

/* Check one findings filter and copy it, normalised, into `out`. */
static int check_filter(const cJSON *arg, cJSON *out, char *err, size_t errlen)
{
	const char *key = arg->string;
	const char *v = arg->valuestring;
	char ts[TS_LEN];

	if (!known_filter(key))
		return reject(
			err, errlen,
			"unknown argument \"%.64s\" (allowed: since, severity, pattern, limit)",
			key);
	if (cJSON_HasObjectItem(out, key))
		return reject(err, errlen, "argument %.64s is given twice", key);
	if (strcmp(key, "limit") == 0)
		return check_limit(arg, out, err, errlen);
	if (!cJSON_IsString(arg))
		return reject(err, errlen, "invalid argument %.64s: must be a string", key);
	if (strcmp(key, "since") == 0) {
		if (!normalise_timestamp(v, ts))
			return reject(
				err, errlen,
				"invalid argument since: \"%.64s\" is not an RFC 3339 date-time "
				"such as 2026-11-24T00:00:00.000Z",
				v);
		v = ts;
	} else if (strcmp(key, "severity") == 0 && !valid_severity(v)) {
		return reject(err, errlen,
			      "invalid argument severity: \"%.64s\" is not one of low, medium, "
			      "high, critical",
			      v);
	} else if (strcmp(key, "pattern") == 0 && !valid_family(v)) {
		return reject(err, errlen,
			      "invalid argument pattern: \"%.64s\" is not a family id (lower case "
			      "letters, digits and _, at most 31)",
			      v);
	}
	return cJSON_AddStringToObject(out, key, v) ? 0 : reject(err, errlen, "%s", "");
}

static int check_each(const char *tool, bool filters, const cJSON *args, cJSON *out, char *err,
		      size_t errlen)
{
	const cJSON *arg;

	cJSON_ArrayForEach(arg, args) {
		if (!filters)
			return reject(err, errlen,
				      "unknown argument \"%.64s\": %s takes no arguments",
				      arg->string, tool);
		if (check_filter(arg, out, err, errlen) != 0)
			return -1;
	}
	if (filters && !cJSON_HasObjectItem(out, "limit") &&
	    !cJSON_AddNumberToObject(out, "limit", MCP_FINDINGS_LIMIT_DEFAULT))
		return reject(err, errlen, "%s", "");
	return 0;
}

int mcp_tool_args(const char *tool, bool filters, const cJSON *args, cJSON **out, char *err,
		  size_t errlen)
{
	*out = NULL;
	if (args && !cJSON_IsNull(args) && !cJSON_IsObject(args))
		return reject(err, errlen, "invalid arguments: must be an object");
	*out = cJSON_CreateObject();
	if (!*out)
		return reject(err, errlen, "%s", "");
	if (check_each(tool, filters, cJSON_IsObject(args) ? args : NULL, *out, err, errlen) != 0) {
		cJSON_Delete(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
