// SPDX-License-Identifier: MIT
/*
 * gofunc: crypto/tls.(*Conn).Write/Read and Read's RETs found through the
 * pclntab of a Go client built here (tests/fixtures/go/client.go, with and
 * without -ldflags=-s -w), checked against Go's own tools (`go tool nm` for
 * the entries, `go tool objdump` for the RETs) on the unstripped build; a
 * non-Go executable and damaged copies give a clean refusal, and a running
 * damaged copy is a target whose note says why it is not visible.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "gofunc.h"
#include "targets.h"

static char dir[] = "/tmp/clawsec-gofunc.XXXXXX";
static char plain[128], stripped[128], bad[128];

static int run(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* Builds both clients once, offline, caches in the temp dir. */
static int build(void **state)
{
	char cmd[1024];

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(plain, sizeof(plain), "%s/client", dir);
	snprintf(stripped, sizeof(stripped), "%s/client_s", dir);
	snprintf(bad, sizeof(bad), "%s/client_bad", dir);
	snprintf(
		cmd, sizeof(cmd),
		"cd %s && export GOCACHE=%s/cache GOPATH=%s/gopath GOFLAGS= GO111MODULE=off "
		"GOTOOLCHAIN=local GOPROXY=off && go build -o client %s/tests/fixtures/go/client.go"
		" && go build -ldflags='-s -w' -o client_s %s/tests/fixtures/go/client.go",
		dir, dir, dir, CS_SOURCE_DIR, CS_SOURCE_DIR);
	if (run(cmd)) {
		fprintf(stderr, "go build failed (scripts/setup.sh installs golang-go)\n");
		return -1;
	}
	return 0;
}

static int cleanup(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "chmod -R u+w %s; rm -rf %s", dir, dir);
	return run(cmd);
}

/* One number a shell pipeline prints. */
static uint64_t number_from(const char *cmd, int base)
{
	char line[64] = "";
	FILE *f = popen(cmd, "r");

	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	pclose(f);
	return strtoull(line, NULL, base);
}

static uint64_t nm_addr(const char *func)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "go tool nm %s | awk '$3 == \"%s\" {print $1}'", plain, func);
	return number_from(cmd, 16);
}

/* RET addresses of Read per `go tool objdump`, sorted, one per line. */
static unsigned int objdump_rets(uint64_t *rets, unsigned int max)
{
	char cmd[512], line[64];
	unsigned int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "go tool objdump -s '^crypto/tls\\.\\(\\*Conn\\)\\.Read$' %s | "
		 "awk '$4 == \"RET\" {print $2}'",
		 plain);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (n < max && fgets(line, sizeof(line), f))
		rets[n++] = strtoull(line, NULL, 16);
	pclose(f);
	return n;
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

static void check(const char *path, struct cs_go_tls *r)
{
	int e = cs_gofunc_find(path, r);

	if (e)
		fprintf(stderr, "%s: %d %s\n", path, e, r->reason);
	assert_int_equal(e, 0);
	assert_string_equal(r->reason, "");
	assert_true(!strncmp(r->version, "go1.", 4));
	assert_true(r->write.vaddr < r->write.end && r->read.vaddr < r->read.end);
}

/* Go's non-PIE amd64 layout: file offset = vaddr - 0x400000. */
static void unstripped_matches_go_tools(void **state)
{
	struct cs_go_tls r;
	uint64_t rets[CS_GO_MAX_RETS];
	unsigned int n;

	(void)state;
	check(plain, &r);
	assert_int_equal(r.write.vaddr, nm_addr("crypto/tls.(*Conn).Write"));
	assert_int_equal(r.read.vaddr, nm_addr("crypto/tls.(*Conn).Read"));
	assert_int_equal(r.read.offset, r.read.vaddr - 0x400000);
	n = objdump_rets(rets, CS_GO_MAX_RETS);
	assert_true(n > 0);
	assert_int_equal(r.n_rets, n);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(r.read_rets[i], rets[i] - 0x400000);
}

/* -s -w drops the symbol table and DWARF, not the pclntab: same answers. */
static void stripped_finds_the_same(void **state)
{
	struct cs_go_tls a, b;
	char cmd[256];

	(void)state;
	check(plain, &a);
	check(stripped, &b);
	snprintf(cmd, sizeof(cmd), "go tool nm %s >/dev/null 2>&1", stripped);
	assert_int_not_equal(run(cmd), 0); /* no symbol table left */
	assert_string_equal(a.version, b.version);
	assert_int_equal(a.n_rets, b.n_rets);
	assert_int_equal(a.read.end - a.read.vaddr, b.read.end - b.read.vaddr);
	assert_int_equal(a.write.end - a.write.vaddr, b.write.end - b.write.vaddr);
}

