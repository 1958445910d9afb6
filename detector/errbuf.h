/* SPDX-License-Identifier: MIT */
/* errbuf.h - filling a caller's (err, errlen) reason buffer. */
#ifndef CLAWSEC_ERRBUF_H
#define CLAWSEC_ERRBUF_H

#include <stdarg.h>
#include <stddef.h>

/* Formats a reason into err; does nothing when err is NULL or errlen is 0. */
void cs_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cs_vset_err(char *err, size_t errlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
