// SPDX-License-Identifier: MIT
/*
 * test_schema_check.c - the test-support JSON Schema validator itself: each
 * keyword accepts what it should and refuses what it should, so tests that
 * rely on it (findings, IPC answers, MCP outputSchemas) cannot pass vacuously.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "schema_check.h"

struct vcase {
	const char *schema;
	const char *doc;
	int valid;	     /* 1 valid, 0 invalid */
	const char *err_has; /* for invalid: expected substring of the message */
};

static const struct vcase cases[] = {
	{"{\"type\":\"string\"}", "\"x\"", 1, NULL},
	{"{\"type\":\"string\"}", "1", 0, "type string"},
	{"{\"type\":\"integer\"}", "3", 1, NULL},
	{"{\"type\":\"integer\"}", "3.5", 0, "integer"},
	{"{\"type\":[\"string\",\"null\"]}", "null", 1, NULL},
	{"{\"type\":[\"string\",\"null\"]}", "true", 0, "none of the allowed types"},
	{"{\"required\":[\"a\"]}", "{\"a\":1}", 1, NULL},
	{"{\"required\":[\"a\"]}", "{\"b\":1}", 0, "\"a\""},
	{"{\"properties\":{\"a\":{\"type\":\"boolean\"}}}", "{\"a\":1}", 0, "$.a"},
	{"{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1,\"b\":2}", 0,
	 "unexpected property \"b\""},
	{"{\"additionalProperties\":{\"type\":\"number\"}}", "{\"x\":1,\"y\":\"s\"}", 0, "$.y"},
	{"{\"enum\":[\"low\",\"high\"]}", "\"high\"", 1, NULL},
	{"{\"enum\":[\"low\",\"high\"]}", "\"mid\"", 0, "allowed values"},
	{"{\"const\":{\"a\":[1]}}", "{\"a\":[1]}", 1, NULL},
	{"{\"const\":\"v1\"}", "\"v2\"", 0, "constant"},
	{"{\"pattern\":\"^[a-f0-9]{4}$\"}", "\"beef\"", 1, NULL},
	{"{\"pattern\":\"^[a-f0-9]{4}$\"}", "\"beefy\"", 0, "does not match"},
	{"{\"pattern\":\"o\"}", "\"foo\"", 1, NULL}, /* unanchored, as in JSON Schema */
	{"{\"minimum\":1,\"maximum\":500}", "500", 1, NULL},
	{"{\"minimum\":1,\"maximum\":500}", "0", 0, "minimum"},
	{"{\"minimum\":1,\"maximum\":500}", "501", 0, "maximum"},
	{"{\"exclusiveMinimum\":0}", "0", 0, "exclusiveMinimum"},
	{"{\"minLength\":2,\"maxLength\":3}", "\"\xc3\xa9\xc3\xa9\xc3\xa9\"", 1, NULL},
	{"{\"maxLength\":3}", "\"abcd\"", 0, "maxLength"},
	{"{\"minLength\":1}", "\"\"", 0, "minLength"},
	{"{\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":2}", "[1,2]", 1, NULL},
	{"{\"items\":{\"type\":\"integer\"}}", "[1,\"x\"]", 0, "$[1]"},
	{"{\"maxItems\":2}", "[1,2,3]", 0, "maxItems"},
	{"{\"minItems\":1}", "[]", 0, "minItems"},
	{"{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"number\"}]}", "1", 1, NULL},
	{"{\"oneOf\":[{\"type\":\"number\"},{\"type\":\"integer\"}]}", "1", 0, "2 branches"},
	{"{\"anyOf\":[{\"const\":1},{\"const\":2}]}", "3", 0, "anyOf"},
	{"{\"anyOf\":[{\"const\":1},{\"const\":2}]}", "2", 1, NULL},
	{"{\"allOf\":[{\"minimum\":1},{\"maximum\":2}]}", "3", 0, "allOf"},
	{"{\"$defs\":{\"sev\":{\"enum\":[\"low\"]}},\"properties\":{\"s\":{\"$ref\":\"#/$defs/"
	 "sev\"}}}",
	 "{\"s\":\"low\"}", 1, NULL},
	{"{\"$defs\":{\"sev\":{\"enum\":[\"low\"]}},\"properties\":{\"s\":{\"$ref\":\"#/$defs/"
	 "sev\"}}}",
	 "{\"s\":\"high\"}", 0, "$.s"},
	{"{\"$ref\":\"#/$defs/missing\"}", "1", 0, "resolves to nothing"},
	{"{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}", "1", 0, "deeper"},
	{"{\"propertyNames\":{\"maxLength\":1}}", "{}", 0, "unsupported keyword"},
	{"{\"title\":\"t\",\"description\":\"d\",\"$comment\":\"c\",\"format\":\"date-time\"}",
	 "\"x\"", 1, NULL},
	{"false", "1", 0, "no value"},
	{"true", "1", 1, NULL},
};

static void test_keywords(void **state)
{
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *s = cJSON_Parse(cases[i].schema), *d = cJSON_Parse(cases[i].doc);
		int rc;

		if (!s || !d)
			fail_msg("case %zu: bad test JSON", i);
		rc = cs_schema_check(s, d, err, sizeof(err));
		if (cases[i].valid && rc != 0)
			fail_msg("case %zu: rejected valid doc %s: %s", i, cases[i].doc, err);
		if (!cases[i].valid && rc == 0)
			fail_msg("case %zu: accepted invalid doc %s", i, cases[i].doc);
		if (!cases[i].valid && !strstr(err, cases[i].err_has))
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, cases[i].err_has);
		if (cases[i].valid)
			assert_string_equal(err, "");
		cJSON_Delete(s);
		cJSON_Delete(d);
	}
}

static void test_load(void **state)
{
	char err[256];
	cJSON *s;

	(void)state;
	s = cs_schema_load(CS_SOURCE_DIR "/docs/finding.schema.json", err, sizeof(err));
	assert_non_null(s);
	cJSON_Delete(s);
	assert_null(cs_schema_load(CS_SOURCE_DIR "/no/such/file.json", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open"));
	assert_null(cs_schema_load(CS_SOURCE_DIR "/CMakeLists.txt", err, sizeof(err)));
	assert_non_null(strstr(err, "not valid JSON"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
