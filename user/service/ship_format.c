// SPDX-License-Identifier: MIT
/*
 * ship_format.c - RFC 5424 and journald framing of a finding. Everything
 * that goes out was already redacted: the JSON line is the one the log
 * holds, the other fields are enum names, a pattern id and a dest.
 */
#include "ship_format.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int cs_ship_priority(enum cs_severity s)
{
	switch (s) {
	case CS_SEV_CRITICAL:
		return 2; /* crit */
	case CS_SEV_HIGH:
		return 3; /* err */
	case CS_SEV_MEDIUM:
		return 4; /* warning */
	case CS_SEV_LOW:
		break;
	}
	return 5; /* notice */
}

struct buf {
	char *p;
	size_t len, cap;
	bool full;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->full = true;
	else
		b->len += (size_t)n;
}

/* An SD-PARAM value: '"', '\' and ']' escaped (RFC 5424 6.3.3). */
static void add_param(struct buf *b, const char *name, const char *v)
{
	add(b, " %s=\"", name);
	for (; *v && !b->full; v++) {
		if (*v == '"' || *v == '\\' || *v == ']')
			add(b, "\\%c", *v);
		else
			add(b, "%c", (unsigned char)*v < 0x20 ? '?' : *v);
	}
	add(b, "\"");
}

/* HOSTNAME: printable US-ASCII without spaces, at most 255, else the nil value. */
static const char *hostname(const char *h)
{
	size_t n = h ? strlen(h) : 0;

	if (n == 0 || n > 255)
		return "-";
	for (size_t i = 0; i < n; i++)
		if (h[i] < 33 || h[i] > 126)
			return "-";
	return h;
}

size_t cs_ship_syslog(const struct cs_ship_rec *r, const char *host, int pid, char *out, size_t cap)
{
	struct buf b = {.p = out, .cap = cap};
	char ts[CS_TIMESTAMP_LEN];

	cs_format_timestamp(r->timestamp_ms, ts);
	add(&b, "<%d>1 %s %s clawsec-traffic %d %s [" CS_SHIP_SD_ID,
	    CS_SHIP_FACILITY * 8 + cs_ship_priority(r->severity), ts, hostname(host), pid,
	    r->fold ? "fold" : "finding");
	add_param(&b, "pattern", r->pattern);
	add_param(&b, "severity", cs_severity_name(r->severity));
	add_param(&b, "direction", cs_direction_name(r->direction));
	add(&b, "] %s", r->json);
	return b.full ? 0 : b.len;
}

/* One KEY=value line; control bytes in the value become '?' (the JSON has none). */
static void field(struct buf *b, const char *key, const char *v)
{
	add(b, "%s=", key);
	for (; *v && !b->full; v++)
		add(b, "%c", (unsigned char)*v < 0x20 ? '?' : *v);
	add(b, "\n");
}

size_t cs_ship_journald(const struct cs_ship_rec *r, char *out, size_t cap)
{
	struct buf b = {.p = out, .cap = cap};

	field(&b, "MESSAGE", r->json);
	add(&b, "PRIORITY=%d\nSYSLOG_FACILITY=%d\n", cs_ship_priority(r->severity),
	    CS_SHIP_FACILITY);
	field(&b, "SYSLOG_IDENTIFIER", "clawsec-traffic");
	field(&b, "CLAWSEC_SCHEMA", r->fold ? "clawsec-traffic-fold/v1" : CS_FINDING_SCHEMA);
	field(&b, "CLAWSEC_PATTERN", r->pattern);
	field(&b, "CLAWSEC_SEVERITY", cs_severity_name(r->severity));
	field(&b, "CLAWSEC_DIRECTION", cs_direction_name(r->direction));
	field(&b, "CLAWSEC_DEST", r->dest);
	return b.full ? 0 : b.len;
}
