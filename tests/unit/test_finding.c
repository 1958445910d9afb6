// SPDX-License-Identifier: MIT
/*
 * test_finding.c - the clawsec-traffic-finding/v1 JSON form: emitted findings
 * validate against docs/finding.schema.json, survive a round trip, and the
 * strict parser and the schema both refuse every malformed record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "detector.h"
#include "finding.h"
#include "schema_check.h"

static cJSON *schema;

static int load_schema(void **state)
{
	char err[256];

	(void)state;
	schema = cs_schema_load(CS_SOURCE_DIR "/docs/finding.schema.json", err, sizeof(err));
	if (!schema)
		fprintf(stderr, "%s\n", err);
	return schema ? 0 : -1;
}

static int free_schema(void **state)
{
	(void)state;
	cJSON_Delete(schema);
	return 0;
}

static struct cs_finding sample(void)
{
	struct cs_finding f;

	memset(&f, 0, sizeof(f));
	f.direction = CS_DIR_OUTBOUND;
	f.threat = CS_THREAT_EXFIL;
	f.severity = CS_SEV_CRITICAL;
	snprintf(f.protocol, sizeof(f.protocol), "https");
	snprintf(f.pattern, sizeof(f.pattern), "ai_api_key");
	snprintf(f.rule, sizeof(f.rule), "anthropic_api03");
	snprintf(f.source, sizeof(f.source), "nanoclaw-main-1777161600000/node/4242");
	snprintf(f.dest, sizeof(f.dest), "api.anthropic.com:443");
	snprintf(f.snippet, sizeof(f.snippet), "x-api-key: sk-a…[REDACTED]\r\ncontent-type");
	f.timestamp_ms = 1777161600123ull;
	f.fingerprint = 0x1234;
	return f;
}

static void assert_valid(const cJSON *doc)
{
	char err[512];

	if (cs_schema_check(schema, doc, err, sizeof(err)))
		fail_msg("schema rejected a finding: %s", err);
}

static void test_timestamp_format(void **state)
{
	char ts[CS_TIMESTAMP_LEN];

	(void)state;
	cs_format_timestamp(0, ts);
	assert_string_equal(ts, "1970-01-01T00:00:00.000Z");
	cs_format_timestamp(1777161600000ull, ts);
	assert_string_equal(ts, "2026-04-26T00:00:00.000Z");
	cs_format_timestamp(1709251199007ull, ts); /* leap day, last second */
	assert_string_equal(ts, "2024-02-29T23:59:59.007Z");
}

static void test_timestamp_parse(void **state)
{
	static const char *const bad[] = {
		"2026-04-26T00:00:00Z",	     "2026-04-26T00:00:00.000+00:00",
		"2026-04-26T00:00:00.000z",  "2026-04-26 00:00:00.000Z",
		"2026-02-30T00:00:00.000Z",  "2025-02-29T00:00:00.000Z",
		"2026-13-01T00:00:00.000Z",  "2026-04-26T24:00:00.000Z",
		"2026-04-26T00:60:00.000Z",  "2026-04-26T00:00:60.000Z",
		"2026-04-26T00:00:00.000Z ", "2026-04-26T00:00:00.0000Z",
		"2026-4-26T00:00:00.000Z",   "1969-12-31T23:59:59.999Z",
		"2026-04-26T00:00:00.-00Z",  "",
	};
	uint64_t ms;

	(void)state;
	assert_int_equal(cs_parse_timestamp("2026-04-26T00:00:00.123Z", &ms), 0);
	assert_int_equal(ms, 1777161600123ull);
	assert_int_equal(cs_parse_timestamp("2024-02-29T23:59:59.007Z", &ms), 0);
	assert_int_equal(ms, 1709251199007ull);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cs_parse_timestamp(bad[i], &ms) == 0)
			fail_msg("accepted bad timestamp \"%s\"", bad[i]);
	assert_int_equal(cs_parse_timestamp(NULL, &ms), -1);
}

static void test_names(void **state)
{
	enum cs_severity s;
	enum cs_direction d;
	enum cs_threat t;

	(void)state;
	assert_string_equal(cs_severity_name(CS_SEV_HIGH), "high");
	assert_string_equal(cs_direction_name(CS_DIR_INBOUND), "inbound");
	assert_string_equal(cs_threat_name(CS_THREAT_INJECTION), "INJECTION");
	assert_int_equal(cs_severity_parse("critical", &s), 0);
	assert_int_equal(s, CS_SEV_CRITICAL);
	assert_int_equal(cs_severity_parse("High", &s), -1);
	assert_int_equal(cs_direction_parse("outbound", &d), 0);
	assert_int_equal(d, CS_DIR_OUTBOUND);
	assert_int_equal(cs_threat_parse("exfil", &t), -1);
}

