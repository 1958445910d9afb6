// SPDX-License-Identifier: MIT
/*
 * fuzz_config.c - whatever the config file holds, loading it never crashes,
 * the result agrees with the problem list (0 exactly when it is empty),
 * every problem names a JSON path and a reason, the digest is of the bytes
 * read, and an accepted config satisfies the documented bounds.
 *
 * The input is written to a 0600 file in a private temp directory, so
 * permission problems never mask what the content does; the
 * NANOCLAW_TRAFFIC_GUARDIAN_* environment is cleared once at start.
 */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "digest.h"
#include "fuzz_env.h"

static char dir[PATH_MAX], path[PATH_MAX + 16], real[PATH_MAX];
static struct cs_config cfg;
static struct cs_config_problems probs;

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_clear_env();
	fuzz_temp_dir("cs-fuzz-config", dir);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	atexit(cleanup);
	return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	close(fd);
}

#define TERMINATED(field) CHECK(strnlen(field, sizeof(field)) < sizeof(field))

static void check_problems(const struct cs_config_problems *p)
{
	size_t stored = p->n < 64 ? p->n : 64;

	for (size_t i = 0; i < stored; i++) {
		const struct cs_config_problem *it = &p->items[i];

		TERMINATED(it->path);
		TERMINATED(it->reason);
		CHECK(it->path[0] == '$' || !strncmp(it->path, "env:", 4));
		CHECK(it->reason[0]);
	}
}

static void check_lists(const struct cs_config *c)
{
	CHECK(c->n_disabled_patterns <= CS_CFG_MAX_LIST);
	CHECK(c->n_severity_overrides <= CS_CFG_MAX_LIST);
	CHECK(c->n_target_pids <= CS_CFG_MAX_LIST);
	CHECK(c->n_target_cmdline <= CS_CFG_MAX_LIST);
	CHECK(c->n_ipc_roots <= CS_CFG_MAX_LIST);
	CHECK(c->n_inspect_ports <= CS_CFG_MAX_LIST);
	CHECK(c->n_inspect_exclude <= CS_CFG_MAX_LIST);
	for (size_t i = 0; i < c->n_ipc_roots; i++)
		TERMINATED(c->ipc_roots[i]);
	for (size_t i = 0; i < c->n_target_cmdline; i++)
		TERMINATED(c->target_cmdline[i]);
	for (size_t i = 0; i < c->n_disabled_patterns; i++)
		TERMINATED(c->disabled_patterns[i]);
}

/* What docs/config.md promises of a config that loaded without problems. */
static void check_accepted(const struct cs_config *c)
{
	CHECK(!strcmp(c->mode, "detect"));
	CHECK(c->home[0] == '/' && c->log_dir[0] == '/' && c->ca_dir[0] == '/');
	CHECK(c->state_file[0] == '/' && c->status_socket[0] == '/');
	CHECK(c->ringbuf_bytes && !(c->ringbuf_bytes & (c->ringbuf_bytes - 1)));
	CHECK(c->n_ipc_roots >= 1);
	for (size_t i = 0; i < c->n_ipc_roots; i++)
		CHECK(c->ipc_roots[i][0] == '/');
	for (size_t i = 0; i < c->n_inspect_ports; i++)
		CHECK(c->inspect_ports[i] >= 1);
	CHECK(c->container_prefix[0]);
	CHECK(c->proxy_max_conns >= 1 && c->task_timeout_ms >= 100 && c->ipc_poll_ms >= 50);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sha[CS_SHA256_HEX];
	int rc;

	write_input(data, size);
	rc = cs_config_load(path, &cfg, &probs);
	CHECK((rc == 0) == (probs.n == 0));
	CHECK(rc == 0 || rc == -1);
	check_problems(&probs);
	TERMINATED(cfg.config_path);
	TERMINATED(cfg.home);
	TERMINATED(cfg.log_dir);
	TERMINATED(cfg.proxy_listen);
	TERMINATED(cfg.parent_proxy);
	check_lists(&cfg);
	/* The file was read whole: the digest and path describe it. */
	CHECK(cs_sha256_hex(data, size, sha) == 0);
	CHECK(!strcmp(cfg.config_sha256, sha));
	if (!real[0])
		CHECK(realpath(path, real));
	CHECK(!strcmp(cfg.config_path, real));
	if (rc == 0)
		check_accepted(&cfg);
	return 0;
}
