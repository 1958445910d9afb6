/* SPDX-License-Identifier: MIT */
/*
 * ca.h - the host-held CA used by HTTPS inspection. The private key is an
 * ECDSA P-256 key in a 0600 file inside a 0700 directory owned by the user
 * running the proxy (root in production), in a directory no container can
 * see; the certificate beside it is the only thing a container ever gets.
 */
#ifndef CLAWSEC_PROXY_CA_H
#define CLAWSEC_PROXY_CA_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca_path.h" /* cs_ca_check_private */
#include "config.h"

#define CS_CA_KEY_FILE "ca.key"
#define CS_CA_CERT_FILE "ca.crt"
/* "AB:CD:..." (32 bytes) and NUL */
#define CS_FP_COLON_LEN 96
#define CS_FP_HEX_LEN 65

struct cs_ca_paths {
	char dir[PATH_MAX - 16];
	char key[PATH_MAX];
	char cert[PATH_MAX];
};

/* ca_dir from the config, else <home>/ca. 0, or -1 when a path is too long. */
int cs_ca_paths(const struct cs_config *c, struct cs_ca_paths *out);

/*
 * Create the CA (rotate = replace an existing one). Refuses to overwrite
 * without rotate. 0, or -1 with the reason in err.
 */
int cs_ca_create(const struct cs_config *c, bool rotate, char *err, size_t errlen);

/* Load and check (ownership, modes, key matches cert). 0 or -1 with err. */
int cs_ca_load(const struct cs_config *c, X509 **cert, EVP_PKEY **key, char *err, size_t errlen);

/* SHA-256 of the certificate's DER, as openssl prints it and as plain lowercase hex. */
int cs_ca_fingerprint(X509 *cert, char colon[CS_FP_COLON_LEN], char hex[CS_FP_HEX_LEN]);
/* Fingerprint of a PEM certificate file; 0 or -1. */
int cs_ca_fingerprint_file(const char *path, char colon[CS_FP_COLON_LEN], char hex[CS_FP_HEX_LEN]);

#endif
