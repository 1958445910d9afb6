/* SPDX-License-Identifier: MIT */
/*
 * test_proxy_mitm.c - the inspection CA and its leaves: what a minted leaf
 * vouches for (name, issuer, lifetime, usage), the leaf cache, the refusal
 * path, and the CA loader's refusal of a key others can read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "tls_mitm.h"

struct fix {
	char dir[64];
	struct cs_config cfg;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char err[256];

	strcpy(f->dir, "/tmp/cs-mitm-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	cs_config_defaults(&f->cfg);
	snprintf(f->cfg.home, sizeof(f->cfg.home), "%s", f->dir);
	snprintf(f->cfg.ca_dir, sizeof(f->cfg.ca_dir), "%s/ca", f->dir);
	snprintf(f->cfg.ipc_roots[0], sizeof(f->cfg.ipc_roots[0]), "%s/ipc/*", f->dir);
	f->cfg.n_ipc_roots = 1;
	snprintf(f->cfg.docker_containers_dir, sizeof(f->cfg.docker_containers_dir), "%s/none",
		 f->dir);
	f->cfg.nanoclaw_dir[0] = '\0';
	assert_int_equal(cs_ca_create(&f->cfg, false, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static X509 *load_ca(const struct fix *f)
{
	X509 *ca;
	EVP_PKEY *key;
	char err[256];

	assert_int_equal(cs_ca_load(&f->cfg, &ca, &key, err, sizeof(err)), 0);
	EVP_PKEY_free(key);
	return ca;
}

static void test_leaf_vouches_for_the_name_only(void **state)
{
	struct fix *f = *state;
	struct cs_mitm_hello h = {0};
	char err[256];
	struct cs_mitm *m = cs_mitm_new(&f->cfg, NULL, err, sizeof(err));
	X509 *ca = load_ca(f);
	EVP_PKEY *capub = X509_get0_pubkey(ca);
	time_t in3days = time(NULL) + 3 * 86400;

	assert_non_null(m);
	assert_int_equal(cs_mitm_decide(m, &h, "api.test", true), 0);
	assert_int_equal(h.decision, CS_HELLO_GO);
	assert_non_null(h.leaf);
	assert_int_equal(X509_verify(h.leaf, capub), 1);
	assert_int_equal(X509_check_host(h.leaf, "api.test", 0, 0, NULL), 1);
	assert_int_not_equal(X509_check_host(h.leaf, "other.test", 0, 0, NULL), 1);
	assert_int_equal(X509_check_issued(ca, h.leaf), X509_V_OK);
	assert_true(X509_cmp_time(X509_get0_notAfter(h.leaf), &in3days) < 0);
	assert_true(X509_get_extended_key_usage(h.leaf) & XKU_SSL_SERVER);
	assert_int_equal(X509_check_ca(h.leaf), 0);
	assert_int_equal(X509_check_private_key(h.leaf, h.key), 1);
	cs_mitm_hello_clear(&h);
	X509_free(ca);
	cs_mitm_free(m);
}

static void test_ip_leaf_and_cache(void **state)
{
	struct fix *f = *state;
	struct cs_mitm_hello h = {0};
	char err[256];
	struct cs_mitm *m = cs_mitm_new(&f->cfg, NULL, err, sizeof(err));
	size_t minted, hits;
	X509 *first;

	assert_non_null(m);
	assert_int_equal(cs_mitm_decide(m, &h, "127.0.0.1", true), 0);
	assert_int_equal(X509_check_ip_asc(h.leaf, "127.0.0.1", 0), 1);
	first = h.leaf;
	X509_up_ref(first);
	assert_int_equal(cs_mitm_decide(m, &h, "127.0.0.1", true), 0);
	assert_ptr_equal(h.leaf, first); /* served from the cache */
	cs_mitm_counts(m, &minted, &hits);
	assert_int_equal(minted, 1);
	assert_int_equal(hits, 1);
	X509_free(first);
	cs_mitm_hello_clear(&h);
	cs_mitm_free(m);
}

static void test_failed_upstream_gives_no_leaf(void **state)
{
	struct fix *f = *state;
	struct cs_mitm_hello h = {0};
	char err[256];
	struct cs_mitm *m = cs_mitm_new(&f->cfg, NULL, err, sizeof(err));

	assert_non_null(m);
	assert_int_equal(cs_mitm_decide(m, &h, "api.test", false), 0);
	assert_int_equal(h.decision, CS_HELLO_FAIL);
	assert_null(h.leaf);
	cs_mitm_free(m);
}

static void test_loader_refuses_readable_key(void **state)
{
	struct fix *f = *state;
	struct cs_ca_paths p;
	X509 *ca;
	EVP_PKEY *key;
	char err[256];

	assert_int_equal(cs_ca_paths(&f->cfg, &p), 0);
	assert_int_equal(chmod(p.key, 0644), 0);
	assert_int_equal(cs_ca_load(&f->cfg, &ca, &key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0600"));
	assert_null(ca);
	assert_null(key);
	assert_null(cs_mitm_new(&f->cfg, NULL, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_leaf_vouches_for_the_name_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ip_leaf_and_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_upstream_gives_no_leaf, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_loader_refuses_readable_key, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
