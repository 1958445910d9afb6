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

#include <stddef.h>
#include <stdint.h>

struct bpf_object;

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

/* Kernel ids of obj's loaded programs appended to ids[*n..max). */
void cs_tls_prog_ids(struct bpf_object *obj, uint32_t *ids, size_t max, size_t *n);

#endif
