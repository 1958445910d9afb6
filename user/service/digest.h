/* SPDX-License-Identifier: MIT */
/* digest.h - SHA-256 as lowercase hex, of a buffer or of a file streamed in blocks. */
#ifndef CLAWSEC_DIGEST_H
#define CLAWSEC_DIGEST_H

#include <stddef.h>

#define CS_SHA256_HEX 65

/* Returns 0, or -1 when OpenSSL fails. */
int cs_sha256_hex(const void *data, size_t len, char out[CS_SHA256_HEX]);
/* Streams a regular file (symlinks refused); 0, or -errno (-ENOENT when absent). */
int cs_sha256_file_hex(const char *path, char out[CS_SHA256_HEX]);

#endif
