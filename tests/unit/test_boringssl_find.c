// SPDX-License-Identifier: MIT
/*
 * BoringSSL's AEAD seal/open functions found without symbols in the real Bun
 * binaries from npm (tests/fixtures/node, pinned in its lockfile), and clean
 * answers for everything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gelf.h>

#include "boringssl_find.h"
#include "elfimg.h"
#include "elfsym.h"

#define BUN12 CS_SOURCE_DIR "/tests/fixtures/node/node_modules/bun12/bin/bun"
#define BUN13 CS_SOURCE_DIR "/tests/fixtures/node/node_modules/bun13/bin/bun"
#define BUN14 CS_SOURCE_DIR "/tests/fixtures/node/node_modules/bun14/bin/bun"

/* What a finder must return for one binary: role and uprobe offset of each function. */
struct want {
	int role;
	uint64_t offset;
};

/* Bun 1.4.5, measured with a bpftrace prototype (shared notes). */
static const struct want bun14_fns[] = {
	{CS_BSSL_OPEN, 0x238cee0}, /* every AES-GCM table's open */
	{CS_BSSL_SEAL, 0x23a2fc0}, /* TLS 1.3 AES-GCM */
	{CS_BSSL_SEAL, 0x653c640}, /* plain AES-GCM */
	{CS_BSSL_SEAL, 0x653c730}, /* TLS 1.2 AES-GCM */
	{CS_BSSL_SEAL, 0x6567bb0}, /* ChaCha20-Poly1305 */
	{CS_BSSL_OPEN, 0x65686d0}, /* ChaCha20-Poly1305 */
};

/* Bun 1.2.23: the targets of the pointer stores of its init code (objdump). */
static const struct want bun12_fns[] = {
	{CS_BSSL_SEAL, 0x5deb3a0}, {CS_BSSL_OPEN, 0x5deb3f0}, {CS_BSSL_SEAL, 0x5debf90},
	{CS_BSSL_SEAL, 0x5dec1a0}, {CS_BSSL_SEAL, 0x5e99df0}, {CS_BSSL_OPEN, 0x5e9a0e0},
};

/*
 * Bun 1.3.14, the first with the iovec convention (objdump of its init code);
 * its open at 0x391ea20 follows the previous function's pop %rbp; ret directly.
 */
static const struct want bun13_fns[] = {
	{CS_BSSL_SEAL, 0x391e9f0}, {CS_BSSL_OPEN, 0x391ea20}, {CS_BSSL_SEAL, 0x391f870},
	{CS_BSSL_SEAL, 0x391fa80}, {CS_BSSL_SEAL, 0x3a089c0}, {CS_BSSL_OPEN, 0x3a095b0},
};

static double ms(uint64_t us)
{
	return (double)us / 1000.0;
}

/* The entry proof, checked here from the file's own bytes, not through the finder. */
static void assert_entry_in_file(const char *path, uint64_t offset)
{
	uint8_t b[6];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, sizeof(b), (off_t)offset - 2), (ssize_t)sizeof(b));
	close(fd);
	assert_int_equal(offset % 16, 0);
	/* int3 padding, or the previous function's pop %rbp; ret */
	assert_true(b[1] == 0xcc || (b[0] == 0x5d && b[1] == 0xc3));
	assert_memory_equal(b + 2, "\x55\x48\x89\xe5", 4);
}

/* Bun has no .eh_frame_hdr: the FDE proof is unavailable, so the entry proof is used. */
static void assert_no_fde_table(const char *path)
{
	struct cs_elfimg img;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(cs_elfimg_from_fd(&img, fd, (uint64_t)st.st_size), 0);
	assert_int_equal(img.eh_hdr_size, 0);
	assert_int_equal(cs_elfimg_is_fde_start(&img, img.load[0].vaddr), -ENOENT);
	close(fd);
}

