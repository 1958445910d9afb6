/* SPDX-License-Identifier: MIT */
/* ca.c - create, check and load the inspection CA (see ca.h). */
#include "ca.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "fsutil.h"

#define CA_VALID_DAYS 730
#define DOCKER_JSON_MAX (4u << 20)

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

/*
 * Absolute, symlink-free form of a path that may not exist yet: resolve the
 * longest existing prefix and append the rest.
 */
static int normalize(const char *path, char out[PATH_MAX])
{
	char tmp[PATH_MAX], rest[PATH_MAX] = "";
	char *slash;

	if (path[0] != '/' || strlen(path) >= sizeof(tmp))
		return -1;
	strcpy(tmp, path);
	while (!realpath(tmp, out)) {
		slash = strrchr(tmp, '/');
		if (!slash || errno != ENOENT)
			return -1;
		char seg[2 * PATH_MAX + 2];

		snprintf(seg, sizeof(seg), "/%s%s", slash + 1, rest);
		if (strlen(seg) >= sizeof(rest))
			return -1;
		strcpy(rest, seg);
		if (slash == tmp) {
			strcpy(tmp, "/");
			if (!realpath(tmp, out))
				return -1;
			break;
		}
		*slash = '\0';
	}
	if (strcmp(out, "/") == 0 && rest[0])
		out[0] = '\0';
	if (strlen(out) + strlen(rest) >= PATH_MAX)
		return -1;
	strcat(out, rest);
	return 0;
}

/* Is `dir` equal to or below `top`? Both normalized. */
static bool is_within(const char *dir, const char *top)
{
	size_t n = strlen(top);

	if (n == 1 && top[0] == '/')
		return true;
	while (n > 1 && top[n - 1] == '/')
		n--;
	return !strncmp(dir, top, n) && (dir[n] == '\0' || dir[n] == '/');
}

/*
 * Is dir inside the fixed part of an IPC root glob (the directory before its
 * first wildcard)? Every group directory, and whatever may become one, is there.
 */
static bool inside_glob_root(const char *dir, const char *glob)
{
	char top[PATH_MAX], n[PATH_MAX];
	size_t fixed = strcspn(glob, "*?[");
	char *slash;

	if (fixed >= sizeof(top))
		return false;
	memcpy(top, glob, fixed);
	top[fixed] = '\0';
	slash = strrchr(top, '/');
	if (!slash)
		return false;
	if (slash == top)
		slash[1] = '\0';
	else
		*slash = '\0';
	return !normalize(top, n) && is_within(dir, n);
}

static bool source_covers(const char *dir, const char *src)
{
	char n[PATH_MAX];

	return src && src[0] == '/' && !normalize(src, n) && is_within(dir, n);
}

/* Bind sources of one container: hostconfig.json Binds and config.v2.json MountPoints. */
static const char *docker_visible(const char *dir, const char *cdir, char *why, size_t whylen)
{
	static const char *files[] = {"hostconfig.json", "config.v2.json"};

	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX];
		size_t len;
		char *txt;
		cJSON *j, *it;
		const char *hit = NULL;

		if (snprintf(path, sizeof(path), "%s/%s", cdir, files[i]) >= (int)sizeof(path))
			continue;
		txt = cs_read_file(path, DOCKER_JSON_MAX, &len);
		if (!txt)
			continue;
		j = cJSON_ParseWithLength(txt, len);
		free(txt);
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "Binds")) {
			char src[PATH_MAX];

			if (!cJSON_IsString(it))
				continue;
			snprintf(src, sizeof(src), "%.*s", (int)strcspn(it->valuestring, ":"),
				 it->valuestring);
			if (source_covers(dir, src)) {
				snprintf(why, whylen, "%s", src);
				hit = why;
			}
		}
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "MountPoints")) {
			const cJSON *s = cJSON_GetObjectItem(it, "Source");

			if (cJSON_IsString(s) && source_covers(dir, s->valuestring)) {
				snprintf(why, whylen, "%s", s->valuestring);
				hit = why;
			}
		}
		cJSON_Delete(j);
		if (hit)
			return hit;
	}
	return NULL;
}

static int check_docker(const struct cs_config *c, const char *dir, char *err, size_t errlen)
{
	DIR *d = c->docker_containers_dir[0] ? opendir(c->docker_containers_dir) : NULL;
	struct dirent *e;
	char why[PATH_MAX];
	int rc = 0;

	if (!d)
		return 0; /* no Docker state readable here: nothing is bind-mounted */
	while (!rc && (e = readdir(d))) {
		char cdir[PATH_MAX];

		if (e->d_name[0] == '.' ||
		    snprintf(cdir, sizeof(cdir), "%s/%s", c->docker_containers_dir, e->d_name) >=
			    (int)sizeof(cdir))
			continue;
		if (docker_visible(dir, cdir, why, sizeof(why))) {
			snprintf(err, errlen,
				 "%s is visible to a container (bind mount of %s in %s)", dir, why,
				 e->d_name);
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

/*
 * Whoever may write a directory on the way to the CA can rename it away and
 * put their own CA (or an empty directory we would fill) in its place, unless
 * the sticky bit stops them, as on /tmp. Checks every existing ancestor of
 * `dir`, as written (symlinks included) and resolved.
 */
static int check_parents(const char *dir, char *err, size_t errlen)
{
	char up[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(up, sizeof(up), "%s", dir);
	while ((slash = strrchr(up, '/'))) {
		if (slash == up)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (!stat(up, &st) && S_ISDIR(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    !(st.st_mode & S_ISVTX)) {
			snprintf(
				err, errlen,
				"%s: parent directory %s is writable by group or others without "
				"the sticky bit (mode %04o), so another user could replace the CA; "
				"use a CA directory whose parents are not",
				dir, up, (unsigned)(st.st_mode & 07777));
			return -1;
		}
		if (slash == up)
			break;
	}
	return 0;
}

int cs_ca_check_private(const struct cs_config *c, const char *dir, char *err, size_t errlen)
{
	char n[PATH_MAX], top[PATH_MAX];

	if (normalize(dir, n))
		return fail(err, errlen, "%s: not an absolute usable path", dir);
	if (check_parents(dir, err, errlen) || check_parents(n, err, errlen))
		return -1;
	for (size_t i = 0; i < c->n_ipc_roots; i++) {
		if (inside_glob_root(n, c->ipc_roots[i])) {
			snprintf(err, errlen, "%s is inside a container-visible IPC directory (%s)",
				 n, c->ipc_roots[i]);
			return -1;
		}
	}
	if (c->nanoclaw_dir[0] && !normalize(c->nanoclaw_dir, top) && is_within(n, top))
		return fail(err, errlen, "%s is inside the NanoClaw checkout, which containers see",
			    n);
	return check_docker(c, n, err, errlen);
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
	if (lstat(p.dir, &st) || !S_ISDIR(st.st_mode) || (st.st_mode & 077))
		return fail(err, errlen, "%s: missing or not private (must be a 0700 directory)",
			    p.dir);
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
