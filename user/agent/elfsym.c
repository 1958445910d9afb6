// SPDX-License-Identifier: MIT
/*
 * elfsym.c - find exported functions (OpenSSL's SSL_*, GnuTLS's) in ELF
 * files, and the files a process maps (libssl, libgnutls, its executable)
 * with their (dev, inode) keys.
 */
#include "elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *const sym_names[CS_SYM_COUNT] = {
	"SSL_write", "SSL_read", "SSL_write_ex", "SSL_read_ex", "SSL_ctrl", "SSL_free",
};

const char *cs_sym_name(unsigned int i)
{
	return i < CS_SYM_COUNT ? sym_names[i] : NULL;
}

/* The names looked for in one scan, the first letters they start with, where found. */
struct wanted {
	const char *const *names;
	unsigned int n;
	uint8_t first[256];
	uint64_t vaddr[32]; /* a plain function's address, 0 for an IFUNC */
};

/* Index of name in w->names, or -1. */
static int sym_index(const struct wanted *w, const char *name)
{
	/* versioned names in .symtab look like "SSL_write@@OPENSSL_3.0.0" */
	size_t len = strcspn(name, "@");

	for (unsigned int i = 0; i < w->n; i++) {
		if (strlen(w->names[i]) == len && !strncmp(name, w->names[i], len))
			return (int)i;
	}
	return -1;
}

/* Bits for the defined functions of one symbol table section. */
static unsigned int scan_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct wanted *w)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	unsigned int mask = 0;
	size_t n;

	if (!data || !sh->sh_entsize)
		return 0;
	n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int type, k;

		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !w->first[(unsigned char)name[0]] || (k = sym_index(w, name)) < 0)
			continue;
		mask |= 1u << k;
		/* an IFUNC's value is its resolver, not the function */
		w->vaddr[k] = type == STT_FUNC ? sym.st_value : 0;
	}
	return mask;
}

/* The file offset of vaddr: in the section that holds it, if that has file bytes. */
static uint64_t file_offset(Elf *elf, uint64_t vaddr)
{
	Elf_Scn *scn = NULL;

	while (vaddr && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS && vaddr >= sh.sh_addr &&
		    vaddr - sh.sh_addr < sh.sh_size)
			return vaddr - sh.sh_addr + sh.sh_offset;
	}
	return 0;
}

int cs_elf_function_offsets(const char *path, const char *const *names, unsigned int n,
			    unsigned int *mask, uint64_t *offsets)
{
	struct wanted w = {.names = names, .n = n};
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd, err = 0;

	*mask = 0;
	if (n > 32)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		w.first[(unsigned char)names[i][0]] = 1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM || sh.sh_type == SHT_SYMTAB)
			*mask |= scan_symtab(elf, scn, &sh, &w);
	}
	for (unsigned int i = 0; offsets && i < n; i++)
		offsets[i] = file_offset(elf, w.vaddr[i]);
out:
	elf_end(elf);
	close(fd);
	return err;
}

int cs_elf_functions(const char *path, const char *const *names, unsigned int n, unsigned int *mask)
{
	return cs_elf_function_offsets(path, names, n, mask, NULL);
}

int cs_elf_tls_symbols(const char *path, unsigned int *mask)
{
	return cs_elf_functions(path, sym_names, CS_SYM_COUNT, mask);
}

int cs_elf_tls_symbol_offsets(const char *path, unsigned int *mask, uint64_t offsets[CS_SYM_COUNT])
{
	return cs_elf_function_offsets(path, sym_names, CS_SYM_COUNT, mask, offsets);
}

int cs_bin_key_of_path(const char *path, struct cs_bin_key *key)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	key->dev = st.st_dev;
	key->ino = st.st_ino;
	return 0;
}

/* One parsed line of /proc/PID/maps. */
struct maps_line {
	unsigned long start, end;
	unsigned int major, minor;
	unsigned long ino;
	const char *path; /* points into the line buffer; "" if anonymous */
};

static int parse_maps_line(char *line, struct maps_line *m)
{
	int pos = 0;

	if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu %n", &m->start, &m->end, &m->major, &m->minor,
		   &m->ino, &pos) != 5 ||
	    !pos)
		return -1;
	m->path = line + pos;
	line[strcspn(line, "\n")] = 0;
	return 0;
}

/* True when the file name of path starts with prefix (e.g. "libssl.so"). */
static int base_starts(const char *path, const char *prefix)
{
	const char *base = strrchr(path, '/');

	return base && !strncmp(base + 1, prefix, strlen(prefix));
}

typedef int (*maps_match_fn)(const struct maps_line *m, const void *arg);

/* Fills out from the first file mapping of pid that match() accepts. */
static int find_mapping(int pid, maps_match_fn match, const void *arg, struct cs_mapped_bin *out)
{
	char path[64], line[PATH_MAX + 128];
	struct maps_line m;
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (parse_maps_line(line, &m) || !m.ino || m.path[0] != '/' || !match(&m, arg))
			continue;
		if (snprintf(out->mapped, sizeof(out->mapped), "%s", m.path) >=
		    (int)sizeof(out->mapped))
			continue;
		snprintf(out->open_path, sizeof(out->open_path), "/proc/%d/map_files/%lx-%lx", pid,
			 m.start, m.end);
		out->key.dev = makedev(m.major, m.minor);
		out->key.ino = m.ino;
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static int match_base(const struct maps_line *m, const void *arg)
{
	return base_starts(m->path, arg);
}

int cs_find_libssl(int pid, struct cs_mapped_bin *out)
{
	return find_mapping(pid, match_base, "libssl.so", out);
}

int cs_find_libgnutls(int pid, struct cs_mapped_bin *out)
{
	return find_mapping(pid, match_base, "libgnutls.so", out);
}

static int match_path(const struct maps_line *m, const void *arg)
{
	return !strcmp(m->path, arg);
}

static int match_addr(const struct maps_line *m, const void *arg)
{
	unsigned long addr = *(const unsigned long *)arg;

	return m->start <= addr && addr < m->end;
}

int cs_mapping_key(int pid, unsigned long addr, struct cs_bin_key *key)
{
	struct cs_mapped_bin *b = malloc(sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	err = find_mapping(pid, match_addr, &addr, b);
	if (!err)
		*key = b->key;
	free(b);
	return err;
}

int cs_fd_mapped_key(int fd, struct cs_bin_key *key)
{
	void *p = mmap(NULL, 1, PROT_READ, MAP_PRIVATE, fd, 0);
	int err;

	if (p == MAP_FAILED)
		return -errno;
	err = cs_mapping_key(getpid(), (unsigned long)p, key);
	munmap(p, 1);
	return err;
}

int cs_find_exe(int pid, struct cs_mapped_bin *out)
{
	char link[64], exe[PATH_MAX];
	ssize_t n;
	int err;

	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	exe[n] = 0;
	err = find_mapping(pid, match_path, exe, out);
	if (err)
		return err;
	/* /proc/PID/exe works even if the file was replaced or deleted since */
	snprintf(out->open_path, sizeof(out->open_path), "%s", link);
	return 0;
}
