// SPDX-License-Identifier: MIT
/*
 * tls_stack.c - what every TLS stack module shares: the core's maps reused in
 * its own BPF object, the ids of its programs, and its uprobes (cs_tls_links).
 */
#include "tls_stack.h"

#include "probe_site.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cs_tls_share_maps(struct bpf_object *core, struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
	{
		const char *name = bpf_map__name(m);
		struct bpf_map *c;

		/* .rodata/.bss are the object's own (capture_cap is set per object) */
		if (strchr(name, '.'))
			continue;
		c = bpf_object__find_map_by_name(core, name);
		if (c) {
			int e = bpf_map__reuse_fd(m, bpf_map__fd(c));

			if (e)
				return e;
		}
	}
	return 0;
}

/* 0 and *info for a loaded program, -1 for one not loaded (autoload off). */
static int prog_info(const struct bpf_program *prog, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(bpf_program__fd(prog), info, &len) ? -1 : 0;
}

void cs_tls_prog_ids(struct bpf_object *obj, uint32_t *ids, size_t max, size_t *n)
{
	struct bpf_program *prog;
	struct bpf_prog_info info;

	bpf_object__for_each_program(prog, obj)
	{
		if (*n < max && !prog_info(prog, &info))
			ids[(*n)++] = info.id;
	}
}

void cs_tls_prog_cost(struct bpf_object *obj, uint64_t *runs, uint64_t *run_ns)
{
	struct bpf_program *prog;
	struct bpf_prog_info info;

	bpf_object__for_each_program(prog, obj)
	{
		if (!prog_info(prog, &info)) {
			*runs += info.run_cnt;
			*run_ns += info.run_time_ns;
		}
	}
}

/* How far past the function at file offset `at` its probe may go (probe_site.h). */
static uint64_t cheaper_site(const char *path, uint64_t at)
{
#if defined(__x86_64__)
	uint8_t code[CS_PROBE_SITE_BYTES];
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = pread(fd, code, sizeof(code), (off_t)at);
		close(fd);
	}
	return n > 0 ? cs_probe_site(code, (size_t)n) : 0;
#else
	(void)path;
	(void)at;
	return 0;
#endif
}

/* One uprobe at that file offset of path, or past the start of func when it is set. */
static struct bpf_link *uprobe(struct bpf_program *prog, const char *path, const char *func,
			       uint64_t offset, bool retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = func, .retprobe = retprobe);

	return bpf_program__attach_uprobe_opts(prog, -1, path, (size_t)offset, &o);
}

struct cs_tls_links {
	size_t n, cap;
	struct bpf_link *link[];
};

struct cs_tls_links *cs_tls_links_new(size_t cap)
{
	struct cs_tls_links *ls = calloc(1, sizeof(*ls) + cap * sizeof(ls->link[0]));

	if (ls)
		ls->cap = cap;
	return ls;
}

/* libbpf's error as -errno (-EINVAL should it leave errno unset). */
static int attach_error(void)
{
	return errno ? -errno : -EINVAL;
}

int cs_tls_links_add(struct cs_tls_links *ls, struct bpf_program *entry, struct bpf_program *ret,
		     const char *path, const char *func, uint64_t offset)
{
	struct bpf_link *in, *out = NULL;
	int e;

	if (ls->cap - ls->n < (ret ? 2u : 1u))
		return -ENOSPC;
	/* one site for both: the function's first bytes are read once */
	if (!func)
		offset += cheaper_site(path, offset);
	in = uprobe(entry, path, func, offset, false);
	if (!in)
		return attach_error();
	if (ret) {
		out = uprobe(ret, path, func, offset, true);
		if (!out) {
			e = attach_error();
			bpf_link__destroy(in);
			return e;
		}
	}
	ls->link[ls->n++] = in;
	if (out)
		ls->link[ls->n++] = out;
	return 0;
}

size_t cs_tls_links_count(const struct cs_tls_links *ls)
{
	return ls->n;
}

void cs_tls_links_detach(void *att)
{
	struct cs_tls_links *ls = att;

	if (!ls)
		return;
	for (size_t i = 0; i < ls->n; i++)
		bpf_link__destroy(ls->link[i]);
	free(ls);
}
