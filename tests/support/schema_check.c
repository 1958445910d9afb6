// SPDX-License-Identifier: MIT
/*
 * schema_check.c - the JSON Schema subset described in schema_check.h.
 *
 * Each keyword is one small function; they share a context holding the root
 * (for $ref), the current JSON path (for messages) and a depth bound so a
 * recursive schema cannot recurse forever.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "schema_check.h"

#define MAX_DEPTH 64
#define MAX_FILE (4u << 20)

struct ctx {
	const cJSON *root;
	char path[512];
	char *err;
	size_t errlen;
	int depth;
};

static int validate(struct ctx *c, const cJSON *s, const cJSON *d);

static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || !c->errlen)
		return -1;
	n = snprintf(c->err, c->errlen, "%s: ", c->path);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Validate d against s with ".name" or "[i]" appended to the path meanwhile. */
static int validate_at(struct ctx *c, const cJSON *s, const cJSON *d, const char *key, int index)
{
	size_t len = strlen(c->path);
	int rc;

	if (key)
		snprintf(c->path + len, sizeof(c->path) - len, ".%s", key);
	else
		snprintf(c->path + len, sizeof(c->path) - len, "[%d]", index);
	rc = validate(c, s, d);
	c->path[len] = '\0';
	return rc;
}

static bool type_matches(const char *t, const cJSON *d)
{
	if (!strcmp(t, "object"))
		return cJSON_IsObject(d);
	if (!strcmp(t, "array"))
		return cJSON_IsArray(d);
	if (!strcmp(t, "string"))
		return cJSON_IsString(d);
	if (!strcmp(t, "number"))
		return cJSON_IsNumber(d);
	if (!strcmp(t, "integer"))
		return cJSON_IsNumber(d) && floor(d->valuedouble) == d->valuedouble;
	if (!strcmp(t, "boolean"))
		return cJSON_IsBool(d);
	if (!strcmp(t, "null"))
		return cJSON_IsNull(d);
	return false;
}

static int kw_type(struct ctx *c, const cJSON *k, const cJSON *d)
{
	const cJSON *t;

	if (cJSON_IsString(k))
		return type_matches(k->valuestring, d)
			       ? 0
			       : fail(c, "is not of type %s", k->valuestring);
	if (!cJSON_IsArray(k))
		return fail(c, "schema error: type must be a string or an array");
	cJSON_ArrayForEach(t, k) {
		if (cJSON_IsString(t) && type_matches(t->valuestring, d))
			return 0;
	}
	return fail(c, "is of none of the allowed types");
}

static int kw_required(struct ctx *c, const cJSON *k, const cJSON *d)
{
	const cJSON *r;

	if (!cJSON_IsObject(d))
		return 0;
	cJSON_ArrayForEach(r, k) {
		if (!cJSON_IsString(r))
			return fail(c, "schema error: required lists non-strings");
		if (!cJSON_GetObjectItemCaseSensitive(d, r->valuestring))
			return fail(c, "missing required property \"%s\"", r->valuestring);
	}
	return 0;
}

static int kw_properties(struct ctx *c, const cJSON *k, const cJSON *d)
{
	const cJSON *p;

	if (!cJSON_IsObject(d))
		return 0;
	cJSON_ArrayForEach(p, k) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, p->string);

		if (v && validate_at(c, p, v, p->string, 0))
			return -1;
	}
	return 0;
}

static int kw_additional(struct ctx *c, const cJSON *s, const cJSON *k, const cJSON *d)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
	const cJSON *m;

	if (!cJSON_IsObject(d))
		return 0;
	cJSON_ArrayForEach(m, d) {
		if (props && cJSON_GetObjectItemCaseSensitive(props, m->string))
			continue;
		if (cJSON_IsFalse(k))
			return fail(c, "unexpected property \"%s\"", m->string);
		if (validate_at(c, k, m, m->string, 0))
			return -1;
	}
	return 0;
}

static int kw_enum(struct ctx *c, const cJSON *k, const cJSON *d)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, k) {
		if (cJSON_Compare(e, d, true))
			return 0;
	}
	if (cJSON_IsString(d))
		return fail(c, "\"%.80s\" is not one of the allowed values", d->valuestring);
	return fail(c, "value is not one of the allowed values");
}

