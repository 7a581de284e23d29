/* SPDX-License-Identifier: MIT */
#include "debug/symbolize.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Objects whose files are mapped; a leak report rarely spans more. */
#define SYMBOLIZE_FILES 32

struct symbolize_file {
	const struct link_map *map;
	const unsigned char *image; /* NULL: the file could not be read */
	size_t size;
};

static struct symbolize_file files[SYMBOLIZE_FILES];
static int nr_files;
static char exe_path[512];

/* The main program's link_map has an empty name. */
static const char *module_path(const struct link_map *map)
{
	if (map->l_name && map->l_name[0])
		return map->l_name;
	if (!exe_path[0]) {
		ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);

		if (n <= 0)
			n = snprintf(exe_path, sizeof(exe_path), "(program)");
		exe_path[n] = '\0';
	}
	return exe_path;
}

static const struct symbolize_file *file_of(const struct link_map *map)
{
	struct symbolize_file *f;
	struct stat st;
	int fd;

	for (int i = 0; i < nr_files; i++)
		if (files[i].map == map)
			return &files[i];
	f = &files[nr_files < SYMBOLIZE_FILES ? nr_files++ : SYMBOLIZE_FILES - 1];
	if (f->image)
		munmap((void *)f->image, f->size);
	*f = (struct symbolize_file){.map = map};
	fd = open(module_path(map), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return f;
	if (!fstat(fd, &st) && (size_t)st.st_size >= sizeof(ElfW(Ehdr))) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (p != MAP_FAILED) {
			f->image = p;
			f->size = (size_t)st.st_size;
		}
	}
	close(fd);
	return f;
}

/* Whether [off, off + len) lies inside the file image. */
static int in_image(const struct symbolize_file *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

/* The function symbol of table type covering vaddr, or NULL. */
static const char *find_symbol(const struct symbolize_file *f, uint32_t type,
			       uintptr_t vaddr, uintptr_t *start)
{
	const ElfW(Ehdr) *eh = (const void *)f->image;
	const ElfW(Shdr) * sh;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    !in_image(f, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(*sh)))
		return NULL;
	sh = (const void *)(f->image + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const ElfW(Shdr) * strs;
		const ElfW(Sym) * sym;
		size_t n;

		if (sh[i].sh_type != type || sh[i].sh_link >= eh->e_shnum ||
		    !in_image(f, sh[i].sh_offset, sh[i].sh_size))
			continue;
		strs = &sh[sh[i].sh_link];
		if (!in_image(f, strs->sh_offset, strs->sh_size))
			continue;
		sym = (const void *)(f->image + sh[i].sh_offset);
		n = sh[i].sh_size / sizeof(*sym);
		for (size_t k = 0; k < n; k++) {
			unsigned kind = ELF64_ST_TYPE(sym[k].st_info);

			if ((kind != STT_FUNC && kind != STT_GNU_IFUNC) ||
			    sym[k].st_shndx == SHN_UNDEF || vaddr < sym[k].st_value ||
			    vaddr - sym[k].st_value >=
				(sym[k].st_size ? sym[k].st_size : 1) ||
			    sym[k].st_name >= strs->sh_size)
				continue;
			*start = sym[k].st_value;
			/* Names are NUL-terminated inside the string table;
			 * check, since the file is untrusted input. */
			const char *name =
			    (const char *)f->image + strs->sh_offset + sym[k].st_name;
			if (memchr(name, '\0', strs->sh_size - sym[k].st_name))
				return name;
		}
	}
	return NULL;
}

/*
 * C++ names read better demangled.  libstdc++'s demangler, if the process
 * has one, returns a string from the process's malloc, so it goes back to
 * the process's free, not to the one linked into this library.
 */
typedef char *demangle_fn(const char *name, char *buf, size_t *len, int *status);
typedef void free_fn(void *p);

static const char *demangle(const char *name, char *out, size_t size)
{
	static demangle_fn *demangler;
	static free_fn *global_free;
	static int looked;
	char *d;
	int status;

	if (strncmp(name, "_Z", 2))
		return name;
	if (!looked) {
		looked = 1;
		demangler = (demangle_fn *)dlsym(RTLD_DEFAULT, "__cxa_demangle");
		global_free = (free_fn *)dlsym(RTLD_DEFAULT, "free");
	}
	if (!demangler || !global_free || !(d = demangler(name, NULL, NULL, &status)))
		return name;
	snprintf(out, size, "%s", d);
	global_free(d);
	return status ? name : out;
}

void symbolize(const void *pc, char *buf, size_t size)
{
	/* pc is a return address: the call lies just before it. */
	uintptr_t at = (uintptr_t)pc - 1, vaddr, start = 0;
	const struct symbolize_file *f;
	struct link_map *map = NULL;
	const char *name = NULL;
	char demangled[512];
	Dl_info info;

	if (!dladdr1((const void *)at, &info, (void **)&map, RTLD_DL_LINKMAP) || !map) {
		snprintf(buf, size, "(unknown module)");
		return;
	}
	vaddr = at - map->l_addr;
	f = file_of(map);
	if (f->image) {
		name = find_symbol(f, SHT_SYMTAB, vaddr, &start);
		if (!name)
			name = find_symbol(f, SHT_DYNSYM, vaddr, &start);
	}
	if (!name && info.dli_sname) {
		name = info.dli_sname;
		start = (uintptr_t)info.dli_saddr - map->l_addr;
	}
	if (name)
		snprintf(buf, size, "in %s+0x%zx (%s+0x%zx)",
			 demangle(name, demangled, sizeof(demangled)),
			 (size_t)((uintptr_t)pc - map->l_addr - start), module_path(map),
			 (size_t)((uintptr_t)pc - map->l_addr));
	else
		snprintf(buf, size, "(%s+0x%zx)", module_path(map),
			 (size_t)((uintptr_t)pc - map->l_addr));
}
