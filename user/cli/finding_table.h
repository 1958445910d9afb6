/* SPDX-License-Identifier: MIT */
/*
 * finding_table.h - findings as an aligned, human-readable table.
 *
 * Used by `clawsec-traffic scan --table` and `clawsec-traffic findings`.
 * Every cell is sanitised for the terminal (control bytes and escape
 * sequences become '?'), since dest and source can come from the traffic.
 */
#ifndef CLAWSEC_FINDING_TABLE_H
#define CLAWSEC_FINDING_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "finding.h"

#define CS_TABLE_MIN_WIDTH 80
#define CS_TABLE_DEFAULT_WIDTH 160

/* Columns of the terminal on fd, else $COLUMNS, else CS_TABLE_DEFAULT_WIDTH. */
unsigned cs_table_width(int fd);
/*
 * Print a header and one row per finding (in the order given), fitting
 * `width` columns (at least CS_TABLE_MIN_WIDTH): the snippet takes what the
 * other columns leave and is cut with "…". Returns 0, or -1 on a write error.
 */
int cs_finding_table_print(FILE *out, const struct cs_finding *f, size_t n, unsigned width);
/*
 * One row (f may be NULL) with fixed column widths, after the header when
 * asked: for rows that arrive one at a time (findings --follow). A fold
 * summary (f->folded) shows its message in the snippet column.
 */
int cs_finding_table_row(FILE *out, const struct cs_finding *f, unsigned width, bool header);

#endif
