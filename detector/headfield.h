/* SPDX-License-Identifier: MIT */
/*
 * headfield.h - reading header fields out of a raw HTTP/1.x message head
 * (start line, fields, blank line), for the protocol upgrades (WebSocket,
 * h2c) that the framing parser hands on as one head.
 */
#ifndef CLAWSEC_HEADFIELD_H
#define CLAWSEC_HEADFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The value of each header field `name` (lower case, matched without case)
 * in turn: *pos starts at 0 and advances past each field found.
 */
bool cs_head_next_field(const uint8_t *head, size_t len, size_t *pos, const char *name,
			const uint8_t **v, size_t *vlen);
/* A case-insensitive search for `word` inside a field value. */
bool cs_head_has_word(const uint8_t *v, size_t n, const char *word);

#endif
