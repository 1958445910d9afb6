// SPDX-License-Identifier: MIT
/*
 * finding_table.c - print findings as an aligned table for people.
 *
 * Widths are counted in code points (good enough for the ASCII and Latin
 * text findings carry). Cells are cut with "…" rather than wrapped so each
 * finding stays on one line and the table still greps well.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "finding_table.h"
#include "fold.h"

enum { C_TIME, C_SEV, C_DIR, C_PATTERN, C_DEST, C_SOURCE, C_SNIPPET, N_COLS };

static const char *const headers[N_COLS] = {"TIME (UTC)", "SEVERITY", "DIR",	"PATTERN",
					    "DEST",	  "SOURCE",   "SNIPPET"};
/* Widest each column may grow before it is cut; the snippet takes the rest. */
static const unsigned caps[N_COLS] = {19, 8, 3, 16, 32, 40, 0};

#define GAP 2
#define MIN_SNIPPET 20
#define CELL_MAX 1024

unsigned cs_table_width(int fd)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");

	if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env) {
		long v = strtol(env, NULL, 10);

		if (v > 0 && v < 10000)
			return (unsigned)v;
	}
	return CS_TABLE_DEFAULT_WIDTH;
}

/* Length of one UTF-8 code point at s, 0 when the bytes are not valid UTF-8. */
static size_t cp_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80			 ? 1
		   : s[0] >= 0xc2 && s[0] < 0xe0 ? 2
		   : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
		   : s[0] >= 0xf0 && s[0] < 0xf5 ? 4
						 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Is the code point at s, of length n, something a terminal would act on? */