static void check_bun(const char *path, const struct want *want, unsigned int n,
		      const char *version, uint64_t text_delta)
{
	struct cs_boringssl_fns cold, warm;

	if (access(path, R_OK))
		fail_msg("%s is missing: run scripts/setup.sh (npm ci of tests/fixtures/node)",
			 path);
	cs_boringssl_cache_clear();
	assert_int_equal(cs_boringssl_find(path, &cold), 0);
	assert_int_equal(cold.cached, 0);
	assert_int_equal(cold.n_fns, n);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(cold.fns[i].role, want[i].role);
		assert_int_equal(cold.fns[i].offset, want[i].offset);
		/* non-PIE: offset = vaddr - p_vaddr + p_offset of the text segment */
		assert_int_equal(cold.fns[i].vaddr - cold.fns[i].offset, text_delta);
		assert_int_equal(cold.fns[i].proof, CS_BSSL_PROOF_ENTRY);
		assert_entry_in_file(path, want[i].offset);
	}
	/* one constant ChaCha20-Poly1305 table, six AES-GCM tables filled by init code */
	assert_int_equal(cold.tables, 7);
	assert_int_equal(cold.rodata_tables, 1);
	assert_int_equal(cold.init_tables, 6);
	assert_int_equal(cold.dropped, 0);
	assert_string_equal(cold.reason, "");
	assert_int_equal(cold.layouts, CS_BSSL_LAYOUT_72);
	assert_int_equal(cold.pie, 0);
	assert_string_equal(cold.version, version);
	assert_int_equal(cold.build_id_len, 20);
	assert_no_fde_table(path);

	assert_int_equal(cs_boringssl_find(path, &warm), 0);
	assert_int_equal(warm.cached, 1);
	assert_int_equal(warm.n_fns, n);
	assert_memory_equal(warm.fns, cold.fns, sizeof(cold.fns));
	print_message("bun %s: %u functions from %u tables, cold %.1f ms, cached %.3f ms "
		      "(loaded shared machine)\n",
		      version, cold.n_fns, cold.tables, ms(cold.scan_us), ms(warm.scan_us));
}

static void bun14_functions(void **state)
{
	(void)state;
	check_bun(BUN14, bun14_fns, 6, "1.4.5", 0x1a40d00 - 0x1838d00);
}

static void bun13_functions(void **state)
{
	(void)state;
	check_bun(BUN13, bun13_fns, 6, "1.3.14", 0x24c7e00 - 0x2067e00);
}

static void bun12_functions(void **state)
{
	(void)state;
	check_bun(BUN12, bun12_fns, 6, "1.2.23", 0x2aeae00 - 0x27eae00);
}

/* Absolute path of prog found in $PATH, or NULL. */
static const char *which(const char *prog, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/%s", d, prog);
		if (!access(buf, X_OK))
			return buf;
	}
	return NULL;
}

static void plain_binary_has_none(void **state)
{
	struct cs_boringssl_fns r;
	char tru[4096];

	(void)state;
	assert_non_null(which("true", tru, sizeof(tru)));
	assert_int_equal(cs_boringssl_find(tru, &r), 0);
	assert_int_equal(r.n_fns, 0);
	assert_int_equal(r.tables, 0);
	assert_non_null(strstr(r.reason, "no BoringSSL AEAD method table"));
	assert_string_equal(r.version, "");
}

/* node links OpenSSL (the SSL_* path); it has no BoringSSL method table. */
static void node_is_the_openssl_path(void **state)
{
	struct cs_boringssl_fns r;
	unsigned int mask = 0;
	char node[4096];

	(void)state;
	assert_non_null(which("node", node, sizeof(node)));
	assert_int_equal(cs_elf_tls_symbols(node, &mask), 0);
	assert_true(mask & CS_SYM_SSL_WRITE);
	assert_int_equal(cs_boringssl_find(node, &r), 0);
	assert_int_equal(r.n_fns, 0);
	assert_true(r.reason[0]);
}

/* Copy the first len bytes of src to a new temp file; its path in buf. */
static void copy_prefix(const char *src, size_t len, char *buf)
{
	static char chunk[1 << 16];
	int in = open(src, O_RDONLY | O_CLOEXEC), out;

	strcpy(buf, "/tmp/cs-bssl-XXXXXX");
	out = mkstemp(buf);
	assert_true(in >= 0 && out >= 0);
	while (len) {
		ssize_t n = read(in, chunk, len < sizeof(chunk) ? len : sizeof(chunk));

		assert_true(n > 0);
		assert_int_equal(write(out, chunk, (size_t)n), n);
		len -= (size_t)n;
	}
	close(in);
	close(out);
}

