// SPDX-License-Identifier: MIT
/*
 * cs_tls_links (tls_stack.h), the uprobes every TLS stack keeps per binary,
 * against the kernel: a function's entry and return probes are attached both
 * or neither, a full set refuses more, and detaching leaves no link behind.
 * The probes are real ones (bpf/openssl.bpf.c's programs) on a function of
 * this test's own executable, counted in the kernel's link table. Needs root
 * and BTF: skipped without them, failed when CI=true.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "need_bpf.h"

#include "elfsym.h"
#include "tls_stack.h"

#include "openssl.skel.h"

/* The probed function: never called, only its entry is used. */
__attribute__((noinline, used)) int cs_test_probed(int x)
{
	return x * 3 + 1;
}

/* The kernel's links that run prog (libbpf attaches uprobes as perf_event links). */
static int kernel_links(const struct bpf_program *prog)
{
	struct bpf_prog_info pi = {0};
	__u32 len = sizeof(pi), id = 0;
	int n = 0;

	assert_int_equal(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &pi, &len), 0);
	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info li = {0};
		__u32 ll = sizeof(li);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue; /* gone meanwhile */
		if (!bpf_obj_get_info_by_fd(fd, &li, &ll) && li.prog_id == pi.id)
			n++;
		close(fd);
	}
	return n;
}

/* The file offset of cs_test_probed in this executable. */
static uint64_t probed_offset(void)
{
	const char *names[] = {"cs_test_probed"};
	unsigned int mask = 0;
	uint64_t off = 0;

	assert_int_equal(cs_elf_function_offsets("/proc/self/exe", names, 1, &mask, &off), 0);
	assert_int_equal(mask, 1);
	assert_true(off > 0);
	return off;
}

static void links_both_or_neither(void **state)
{
	const char *exe = "/proc/self/exe";
	struct openssl_bpf *skel;
	struct cs_tls_links *ls;
	uint64_t off;

	(void)state;
	need_bpf();
	off = probed_offset();
	skel = openssl_bpf__open();
	assert_non_null(skel);
	/* a return program that is never loaded: attaching it fails */
	assert_int_equal(bpf_program__set_autoload(skel->progs.cs_ssl_read_r, false), 0);
	assert_int_equal(openssl_bpf__load(skel), 0);
	ls = cs_tls_links_new(4);
	assert_non_null(ls);

	/* entry and return, on one site */
	assert_int_equal(cs_tls_links_add(ls, skel->progs.cs_ssl_write, skel->progs.cs_ssl_write_r,
					  exe, NULL, off),
			 0);
	assert_int_equal(cs_tls_links_count(ls), 2);
	assert_int_equal(kernel_links(skel->progs.cs_ssl_write), 1);
	assert_int_equal(kernel_links(skel->progs.cs_ssl_write_r), 1);

	/* the return probe fails: the entry probe attached first is detached again */
	assert_int_equal(cs_tls_links_add(ls, skel->progs.cs_ssl_read, skel->progs.cs_ssl_read_r,
					  exe, NULL, off),
			 -EINVAL);
	assert_int_equal(cs_tls_links_count(ls), 2);
	assert_int_equal(kernel_links(skel->progs.cs_ssl_read), 0);

	/* an entry alone, then one place left: a pair does not fit */
	assert_int_equal(cs_tls_links_add(ls, skel->progs.cs_ssl_free, NULL, exe, NULL, off), 0);
	assert_int_equal(cs_tls_links_count(ls), 3);
	assert_int_equal(kernel_links(skel->progs.cs_ssl_free), 1);
	assert_int_equal(cs_tls_links_add(ls, skel->progs.cs_ssl_read_ex,
					  skel->progs.cs_ssl_read_exr, exe, NULL, off),
			 -ENOSPC);
	assert_int_equal(cs_tls_links_count(ls), 3);
	assert_int_equal(kernel_links(skel->progs.cs_ssl_read_ex), 0);

	cs_tls_links_detach(ls);
	assert_int_equal(kernel_links(skel->progs.cs_ssl_write), 0);
	assert_int_equal(kernel_links(skel->progs.cs_ssl_write_r), 0);
	assert_int_equal(kernel_links(skel->progs.cs_ssl_free), 0);
	cs_tls_links_detach(NULL);
	openssl_bpf__destroy(skel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(links_both_or_neither),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