/* Exactly the eleven schema fields, all strings, and the schema agrees. */
static void test_to_json_fields(void **state)
{
	struct cs_finding f = sample();
	cJSON *o = cs_finding_to_json(&f);
	const cJSON *it;
	int n = 0;

	(void)state;
	assert_non_null(o);
	cJSON_ArrayForEach(it, o) {
		assert_true(cJSON_IsString(it));
		n++;
	}
	assert_int_equal(n, 11);
	assert_string_equal(cJSON_GetObjectItem(o, "schema_version")->valuestring,
			    "clawsec-traffic-finding/v1");
	assert_string_equal(cJSON_GetObjectItem(o, "platform")->valuestring, "nanoclaw");
	assert_string_equal(cJSON_GetObjectItem(o, "threat_type")->valuestring, "EXFIL");
	assert_string_equal(cJSON_GetObjectItem(o, "severity")->valuestring, "critical");
	assert_string_equal(cJSON_GetObjectItem(o, "timestamp")->valuestring,
			    "2026-04-26T00:00:00.123Z");
	assert_null(cJSON_GetObjectItem(o, "rule"));
	assert_null(cJSON_GetObjectItem(o, "fingerprint"));
	assert_valid(o);
	cJSON_Delete(o);
}

static void test_round_trip(void **state)
{
	struct cs_finding f = sample(), g;
	char err[256];

	(void)state;
	/* Quotes, backslashes, control bytes and non-ASCII must all survive. */
	snprintf(f.snippet, sizeof(f.snippet), "a\"b\\c\x01\t\n\x7f é → [REDACTED]");
	f.direction = CS_DIR_INBOUND;
	f.threat = CS_THREAT_INJECTION;
	f.severity = CS_SEV_LOW;
	char *line = cs_finding_to_line(&f);
	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	cJSON *o = cJSON_Parse(line);
	assert_non_null(o);
	assert_valid(o);
	assert_int_equal(cs_finding_from_json(o, &g, err, sizeof(err)), 0);
	assert_int_equal(g.direction, f.direction);
	assert_int_equal(g.threat, f.threat);
	assert_int_equal(g.severity, f.severity);
	assert_string_equal(g.protocol, f.protocol);
	assert_string_equal(g.pattern, f.pattern);
	assert_string_equal(g.source, f.source);
	assert_string_equal(g.dest, f.dest);
	assert_string_equal(g.snippet, f.snippet);
	assert_int_equal(g.timestamp_ms, f.timestamp_ms);
	cJSON_Delete(o);
	free(line);
}

/* A producer that breaks the UTF-8 promise still yields a valid line. */
static void test_invalid_utf8_replaced(void **state)
{
	struct cs_finding f = sample(), g;
	char err[256];

	(void)state;
	snprintf(f.snippet, sizeof(f.snippet), "bad \xff\xfe and cut \xe2\x82");
	snprintf(f.source, sizeof(f.source), "\xc0\xafroot/1");
	char *line = cs_finding_to_line(&f);
	cJSON *o = cJSON_Parse(line);

	assert_non_null(o);
	assert_valid(o);
	assert_int_equal(cs_finding_from_json(o, &g, err, sizeof(err)), 0);
	assert_string_equal(g.snippet,
			    "bad \xef\xbf\xbd\xef\xbf\xbd and cut \xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(g.source, "\xef\xbf\xbd\xef\xbf\xbdroot/1");
	cJSON_Delete(o);
	free(line);
}

/* Every registry family is in the schema's enum and nothing else is. */
static void test_schema_patterns_match_registry(void **state)
{
	const cJSON *e = cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(schema, "properties"), "pattern"), "enum");
	const cJSON *it;

	(void)state;
	assert_non_null(e);
	assert_int_equal((size_t)cJSON_GetArraySize(e), cs_family_count());
	cJSON_ArrayForEach(it, e) {
		if (!cs_family_known(it->valuestring))
			fail_msg("schema names family %s the registry does not know",
				 it->valuestring);
	}
}