static void bad_files_give_clean_errors(void **state)
{
	struct cs_boringssl_fns r;
	char path[64];
	int fd;

	(void)state;
	/* Bun cut in the middle of its text segment: headers point past the end */
	copy_prefix(BUN14, 40u << 20, path);
	assert_int_equal(cs_boringssl_find(path, &r), -ENOEXEC);
	assert_int_equal(r.n_fns, 0);
	assert_true(r.reason[0]);
	/* only the ELF and program headers */
	assert_int_equal(truncate(path, 64 + 9 * 56), 0);
	assert_int_equal(cs_boringssl_find(path, &r), -ENOEXEC);
	/* an ELF header whose program header table lies outside the file */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_int_equal(pwrite(fd, "\xff\xff\xff\x7f", 4, 0x20), 4);
	close(fd);
	assert_int_equal(cs_boringssl_find(path, &r), -ENOEXEC);
	/* not ELF, not a regular file, not there */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	assert_int_equal(cs_boringssl_find(path, &r), -ENOEXEC);
	unlink(path);
	assert_int_equal(cs_boringssl_find(path, &r), -ENOENT);
	assert_non_null(strstr(r.reason, "cannot open"));
	assert_int_equal(cs_boringssl_find("/tmp", &r), -ENOEXEC);
	assert_int_equal(cs_boringssl_find("/dev/null", &r), -ENOEXEC);
}

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/*
 * /proc/PID/exe of a running Bun: the same answer, from the cache (same
 * inode). Opened once, the scanned file stays the one /proc/self/fd/N names
 * after the process is gone (what the attacher hands to the kernel).
 */
