/* SPDX-License-Identifier: MIT */
/*
 * gorets.h - the RET instructions of one function, found by decoding its
 * x86-64 instructions linearly (capstone) from its entry to its end: the
 * places a Go function returns, hooked instead of a uretprobe.
 */
#ifndef CLAWSEC_GORETS_H
#define CLAWSEC_GORETS_H

#include <stddef.h>
#include <stdint.h>

#include "elfimg.h"
#include "gofunc.h"

/*
 * File offsets of every RET of f into rets[0..*n). 0, or -ENOENT with why
 * set when the bytes do not decode cleanly to the end, a jump leaves the
 * function (a return that is not a RET), or there are too many RETs.
 */
int cs_gorets_find(const struct cs_elfimg *img, const struct cs_go_func *f, uint64_t *rets,
		   unsigned int *n, char *why, size_t why_len);

#endif