static void not_go(void **state)
{
	struct cs_go_tls r;

	(void)state;
	assert_int_equal(cs_gofunc_find("/bin/true", &r), -ENOENT);
	assert_string_equal(r.reason, "no Go 1.18+ function table");
	assert_false(r.has_tls);
	assert_int_equal(r.n_rets, 0);
	assert_int_equal(cs_gofunc_find("/nonexistent/clawsec", &r), -ENOENT);
	assert_int_equal(cs_gofunc_scan_mem("\x7f"
					    "ELF",
					    4, &r),
			 -ENOEXEC);
}

/* Read's first byte made undecodable, or its table entry renamed: refused. */
static void damaged_copies_refused(void **state)
{
	struct cs_go_tls r;
	uint8_t *img;
	size_t size;
	FILE *f = fopen(stripped, "rb");
	struct stat st;

	(void)state;
	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	size = (size_t)st.st_size;
	img = malloc(size);
	assert_non_null(img);
	assert_int_equal(fread(img, 1, size, f), size);
	fclose(f);
	assert_int_equal(cs_gofunc_scan_mem(img, size, &r), 0);
	/* 0x0f 0x0b is ud2 (decodes); 0x06 (push es) does not exist in 64-bit mode */
	img[r.read.offset] = 0x06;
	assert_int_equal(cs_gofunc_scan_mem(img, size, &r), -ENOENT);
	assert_string_equal(r.reason, "Read: no instruction at +0x0");
	assert_true(r.has_tls);
	write_file(bad, img, size);
	for (size_t i = 0; i + 23 < size; i++)
		if (!memcmp(img + i, "crypto/tls.(*Conn).Read", 24))
			img[i] = 'C';
	assert_int_equal(cs_gofunc_scan_mem(img, size, &r), -ENOENT);
	assert_string_equal(r.reason, "crypto/tls.(*Conn).Write/Read not found exactly once");
	/* every prefix of a Go binary: a clean answer, never a crash */
	for (size_t cut = 0; cut < size; cut += size / 97 + 1)
		assert_true(cs_gofunc_scan_mem(img, cut, &r) < 0);
	free(img);
}

static void on_target(void *ctx, enum cs_target_event ev, struct cs_target *t)
{
	(void)ctx;
	(void)ev;
	(void)t;
}

/*
 * The damaged copy runs (it waits for a file that never comes, so its Read
 * never executes): a target with no TLS path whose warning names the reason.
 */
static void refused_target_says_why(void **state)
{
	char gofile[160], comm[32] = "";
	char *argv[] = {bad, "https://127.0.0.1:1/", gofile, "k", "/dev/null", NULL};
	struct cs_targets *ts = cs_targets_new(on_target, NULL);
	struct cs_target *t;
	pid_t pid;
	int pids[1];
	struct cs_target_rules rules = {.pids = pids, .n_pids = 1, .container_prefix = "nanoclaw-"};
	char err[128], path[64];

	(void)state;
	assert_non_null(ts);
	snprintf(gofile, sizeof(gofile), "%s/never.go", dir);
	pid = fork();
	if (pid == 0) {
		execv(bad, argv);
		_exit(127);
	}
	assert_true(pid > 0);
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	for (int i = 0; i < 200 && strncmp(comm, "client_bad", 10); i++) {
		FILE *f = fopen(path, "r");

		if (f && !fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		if (f)
			fclose(f);
		usleep(10000);
	}
	pids[0] = pid;
	assert_int_equal(cs_targets_set_rules(ts, &rules, err, sizeof(err)), 0);
	assert_int_equal(cs_targets_scan(ts), 0);
	t = cs_targets_find(ts, pid);
	assert_non_null(t);
	assert_int_equal(t->tls, CS_TLS_NONE);
	assert_true(cs_targets_on_net_io(ts, pid));
	assert_string_equal(t->note,
			    "TLS not visible (Read: no instruction at +0x0): use proxy mode");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cs_targets_free(ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unstripped_matches_go_tools),
		cmocka_unit_test(stripped_finds_the_same),
		cmocka_unit_test(not_go),
		cmocka_unit_test(damaged_copies_refused),
		cmocka_unit_test(refused_target_says_why),
	};

	return cmocka_run_group_tests(tests, build, cleanup);
}