static void found_through_proc_exe(void **state)
{
	char *argv[] = {BUN14, "-e", "setTimeout(() => {}, 60000)", NULL};
	struct cs_boringssl_fns r, by_fd;
	struct stat via_fd, fixture;
	char exe[64], self_fd[64];
	int err = -1, fd = -1;
	pid_t pid;

	(void)state;
	pid = spawn(argv);
	assert_true(pid > 0);
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	for (int i = 0; i < 500; i++) {
		char target[4096];
		ssize_t n = readlink(exe, target, sizeof(target) - 1);

		if (n > 0 && (target[n] = 0, strstr(target, "bun14"))) {
			err = cs_boringssl_find(exe, &r);
			fd = cs_boringssl_open(exe);
			break;
		}
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(err, 0);
	assert_int_equal(r.n_fns, 6);
	for (unsigned int i = 0; i < 6; i++)
		assert_int_equal(r.fns[i].offset, bun14_fns[i].offset);
	assert_true(fd >= 0);
	assert_int_equal(cs_boringssl_find_fd(fd, &by_fd), 0);
	assert_memory_equal(by_fd.fns, r.fns, sizeof(r.fns));
	snprintf(self_fd, sizeof(self_fd), "/proc/self/fd/%d", fd);
	assert_int_equal(stat(self_fd, &via_fd), 0);
	assert_int_equal(stat(BUN14, &fixture), 0);
	assert_int_equal(via_fd.st_ino, fixture.st_ino);
	assert_int_equal(via_fd.st_dev, fixture.st_dev);
	close(fd);
	assert_int_equal(cs_boringssl_open(exe), -ENOENT);
}

/*
 * /proc/PID/root/... of a process in another root (chroot, as a container's
 * mount namespace would be): paths resolve inside that root, so an absolute
 * symlink planted there cannot reach a host file.
 */
static void proc_root_stays_in_the_root(void **state)
{
	char root[] = "/tmp/cs-bssl-root-XXXXXX", p[4200];
	struct cs_boringssl_fns r;
	int sync[2];
	pid_t pid;
	char c;

	(void)state;
	if (geteuid()) {
		print_message("not root: chroot part skipped\n");
		skip();
	}
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/app", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/app/bun", root);
	assert_int_equal(symlink(BUN14, p), 0);
	assert_int_equal(pipe2(sync, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		if (chroot(root) || chdir("/"))
			_exit(1);
		close(sync[1]);
		(void)!read(sync[0], &c, 1); /* until the parent closes it */
		_exit(0);
	}
	close(sync[0]);
	snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
	for (int i = 0; i < 500; i++) {
		char target[4096];
		ssize_t n = readlink(p, target, sizeof(target) - 1);

		if (n > 0 && (target[n] = 0, !strcmp(target, root)))
			break;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	/* the link points at a host path that exists: inside the root, it does not */
	snprintf(p, sizeof(p), "/proc/%d/root/app/bun", (int)pid);
	assert_int_equal(cs_boringssl_find(p, &r), -ENOENT);
	snprintf(p, sizeof(p), "/proc/%d/root/../../../../%s", (int)pid, BUN14);
	assert_int_equal(cs_boringssl_find(p, &r), -ENOENT);
	close(sync[1]);
	waitpid(pid, NULL, 0);
	snprintf(p, sizeof(p), "%s/app/bun", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/app", root);
	rmdir(p);
	rmdir(root);
	/* this process's own root: the plain file is found */
	snprintf(p, sizeof(p), "/proc/%d/root%s", (int)getpid(), BUN14);
	assert_int_equal(cs_boringssl_find(p, &r), 0);
	assert_int_equal(r.n_fns, 6);
}

/* A temp dir per test in *state, removed by the teardown even when the test fails. */
static int make_tmpdir(void **state)
{
	char *dir = strdup("/tmp/cs-bssl-XXXXXX");

	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int remove_tmpdir(void **state)
{
	char cmd[128];
	int rc;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	rc = system(cmd);
	free(*state);
	return rc ? -1 : 0;
}

#define AEAD_SRC CS_SOURCE_DIR "/tests/fixtures/aead/aead_tables.c"

/* clang -O2 the fixture into out with extra flags, and a stripped copy out.stripped. */
static void build_fixture(const char *out, const char *flags)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -fno-omit-frame-pointer %s -o '%s' '%s' && "
		 "objcopy --strip-all '%s' '%s.stripped'",
		 flags, out, AEAD_SRC, out, out);
	assert_int_equal(system(cmd), 0);
}

/* Value of symbol name and the uprobe offset of that address, read with libelf. */
static void lookup(const char *path, const char *name, uint64_t *vaddr, uint64_t *offset)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	size_t nph = 0;
	Elf *elf;

	*vaddr = *offset = 0;
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d = elf_getdata(scn, NULL);
		GElf_Shdr sh;
		GElf_Sym sym;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		for (int i = 0; gelf_getsym(d, i, &sym); i++) {
			if (!strcmp(elf_strptr(elf, sh.sh_link, sym.st_name), name))
				*vaddr = sym.st_value;
		}
	}
	assert_int_equal(elf_getphdrnum(elf, &nph), 0);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    *vaddr >= ph.p_vaddr && *vaddr < ph.p_vaddr + ph.p_filesz)
			*offset = *vaddr - ph.p_vaddr + ph.p_offset;
	}
	elf_end(elf);
	close(fd);
	assert_true(*vaddr && *offset);
}

static const struct {
	const char *name;
	int role;
} fixture_fns[] = {
	{"seal_a", CS_BSSL_SEAL},  {"open_a", CS_BSSL_OPEN},  /* constant, 72 bytes */
	{"sealv_b", CS_BSSL_SEAL}, {"openv_b", CS_BSSL_OPEN}, /* constant, 96 bytes */
	{"seal_c", CS_BSSL_SEAL},  {"open_c", CS_BSSL_OPEN},  /* .bss, init code */
};

/* Compiler-made tables, PIE and not: every shape found, each entry an FDE start. */
static void check_fixture(const char *dir, const char *flags, int pie)
{
	char bin[64], stripped[80];
	struct cs_boringssl_fns r;

	snprintf(bin, sizeof(bin), "%s/aead", dir);
	snprintf(stripped, sizeof(stripped), "%s.stripped", bin);
	build_fixture(bin, flags);
	assert_int_equal(cs_boringssl_find(stripped, &r), 0);
	assert_int_equal(r.pie, pie);
	assert_int_equal(r.n_fns, 6);
	for (unsigned int i = 0; i < 6; i++) {
		const struct cs_bssl_fn *f = NULL;
		uint64_t vaddr, offset;

		lookup(bin, fixture_fns[i].name, &vaddr, &offset);
		for (unsigned int j = 0; j < r.n_fns; j++) {
			if (r.fns[j].vaddr == vaddr)
				f = &r.fns[j];
		}
		assert_non_null(f);
		assert_int_equal(f->role, fixture_fns[i].role);
		assert_int_equal(f->offset, offset);
		assert_int_equal(f->proof, CS_BSSL_PROOF_FDE);
	}
	assert_int_equal(r.tables, 3);
	assert_int_equal(r.rodata_tables, 2);
	assert_int_equal(r.init_tables, 1);
	assert_int_equal(r.layouts, CS_BSSL_LAYOUT_72 | CS_BSSL_LAYOUT_96);
	/* table_bad's seal points 4 bytes into seal_d */
	assert_int_equal(r.dropped, 1);
	assert_non_null(strstr(r.reason,
			       "1 candidate table(s) dropped: not the start of an .eh_frame FDE"));
}

