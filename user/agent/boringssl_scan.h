/* SPDX-License-Identifier: MIT */
/*
 * boringssl_scan.h - the uncached scan behind cs_boringssl_find: AEAD method
 * tables in an ELF image, and the proof that their seal/open pointers are
 * function entries. Internal to user/agent (boringssl_find.c caches it).
 */
#ifndef CLAWSEC_BORINGSSL_SCAN_H
#define CLAWSEC_BORINGSSL_SCAN_H

#include "boringssl_find.h"
#include "elfimg.h"

/*
 * Fill out (all but cached and scan_us) from img. 0, -EIO when a read fails
 * (e.g. the file shrank), -ENOMEM.
 */
int cs_bssl_scan(const struct cs_elfimg *img, struct cs_boringssl_fns *out);

/*
 * Whether every function of an earlier answer is still a proven entry at the
 * same file offset in img (1), or not (0). Checks a cached answer cheaply.
 */
int cs_bssl_reprove(const struct cs_elfimg *img, const struct cs_boringssl_fns *res);

#endif
