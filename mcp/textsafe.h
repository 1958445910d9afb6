/* SPDX-License-Identifier: MIT */
/*
 * textsafe.h - what keeps stdout valid UTF-8 JSON-RPC whatever a client or
 * the host writes: checks on the raw request line that cJSON does not make
 * (UTF-8, a \u0000 that would cut a string short) and a last repair of the
 * serialised response (a quoted value cut mid-character, or a host answer
 * holding invalid UTF-8, never reaches the client as raw bytes).
 */
#ifndef CLAWSEC_MCP_TEXTSAFE_H
#define CLAWSEC_MCP_TEXTSAFE_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0, n) is valid UTF-8 (RFC 3629). */
bool mcp_utf8_valid(const char *s, size_t n);

/*
 * True when a string in the JSON text s[0, n) holds the escape \u0000,
 * which cJSON decodes into a NUL that ends the C string early. The text
 * must already have parsed as JSON.
 */
bool mcp_json_has_nul_escape(const char *s, size_t n);

/*
 * Replace every invalid UTF-8 sequence in the NUL-terminated s with U+FFFD.
 * Returns s when it was valid, else a new malloc'd string (the caller frees
 * both), or NULL when out of memory.
 */
char *mcp_utf8_repair(char *s);

#endif