static bool is_control(const unsigned char *s, size_t n)
{
	if (n == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	/* C1 controls U+0080..U+009F (0xc2 0x80..0x9f) include a one-byte CSI. */
	return n == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

/*
 * Copy src into dst (cap bytes) as at most maxcols columns, replacing
 * control and invalid bytes with '?', and ending with "…" when cut.
 * Returns the columns used.
 */
static unsigned cell(const char *src, char *dst, size_t cap, unsigned maxcols)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;
	unsigned cols = 0;

	while (*s && o + 8 < cap) {
		size_t n = cp_len(s);

		if (cols + 1 == maxcols && s[n ? n : 1]) {
			memcpy(dst + o, "\xe2\x80\xa6", 3); /* … */
			o += 3;
			cols++;
			break;
		}
		if (cols == maxcols)
			break;
		if (!n || is_control(s, n)) {
			dst[o++] = '?';
			s += n ? n : 1;
		} else {
			memcpy(dst + o, s, n);
			o += n;
			s += n;
		}
		cols++;
	}
	dst[o] = '\0';
	return cols;
}

/* Code points in s (invalid bytes count one each, as cell() prints them). */
static unsigned count_cps(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned n = 0;

	while (*p) {
		size_t l = cp_len(p);

		p += l ? l : 1;
		n++;
	}
	return n;
}

/*
 * The detector centres the match in its snippet (context on both sides), so
 * a snippet too wide for its column keeps its middle: "…middle…".
 */
static unsigned centred_cell(const char *src, char *dst, unsigned maxcols)
{
	const unsigned char *p = (const unsigned char *)src;
	unsigned total = count_cps(src), cols;

	if (total <= maxcols || maxcols < 3)
		return cell(src, dst, CELL_MAX, maxcols);
	for (unsigned skip = (total - (maxcols - 1)) / 2; skip > 0; skip--) {
		size_t l = cp_len(p);

		p += l ? l : 1;
	}
	memcpy(dst, "\xe2\x80\xa6", 3);
	cols = cell((const char *)p, dst + 3, CELL_MAX - 3, maxcols - 1);
	return cols + 1;
}

static void cell_text(const struct cs_finding *f, int col, char *buf, size_t cap)
{
	char ts[CS_TIMESTAMP_LEN];

	switch (col) {
	case C_TIME:
		cs_format_timestamp(f->timestamp_ms, ts);
		ts[10] = ' ';
		ts[19] = '\0';
		snprintf(buf, cap, "%s", ts);
		break;
	case C_SEV:
		snprintf(buf, cap, "%s", cs_severity_name(f->severity));
		break;
	case C_DIR:
		snprintf(buf, cap, "%s", f->direction == CS_DIR_OUTBOUND ? "out" : "in");
		break;
	case C_PATTERN:
		snprintf(buf, cap, "%.*s", (int)sizeof(f->pattern), f->pattern);
		break;
	case C_DEST:
		snprintf(buf, cap, "%.*s", (int)sizeof(f->dest), f->dest);
		break;
	case C_SOURCE:
		snprintf(buf, cap, "%.*s", (int)sizeof(f->source), f->source);
		break;
	default:
		if (f->folded) /* a summary of folded repeats says so instead of a snippet */
			cs_fold_message(f, buf, cap);
		else
			snprintf(buf, cap, "%.*s", (int)sizeof(f->snippet), f->snippet);
		break;
	}
}

/* Fit each column to its widest cell (up to its cap); the snippet gets the rest. */
static void column_widths(const struct cs_finding *f, size_t n, unsigned width, unsigned w[N_COLS])
{
	char text[CELL_MAX], out[CELL_MAX];
	unsigned used = 0;

	for (int c = 0; c < C_SNIPPET; c++) {
		w[c] = cell(headers[c], out, sizeof(out), caps[c]);
		for (size_t i = 0; i < n; i++) {
			cell_text(&f[i], c, text, sizeof(text));
			unsigned cw = cell(text, out, sizeof(out), caps[c]);

			if (cw > w[c])
				w[c] = cw;
		}
		used += w[c] + GAP;
	}
	if (width < CS_TABLE_MIN_WIDTH)
		width = CS_TABLE_MIN_WIDTH;
	w[C_SNIPPET] = width > used + MIN_SNIPPET ? width - used : MIN_SNIPPET;
}

static void print_row(FILE *out, const char *const texts[N_COLS], const unsigned w[N_COLS])
{
	char buf[CELL_MAX];

	for (int c = 0; c < N_COLS; c++) {
		unsigned cols = c == C_SNIPPET ? centred_cell(texts[c], buf, w[c])
					       : cell(texts[c], buf, sizeof(buf), w[c]);

		fputs(buf, out);
		if (c < N_COLS - 1)
			fprintf(out, "%*s", (int)(w[c] - cols + GAP), "");
	}
	fputc('\n', out);
}

/* Follow mode: widths fixed in advance (each column's cap), since rows come one by one. */
int cs_finding_table_row(FILE *out, const struct cs_finding *f, unsigned width, bool header)
{
	unsigned w[N_COLS], used = 0;
	char texts[N_COLS][CELL_MAX];
	const char *ptrs[N_COLS];

	for (int c = 0; c < C_SNIPPET; c++) {
		w[c] = caps[c];
		used += w[c] + GAP;
	}
	if (width < CS_TABLE_MIN_WIDTH)
		width = CS_TABLE_MIN_WIDTH;
	w[C_SNIPPET] = width > used + MIN_SNIPPET ? width - used : MIN_SNIPPET;
	if (header)
		print_row(out, headers, w);
	if (f) {
		for (int c = 0; c < N_COLS; c++) {
			cell_text(f, c, texts[c], sizeof(texts[c]));
			ptrs[c] = texts[c];
		}
		print_row(out, ptrs, w);
	}
	fflush(out);
	return ferror(out) ? -1 : 0;
}

int cs_finding_table_print(FILE *out, const struct cs_finding *f, size_t n, unsigned width)
{
	unsigned w[N_COLS];
	char texts[N_COLS][CELL_MAX];
	const char *ptrs[N_COLS];

	column_widths(f, n, width, w);
	print_row(out, headers, w);
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < N_COLS; c++) {
			cell_text(&f[i], c, texts[c], sizeof(texts[c]));
			ptrs[c] = texts[c];
		}
		print_row(out, ptrs, w);
	}
	fflush(out);
	return ferror(out) ? -1 : 0;
}
