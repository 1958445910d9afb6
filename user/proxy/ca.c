/* SPDX-License-Identifier: MIT */
/* ca.c - create, check and load the inspection CA (see ca.h). */
#include "ca.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "fsutil.h"

#define CA_VALID_DAYS 730

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return -1;
}

int cs_ca_paths(const struct cs_config *c, struct cs_ca_paths *out)
{
	int n;

	if (c->ca_dir[0])
		n = snprintf(out->dir, sizeof(out->dir), "%s", c->ca_dir);
	else
		n = snprintf(out->dir, sizeof(out->dir), "%s/ca", c->home);
	if (n < 0 || (size_t)n >= sizeof(out->dir))
		return -1;
	snprintf(out->key, sizeof(out->key), "%s/%s", out->dir, CS_CA_KEY_FILE);
	snprintf(out->cert, sizeof(out->cert), "%s/%s", out->dir, CS_CA_CERT_FILE);
	return 0;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	int ok = X509_add_ext(cert, ext, -1);

	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static X509 *make_ca_cert(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn = BN_new();
	char host[64] = "host", cn[160];

	gethostname(host, sizeof(host) - 1);
	snprintf(cn, sizeof(cn), "clawsec traffic guardian CA (%s, %ld)", host, (long)time(NULL));
	if (!x || !name || !bn || !BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					(const unsigned char *)"clawsec traffic guardian", -1, -1,
					0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					-1, 0) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)CA_VALID_DAYS * 86400) ||
	    !X509_set_pubkey(x, key) ||
	    add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    add_ext(x, x, NID_subject_key_identifier, "hash") || !X509_sign(x, key, EVP_sha256())) {
		X509_free(x);
		x = NULL;
	}
	X509_NAME_free(name);
	BN_free(bn);
	return x;
}

/* PEM of the key into a 0600 file, the buffer wiped afterwards. */
static int write_key(const char *path, EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *data;
	long len;
	int rc = -1;

	if (b && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) {
		len = BIO_get_mem_data(b, &data);
		rc = cs_write_file_atomic(path, data, (size_t)len, 0600);
		OPENSSL_cleanse(data, (size_t)len);
	}
	BIO_free(b);
	return rc;
}

static int write_cert(const char *path, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (b && PEM_write_bio_X509(b, x)) {
		len = BIO_get_mem_data(b, &data);
		rc = cs_write_file_atomic(path, data, (size_t)len, 0644);
	}
	BIO_free(b);
	return rc;
}

/* The directory: created 0700, or an existing one that is ours and 0700. */
static int prepare_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int rc = cs_mkdir_p(dir, 0700);

	if (rc)
		return fail(err, errlen, "cannot create %s", dir);
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode))
		return fail(err, errlen, "%s is not a directory", dir);
	if (st.st_uid != geteuid())
		return fail(err, errlen, "%s is owned by another user", dir);
	if ((st.st_mode & 077) && chmod(dir, 0700))
		return fail(err, errlen, "cannot make %s private (0700)", dir);
	return 0;
}

int cs_ca_create(const struct cs_config *c, bool rotate, char *err, size_t errlen)
{
	struct cs_ca_paths p;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc = -1;

	if (cs_ca_paths(c, &p))
		return fail(err, errlen, "%s", "CA directory path too long");
	if (cs_ca_check_private(c, p.dir, err, errlen) || prepare_dir(p.dir, err, errlen))
		return -1;
	if (!rotate && (!access(p.key, F_OK) || !access(p.cert, F_OK)))
		return fail(err, errlen,
			    "a CA already exists in %s (use `ca rotate` to replace it)", p.dir);
	key = EVP_EC_gen("P-256");
	cert = key ? make_ca_cert(key) : NULL;
	if (!cert)
		snprintf(err, errlen, "cannot generate the CA key and certificate");
	else if (write_key(p.key, key))
		snprintf(err, errlen, "cannot write %s", p.key);
	else if (write_cert(p.cert, cert))
		snprintf(err, errlen, "cannot write %s", p.cert);
	else
		rc = 0;
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}

static int check_file(const char *path, bool secret, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st))
		return fail(err, errlen, "%s: missing (run `clawsec-traffic ca init`)", path);
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, "%s: not a regular file", path);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return fail(err, errlen, "%s: owned by another user", path);
	if (secret && (st.st_mode & 077))
		return fail(err, errlen, "%s: readable by others (must be 0600)", path);
	return 0;
}

static void *read_pem(const char *path, bool key)
{
	size_t len;
	char *txt = cs_read_file(path, 1u << 20, &len);
	BIO *b = txt ? BIO_new_mem_buf(txt, (int)len) : NULL;
	void *obj = NULL;

	if (b)
		obj = key ? (void *)PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)
			  : (void *)PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (txt) {
		OPENSSL_cleanse(txt, len);
		free(txt);
	}
	return obj;
}

int cs_ca_load(const struct cs_config *c, X509 **cert, EVP_PKEY **key, char *err, size_t errlen)
{
	struct cs_ca_paths p;
	struct stat st;

	*cert = NULL;
	*key = NULL;
	if (cs_ca_paths(c, &p))
		return fail(err, errlen, "%s", "CA directory path too long");
	if (cs_ca_check_private(c, p.dir, err, errlen))
		return -1;
	if (lstat(p.dir, &st))
		return fail(err, errlen, "%s: missing (run `clawsec-traffic ca init`)", p.dir);
	if (!S_ISDIR(st.st_mode) || (st.st_mode & 077))
		return fail(err, errlen, "%s: not private (must be a 0700 directory)", p.dir);
	if (check_file(p.key, true, err, errlen) || check_file(p.cert, false, err, errlen))
		return -1;
	*key = read_pem(p.key, true);
	*cert = read_pem(p.cert, false);
	if (!*key || !*cert || X509_check_private_key(*cert, *key) != 1 ||
	    EVP_PKEY_get_base_id(*key) != EVP_PKEY_EC) {
		X509_free(*cert);
		EVP_PKEY_free(*key);
		*cert = NULL;
		*key = NULL;
		return fail(err, errlen, "%s: unreadable CA, or the key does not match", p.dir);
	}
	return 0;
}

int cs_ca_fingerprint(X509 *cert, char colon[CS_FP_COLON_LEN], char hex[CS_FP_HEX_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!X509_digest(cert, EVP_sha256(), md, &n) || n != 32)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		snprintf(colon + 3 * i, 4, i + 1 < n ? "%02X:" : "%02X", md[i]);
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	}
	return 0;
}

int cs_ca_fingerprint_file(const char *path, char colon[CS_FP_COLON_LEN], char hex[CS_FP_HEX_LEN])
{
	X509 *x = read_pem(path, false);
	int rc = x ? cs_ca_fingerprint(x, colon, hex) : -1;

	X509_free(x);
	return rc;
}
