/* SPDX-License-Identifier: MIT */
#include "errbuf.h"

#include <stdio.h>

void cs_vset_err(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
}

void cs_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cs_vset_err(err, errlen, fmt, ap);
	va_end(ap);
}