static int kw_pattern(struct ctx *c, const cJSON *k, const cJSON *d)
{
	pcre2_code *re;
	pcre2_match_data *md;
	int errcode, rc;
	PCRE2_SIZE erroff;

	if (!cJSON_IsString(d))
		return 0;
	if (!cJSON_IsString(k))
		return fail(c, "schema error: pattern must be a string");
	re = pcre2_compile((PCRE2_SPTR)k->valuestring, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &errcode,
			   &erroff, NULL);
	if (!re)
		return fail(c, "schema error: pattern /%s/ does not compile", k->valuestring);
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = md ? pcre2_match(re, (PCRE2_SPTR)d->valuestring, strlen(d->valuestring), 0, 0, md,
			      NULL)
		: -1;
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	if (rc < 0)
		return fail(c, "\"%.80s\" does not match /%s/", d->valuestring, k->valuestring);
	return 0;
}

static size_t utf8_count(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* minLength, maxLength, minItems, maxItems, minimum, maximum and the exclusive bounds. */
static int kw_bound(struct ctx *c, const char *kw, const cJSON *k, const cJSON *d)
{
	double v, lim;
	bool is_min = strstr(kw, "min") || strstr(kw, "Min");

	if (!cJSON_IsNumber(k))
		return fail(c, "schema error: %s must be a number", kw);
	lim = k->valuedouble;
	if (strstr(kw, "Length")) {
		if (!cJSON_IsString(d))
			return 0;
		v = (double)utf8_count(d->valuestring);
	} else if (strstr(kw, "Items")) {
		if (!cJSON_IsArray(d))
			return 0;
		v = (double)cJSON_GetArraySize(d);
	} else {
		if (!cJSON_IsNumber(d))
			return 0;
		v = d->valuedouble;
	}
	if (!strncmp(kw, "exclusive", 9)) {
		if (is_min ? v > lim : v < lim)
			return 0;
	} else if (is_min ? v >= lim : v <= lim) {
		return 0;
	}
	return fail(c, "%g violates %s %g", v, kw, lim);
}

static int kw_items(struct ctx *c, const cJSON *k, const cJSON *d)
{
	const cJSON *it;
	int i = 0;

	if (!cJSON_IsArray(d))
		return 0;
	cJSON_ArrayForEach(it, d) {
		if (validate_at(c, k, it, NULL, i++))
			return -1;
	}
	return 0;
}

/* anyOf: at least one branch; oneOf: exactly one; allOf: every branch. */
static int kw_combine(struct ctx *c, const char *kw, const cJSON *k, const cJSON *d)
{
	const cJSON *b;
	int passed = 0, total = 0;
	char first_err[512] = "";

	if (!cJSON_IsArray(k))
		return fail(c, "schema error: %s must be an array", kw);
	cJSON_ArrayForEach(b, k) {
		total++;
		if (validate(c, b, d) == 0)
			passed++;
		else if (!first_err[0] && c->err)
			snprintf(first_err, sizeof(first_err), "%s", c->err);
	}
	if (!strcmp(kw, "allOf") && passed != total)
		return fail(c, "fails allOf (%s)", first_err);
	if (!strcmp(kw, "anyOf") && passed == 0)
		return fail(c, "matches no branch of anyOf (first: %s)", first_err);
	if (!strcmp(kw, "oneOf") && passed != 1)
		return fail(c, "matches %d branches of oneOf, not exactly one (first failure: %s)",
			    passed, first_err);
	return 0;
}

/* "#" or "#/a/b": a JSON pointer into the root schema (no ~ escapes needed here). */
static int kw_ref(struct ctx *c, const cJSON *k, const cJSON *d)
{
	const cJSON *target = c->root;
	char buf[256], *tok, *save;

	if (!cJSON_IsString(k) || k->valuestring[0] != '#' || strlen(k->valuestring) >= sizeof(buf))
		return fail(c, "schema error: only local $ref (\"#/...\") is supported");
	snprintf(buf, sizeof(buf), "%s", k->valuestring + 1);
	for (tok = strtok_r(buf, "/", &save); tok && target; tok = strtok_r(NULL, "/", &save))
		target = cJSON_GetObjectItemCaseSensitive(target, tok);
	if (!target)
		return fail(c, "schema error: $ref %s resolves to nothing", k->valuestring);
	return validate(c, target, d);
}

static bool is_annotation(const char *kw)
{
	static const char *const names[] = {"$schema", "$id",	      "$comment",  "$defs",
					    "title",   "description", "default",   "examples",
					    "format",  "readOnly",    "writeOnly", "deprecated"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(kw, names[i]))
			return true;
	return false;
}

static int keyword(struct ctx *c, const cJSON *s, const cJSON *k, const cJSON *d)
{
	const char *kw = k->string;

	if (!strcmp(kw, "type"))
		return kw_type(c, k, d);
	if (!strcmp(kw, "required"))
		return kw_required(c, k, d);
	if (!strcmp(kw, "properties"))
		return kw_properties(c, k, d);
	if (!strcmp(kw, "additionalProperties"))
		return kw_additional(c, s, k, d);
	if (!strcmp(kw, "enum"))
		return kw_enum(c, k, d);
	if (!strcmp(kw, "const"))
		return cJSON_Compare(k, d, true) ? 0 : fail(c, "is not the required constant");
	if (!strcmp(kw, "pattern"))
		return kw_pattern(c, k, d);
	if (!strcmp(kw, "items"))
		return kw_items(c, k, d);
	if (!strcmp(kw, "$ref"))
		return kw_ref(c, k, d);
	if (!strcmp(kw, "oneOf") || !strcmp(kw, "anyOf") || !strcmp(kw, "allOf"))
		return kw_combine(c, kw, k, d);
	if (!strcmp(kw, "minLength") || !strcmp(kw, "maxLength") || !strcmp(kw, "minItems") ||
	    !strcmp(kw, "maxItems") || !strcmp(kw, "minimum") || !strcmp(kw, "maximum") ||
	    !strcmp(kw, "exclusiveMinimum") || !strcmp(kw, "exclusiveMaximum"))
		return kw_bound(c, kw, k, d);
	if (is_annotation(kw))
		return 0;
	return fail(c, "schema error: unsupported keyword \"%s\"", kw);
}

static int validate(struct ctx *c, const cJSON *s, const cJSON *d)
{
	const cJSON *k;
	int rc = 0;

	if (cJSON_IsTrue(s))
		return 0;
	if (cJSON_IsFalse(s))
		return fail(c, "no value is allowed here");
	if (!cJSON_IsObject(s))
		return fail(c, "schema error: a schema must be an object or a boolean");
	if (++c->depth > MAX_DEPTH) {
		c->depth--;
		return fail(c, "schema error: nesting deeper than %d ($ref loop?)", MAX_DEPTH);
	}
	cJSON_ArrayForEach(k, s) {
		rc = keyword(c, s, k, d);
		if (rc)
			break;
	}
	c->depth--;
	return rc;
}

int cs_schema_check(const cJSON *schema, const cJSON *doc, char *err, size_t errlen)
{
	struct ctx c = {.root = schema, .path = "$", .err = err, .errlen = errlen};

	if (err && errlen)
		err[0] = '\0';
	if (validate(&c, schema, doc))
		return -1;
	if (err && errlen)
		err[0] = '\0'; /* a failed anyOf/oneOf branch may have left a message */
	return 0;
}

cJSON *cs_schema_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	cJSON *j;

	if (!f) {
		snprintf(err, errlen, "cannot open %s", path);
		return NULL;
	}
	buf = malloc(MAX_FILE + 1);
	n = buf ? fread(buf, 1, MAX_FILE, f) : 0;
	fclose(f);
	if (!buf || n == MAX_FILE) {
		free(buf);
		snprintf(err, errlen, "%s: unreadable or larger than %u bytes", path, MAX_FILE);
		return NULL;
	}
	buf[n] = '\0';
	j = cJSON_Parse(buf);
	free(buf);
	if (!j)
		snprintf(err, errlen, "%s: not valid JSON", path);
	return j;
}
