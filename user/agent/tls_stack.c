// SPDX-License-Identifier: MIT
/*
 * tls_stack.c - what every TLS stack module shares: the core's maps reused in
 * its own BPF object, and the ids of its programs.
 */
#include "tls_stack.h"

#include "probe_site.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
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

struct bpf_link *cs_tls_uprobe(struct bpf_program *prog, const char *path, const char *func,
			       uint64_t offset, bool retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = func, .retprobe = retprobe);

	if (!func)
		offset += cheaper_site(path, offset);
	return bpf_program__attach_uprobe_opts(prog, -1, path, (size_t)offset, &o);
}
