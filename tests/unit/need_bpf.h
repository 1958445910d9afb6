/* SPDX-License-Identifier: MIT */
/*
 * need_bpf.h - shared by the unit tests that load eBPF (include after
 * cmocka.h): without root or BTF they skip, but CI=true turns the skip into
 * a failure (CI runs as root on a kernel with BTF).
 */
#ifndef CS_TEST_NEED_BPF_H
#define CS_TEST_NEED_BPF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void need_bpf(void)
{
	const char *why = NULL;

	if (geteuid() != 0)
		why = "needs root";
	else if (access("/sys/kernel/btf/vmlinux", R_OK))
		why = "kernel has no BTF";
	if (!why)
		return;
	if (getenv("CI") && !strcmp(getenv("CI"), "true"))
		fail_msg("eBPF test %s, and CI=true forbids skipping", why);
	fprintf(stderr, "skipped: eBPF test %s\n", why);
	skip();
}

#endif
