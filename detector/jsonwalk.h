/* SPDX-License-Identifier: MIT */
/*
 * jsonwalk.h - walk one JSON document without building a tree.
 *
 * The SSE decoder needs every string of an event with the member name it
 * belongs to, nothing more; a tree of allocated nodes per event cost more
 * than everything else on an LLM stream. cs_json_check() validates a
 * document (RFC 8259, with raw control bytes allowed in strings) and says
 * where it ends; cs_json_walk() then decodes every string of that document
 * in place and hands each to a callback, in document order. Escapes are
 * decoded as cs_jsonstr does (a lone surrogate becomes U+FFFD); an invalid
 * escape makes the document invalid.
 *
 * No memory is allocated: nesting is kept in a bit stack, and a document
 * nested deeper than CS_JSON_MAX_DEPTH is invalid.
 */
#ifndef CLAWSEC_JSONWALK_H
#define CLAWSEC_JSONWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CS_JSON_MAX_DEPTH 256

/*
 * One decoded string. A member name comes with is_name set and no key; a
 * string value with the name of the member it is the value of (key NULL
 * inside an array or at the top level).
 */
typedef void (*cs_json_string_fn)(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *s,
				  size_t n, bool is_name);

/*
 * The length of the JSON value at the start of p (leading whitespace
 * included, trailing whitespace not), or 0 when p does not start with a
 * whole valid value.
 */
size_t cs_json_check(const uint8_t *p, size_t n);

/* Decode in place and report the strings of a value cs_json_check() accepted with this n. */
void cs_json_walk(uint8_t *p, size_t n, cs_json_string_fn fn, void *ctx);

#endif