static void compiled_pie(void **state)
{
	check_fixture(*state, "-fPIE -pie", 1);
}

static void compiled_non_pie(void **state)
{
	check_fixture(*state, "-fno-pie -no-pie", 0);
}

/*
 * Without .eh_frame_hdr and with the linker's nop padding (not lld's int3),
 * no entry can be proven: nothing is returned, and the reason says why.
 */
static void no_fde_table_and_nop_padding(void **state)
{
	const char *dir = *state;
	char bin[64], stripped[80];
	struct cs_boringssl_fns r;

	snprintf(bin, sizeof(bin), "%s/aead", dir);
	snprintf(stripped, sizeof(stripped), "%s.stripped", bin);
	build_fixture(bin, "-fno-pie -no-pie -fno-asynchronous-unwind-tables -fno-unwind-tables "
			   "-Wl,--no-eh-frame-hdr");
	assert_int_equal(cs_boringssl_find(stripped, &r), 0);
	assert_int_equal(r.n_fns, 0);
	assert_int_equal(r.tables, 0);
	assert_int_equal(r.dropped, 4);
	assert_non_null(strstr(r.reason, "no entry proven: no FDE table"));
}

/*
 * A single-file executable made by `bun build --compile` (the shape of Claude
 * Code): Bun's own binary with the bundled script added. Same functions.
 */
static void bun_compiled_executable(void **state)
{
	const char *dir = *state;
	char cmd[8192], path[64];
	struct cs_boringssl_fns r, again;
	FILE *f;

	snprintf(path, sizeof(path), "%s/agent.ts", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("const key = process.env.ANTHROPIC_API_KEY ?? '';\n"
	      "const r = await fetch(process.argv[2], {method: 'POST',\n"
	      "  headers: {'x-api-key': key}, body: JSON.stringify({model: 'x'})});\n"
	      "console.log(r.status, await r.text());\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && HOME='%s' BUN_INSTALL_CACHE_DIR='%s/cache' '%s' build --compile "
		 "agent.ts --outfile agent >/dev/null",
		 dir, dir, dir, BUN14);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/agent", dir);
	cs_boringssl_cache_clear();
	assert_int_equal(cs_boringssl_find(path, &r), 0);
	assert_int_equal(r.cached, 0);
	assert_int_equal(r.n_fns, 6);
	for (unsigned int i = 0; i < 6; i++) {
		assert_int_equal(r.fns[i].role, bun14_fns[i].role);
		assert_int_equal(r.fns[i].offset, bun14_fns[i].offset);
		assert_entry_in_file(path, bun14_fns[i].offset);
	}
	assert_string_equal(r.version, "1.4.5");
	assert_int_equal(cs_boringssl_find(path, &again), 0);
	assert_int_equal(again.cached, 1);
	print_message("bun build --compile: %u functions, cold %.1f ms, cached %.3f ms\n", r.n_fns,
		      ms(r.scan_us), ms(again.scan_us));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bun14_functions),
		cmocka_unit_test(bun13_functions),
		cmocka_unit_test(bun12_functions),
		cmocka_unit_test_setup_teardown(bun_compiled_executable, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test_setup_teardown(compiled_pie, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(compiled_non_pie, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(no_fde_table_and_nop_padding, make_tmpdir,
						remove_tmpdir),
		cmocka_unit_test(plain_binary_has_none),
		cmocka_unit_test(node_is_the_openssl_path),
		cmocka_unit_test(bad_files_give_clean_errors),
		cmocka_unit_test(found_through_proc_exe),
		cmocka_unit_test(proc_root_stays_in_the_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
