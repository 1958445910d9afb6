/* SPDX-License-Identifier: MIT */
/*
 * tls_stack.h - one module per TLS library whose plaintext the agent reads
 * (openssl.c, ...), each with its own BPF object (bpf/<name>.bpf.c).
 *
 * probes.c loads the core object (bpf/capture.bpf.c: syscalls, processes,
 * ring buffer, counters) and, for every binary a target runs, asks each stack
 * in turn to attach to it. A stack loads its BPF object the first time it
 * attaches, sharing the core's maps (cs_tls_share_maps), so a stack no target
 * uses costs nothing.
 */
#ifndef CLAWSEC_TLS_STACK_H
#define CLAWSEC_TLS_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_program;
struct bpf_link;

/* A stack's BPF object as probes.c keeps it. */
struct cs_tls_slot {
	struct bpf_object *core; /* loaded capture.bpf.c: its maps are shared */
	uint32_t capture_cap;	 /* per-call cap, set in every object's .rodata */
	void *obj;		 /* the stack's loaded skeleton, NULL until then */
	struct bpf_object *bobj; /* its BPF object (program ids for leak checks) */
};

/* What attaching to one binary gave. */
struct cs_tls_attach {
	void *att;	   /* the stack's attachment, for detach() */
	unsigned int syms; /* OpenSSL: the CS_SYM_* bits attached; else 0 */
	char status[160];  /* for `status`: what was found, e.g. "3 AEAD tables, Bun 1.4.5" */
};

struct cs_tls_stack {
	const char *name; /* the capture path `status` names: "openssl", ... */
	/*
	 * Attaches to the ELF file at path for every process (the kernel keeps
	 * targets' events only), loading the stack's object into slot first if
	 * needed. Returns 0, -ENOENT when the file does not carry this stack
	 * (out->status may say why), or -errno.
	 */
	int (*attach)(struct cs_tls_slot *slot, const char *path, struct cs_tls_attach *out);
	void (*detach)(void *att);
	/* Frees slot->obj (after every detach). */
	void (*unload)(struct cs_tls_slot *slot);
};

extern const struct cs_tls_stack cs_tls_openssl;
extern const struct cs_tls_stack cs_tls_gnutls;
extern const struct cs_tls_stack cs_tls_boringssl;
extern const struct cs_tls_stack cs_tls_go;

/* Whether the file carries a BoringSSL whose seal and open were proven. */
int cs_tls_boringssl_present(const char *path);

/*
 * Whether the file is a Go executable whose crypto/tls Write, Read and Read's
 * RETs were found. When it carries crypto/tls but was refused, why says why
 * (e.g. Read does not decode cleanly); else why is "".
 */
int cs_tls_go_present(const char *path, char *why, size_t len);

/*
 * Before obj is loaded: makes every map of obj that the core also defines
 * (same name) use the core's map. 0 or -errno.
 */
int cs_tls_share_maps(struct bpf_object *core, struct bpf_object *obj);

/*
 * The uprobes a stack attached to one binary (its cs_tls_attach.att), all
 * detached together by cs_tls_links_detach, which is every stack's detach().
 */
struct cs_tls_links;

/* Room for cap probes; NULL when out of memory. */
struct cs_tls_links *cs_tls_links_new(size_t cap);

/*
 * One function's probes: entry's uprobe and, when ret is set, ret's
 * uretprobe, both added or neither (the entry probe saves the arguments its
 * return probe reads: one without the other captures nothing). Attached for
 * every process (pid -1: the kernel keeps targets' events only), at the
 * function named func when func is set, else at the function starting at
 * that file offset, moved past a prologue of flag-only instructions onto one
 * the kernel emulates (probe_site.h): ~40x cheaper per hit than a
 * single-stepped one. The entry and return probes land on the same site.
 * 0 or -errno (-ENOSPC when ls has no room left for them).
 */
int cs_tls_links_add(struct cs_tls_links *ls, struct bpf_program *entry, struct bpf_program *ret,
		     const char *path, const char *func, uint64_t offset);

/* How many probes ls holds. */
size_t cs_tls_links_count(const struct cs_tls_links *ls);

/* Detaches every probe of att (a struct cs_tls_links, or NULL) and frees it. */
void cs_tls_links_detach(void *att);

/*
 * Every stack's load() and unload(), which differ only in the skeleton's
 * type NAME (from NAME.skel.h): open it, set capture_cap, share the core's
 * maps, load it into the slot; destroy it.
 */
#define CS_TLS_SKELETON(NAME)                                  \
	static int load(struct cs_tls_slot *slot)              \
	{                                                      \
		struct NAME##_bpf *skel;                       \
		int e;                                         \
                                                               \
		if (slot->obj)                                 \
			return 0;                              \
		skel = NAME##_bpf__open();                     \
		if (!skel)                                     \
			return -errno;                         \
		skel->rodata->capture_cap = slot->capture_cap; \
		e = cs_tls_share_maps(slot->core, skel->obj);  \
		if (!e)                                        \
			e = NAME##_bpf__load(skel);            \
		if (e) {                                       \
			NAME##_bpf__destroy(skel);             \
			return e;                              \
		}                                              \
		slot->obj = skel;                              \
		slot->bobj = skel->obj;                        \
		return 0;                                      \
	}                                                      \
                                                               \
	static void unload(struct cs_tls_slot *slot)           \
	{                                                      \
		NAME##_bpf__destroy(slot->obj);                \
		slot->obj = NULL;                              \
		slot->bobj = NULL;                             \
	}

/* Kernel ids of obj's loaded programs appended to ids[*n..max). */
void cs_tls_prog_ids(struct bpf_object *obj, uint32_t *ids, size_t max, size_t *n);

/* Runs and run time of obj's loaded programs added to *runs, *run_ns (the
 * kernel counts them only while BPF run-time stats are enabled). */
void cs_tls_prog_cost(struct bpf_object *obj, uint64_t *runs, uint64_t *run_ns);

#endif