struct bad_case {
	const char *field; /* field to change, or NULL */
	const char *json;  /* its new raw JSON value; NULL removes the field */
	const char *why;   /* expected substring of the parser's error */
};

static const struct bad_case bad_cases[] = {
	{"schema_version", "\"clawsec-traffic-finding/v2\"", "schema_version"},
	{"platform", "\"openclaw\"", "platform"},
	{"direction", "\"sideways\"", "direction"},
	{"protocol", "\"gopher\"", "protocol"},
	{"threat_type", "\"exfil\"", "threat_type"},
	{"pattern", "\"no_such_family\"", "pattern"},
	{"severity", "\"urgent\"", "severity"},
	{"severity", "3", "must be a string"},
	{"source", "\"\"", "must not be empty"},
	{"source", "null", "must be a string"},
	{"dest", "\"\"", "must not be empty"},
	{"snippet", "[\"x\"]", "must be a string"},
	{"timestamp", "\"2026-04-26T00:00:00Z\"", "timestamp"},
	{"timestamp", "1777161600000", "must be a string"},
	{"timestamp", NULL, "missing field \"timestamp\""},
	{"pattern", NULL, "missing field \"pattern\""},
	{"extra", "\"x\"", "unknown field \"extra\""},
	{"rule", "\"anthropic_api03\"", "unknown field \"rule\""},
};

static cJSON *mutated(const struct bad_case *b)
{
	struct cs_finding f = sample();
	cJSON *o = cs_finding_to_json(&f);

	cJSON_DeleteItemFromObjectCaseSensitive(o, b->field);
	if (b->json)
		cJSON_AddItemToObject(o, b->field, cJSON_Parse(b->json));
	return o;
}

static void test_bad_records(void **state)
{
	char err[256], serr[512];
	struct cs_finding g;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		cJSON *o = mutated(&bad_cases[i]);

		if (cs_finding_from_json(o, &g, err, sizeof(err)) == 0)
			fail_msg("parser accepted case %zu (%s)", i, bad_cases[i].field);
		if (!strstr(err, bad_cases[i].why))
			fail_msg("case %zu: error \"%s\" does not mention \"%s\"", i, err,
				 bad_cases[i].why);
		if (cs_schema_check(schema, o, serr, sizeof(serr)) == 0)
			fail_msg("schema accepted case %zu (%s)", i, bad_cases[i].field);
		cJSON_Delete(o);
	}
}

static void test_bad_shapes(void **state)
{
	static const char *const docs[] = {
		"[]",
		"\"finding\"",
		"null",
		/* duplicate key: cJSON keeps both, the parser must refuse */
		("{\"schema_version\":\"clawsec-traffic-finding/v1\","
		 "\"schema_version\":\"clawsec-traffic-finding/v1\"}"),
	};
	char err[256];
	struct cs_finding g;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		cJSON *o = cJSON_Parse(docs[i]);

		assert_non_null(o);
		assert_int_equal(cs_finding_from_json(o, &g, err, sizeof(err)), -1);
		assert_true(strlen(err) > 0);
		cJSON_Delete(o);
	}
	cJSON *o = cJSON_Parse(docs[3]);
	cs_finding_from_json(o, &g, err, sizeof(err));
	assert_non_null(strstr(err, "appears twice"));
	cJSON_Delete(o);
}

static void test_overlong_and_bad_utf8_fields(void **state)
{
	char big[400], err[256];
	struct cs_finding f = sample(), g;
	cJSON *o = cs_finding_to_json(&f);

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cJSON_ReplaceItemInObjectCaseSensitive(o, "source", cJSON_CreateString(big));
	assert_int_equal(cs_finding_from_json(o, &g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 127"));
	cJSON_ReplaceItemInObjectCaseSensitive(o, "source", cJSON_CreateString("node/1"));
	cJSON_ReplaceItemInObjectCaseSensitive(o, "snippet", cJSON_CreateString("\xff\xfe"));
	assert_int_equal(cs_finding_from_json(o, &g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "UTF-8"));
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timestamp_format),
		cmocka_unit_test(test_timestamp_parse),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_to_json_fields),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_invalid_utf8_replaced),
		cmocka_unit_test(test_schema_patterns_match_registry),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_bad_shapes),
		cmocka_unit_test(test_overlong_and_bad_utf8_fields),
	};

	return cmocka_run_group_tests(tests, load_schema, free_schema);
}
