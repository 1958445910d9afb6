/* SPDX-License-Identifier: MIT */
/*
 * schema_check.h - a JSON Schema (2020-12) subset validator for tests.
 *
 * Supported: type (name or list), required, properties, additionalProperties
 * (boolean or schema), enum, const, pattern (PCRE2, unanchored search),
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength
 * (in code points), items, minItems, maxItems, oneOf, anyOf, allOf and $ref to
 * a JSON pointer in the same document ("#/$defs/name"). Annotations ($schema,
 * $id, title, description, ...) are ignored. Any other keyword is an error:
 * a test must never pass because the validator skipped part of a schema.
 */
#ifndef CLAWSEC_SCHEMA_CHECK_H
#define CLAWSEC_SCHEMA_CHECK_H

#include <stddef.h>

#include <cjson/cJSON.h>

/*
 * 0 when doc is valid against schema; -1 otherwise, with the JSON path of
 * the first failure and the reason in err ("$.findings[2].severity: ...").
 */
int cs_schema_check(const cJSON *schema, const cJSON *doc, char *err, size_t errlen);

/* Parse a schema file (e.g. docs/finding.schema.json); NULL with a reason in err. */
cJSON *cs_schema_load(const char *path, char *err, size_t errlen);

#endif
