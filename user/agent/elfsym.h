/* SPDX-License-Identifier: MIT */
/*
 * elfsym.h - which binaries carry OpenSSL's SSL_* entry points, and where a
 * process maps them.
 *
 * A binary is keyed by the (dev, inode) of the file the kernel maps, as
 * /proc/PID/maps reports it: uprobes live on that inode, so two processes
 * (or two containers sharing an image layer) with the same key share one
 * attachment.
 */
#ifndef CLAWSEC_ELFSYM_H
#define CLAWSEC_ELFSYM_H

#include <limits.h>
#include <stdint.h>

/* Bits of the symbol masks returned below (and by cs_probes_attach_tls). */
#define CS_SYM_SSL_WRITE (1u << 0)
#define CS_SYM_SSL_READ (1u << 1)
#define CS_SYM_SSL_WRITE_EX (1u << 2)
#define CS_SYM_SSL_READ_EX (1u << 3)
#define CS_SYM_SSL_CTRL (1u << 4)
#define CS_SYM_SSL_FREE (1u << 5)
#define CS_SYM_COUNT 6
/* A binary whose plaintext can be captured has at least one of these. */
#define CS_SYM_DATA (CS_SYM_SSL_WRITE | CS_SYM_SSL_READ | CS_SYM_SSL_WRITE_EX | CS_SYM_SSL_READ_EX)

/* Name of the symbol for bit index i (0 <= i < CS_SYM_COUNT). */
const char *cs_sym_name(unsigned int i);

struct cs_bin_key {
	uint64_t dev; /* st_dev encoding (makedev(major, minor)) */
	uint64_t ino;
};

/* A file mapped by a process. */
struct cs_mapped_bin {
	char open_path[PATH_MAX]; /* usable from the agent's namespace */
	char mapped[PATH_MAX];	  /* the path as the process sees it */
	struct cs_bin_key key;
};

/*
 * Sets *mask to the CS_SYM_* bits the ELF file at path defines (in .dynsym
 * or .symtab, functions only). Returns 0, -ENOEXEC if it is not ELF, or
 * another -errno if it cannot be read.
 */
int cs_elf_tls_symbols(const char *path, unsigned int *mask);

/* The same with each symbol's file offset (see cs_elf_function_offsets). */
int cs_elf_tls_symbol_offsets(const char *path, unsigned int *mask, uint64_t offsets[CS_SYM_COUNT]);

/*
 * The same for any n <= 32 names: bit i of *mask is set when the file defines
 * a function named names[i] (a versioned ".symtab" name "f@@V" counts as f).
 */
int cs_elf_functions(const char *path, const char *const *names, unsigned int n,
		     unsigned int *mask);

/* The same, and offsets[i] = the file offset of names[i]'s first byte, or 0
 * when not found or not a plain function (an IFUNC). */
int cs_elf_function_offsets(const char *path, const char *const *names, unsigned int n,
			    unsigned int *mask, uint64_t *offsets);

/* The (dev, inode) of path (following symlinks). 0 or -errno. */
int cs_bin_key_of_path(const char *path, struct cs_bin_key *key);

/*
 * The first libssl.so* mapped by pid. open_path is /proc/PID/map_files/...
 * (the exact mapped file, even in another mount namespace). Returns 0,
 * -ENOENT when pid maps no libssl, or -errno (e.g. -ESRCH: no such pid).
 */
int cs_find_libssl(int pid, struct cs_mapped_bin *out);

/* The same for the first libgnutls.so* (GnuTLS: git, wget). */
int cs_find_libgnutls(int pid, struct cs_mapped_bin *out);

/* The (dev, inode) of the file pid maps at addr. 0, -ENOENT or -errno. */
int cs_mapping_key(int pid, unsigned long addr, struct cs_bin_key *key);

/*
 * The (dev, inode) a process mapping the file open at fd would show in its
 * maps: one page of it is mapped here and our own maps read (on overlayfs the
 * mapping is of the real file underneath, which fstat() would not name).
 */
int cs_fd_mapped_key(int fd, struct cs_bin_key *key);

/*
 * The executable of pid: open_path is /proc/PID/exe, key the mapped inode
 * (so it matches the key of the same file found through another process).
 */
int cs_find_exe(int pid, struct cs_mapped_bin *out);

#endif
