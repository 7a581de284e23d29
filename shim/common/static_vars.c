/* SPDX-License-Identifier: MIT */
/*
 * static_vars - static per-CPU variables (pcpu/linux.h's DEFINE_PER_CPU),
 * the same in both libraries.
 *
 * DEFINE_PER_CPU places a variable, the template, in the "pcpu_static"
 * section of its module (executable or shared library).  The first time an
 * address inside a known section is translated, the module gets one
 * per-CPU object as large as its section, every copy initialised from the
 * templates (as the kernel copies .data..percpu into every CPU's area); the
 * template address then stands for the same offset in that object, in
 * every module, since dynamic linking gives a variable one address
 * process-wide.  The templates themselves are never updated.
 *
 * Finding the sections does not depend on constructor order.  Every
 * translation unit that includes pcpu/linux.h emits an ELF note (name
 * PCPU_NOTE_NAME, type PCPU_NOTE_TYPE) whose descriptor is two 32-bit
 * offsets: the section's start minus the first offset's own address and
 * its end minus the second's.  The static linker resolves both (the
 * section and the note are in one module), so the note needs no
 * relocation and is readable as soon as the module is mapped, before any
 * of its constructors ran.  scan() walks every loaded module's PT_NOTE
 * segments (dl_iterate_phdr) and records each section it has not seen.  It
 * runs on the first translation and whenever a module registers its
 * section (pcpu/linux.h's constructor, the first one of the module): when
 * a library's constructor uses a variable of its executable, whose own
 * constructors run later, the library's registration has already scanned
 * the executable; a module dlopen()ed later is scanned when its first
 * constructor runs, with its dependencies.
 *
 * Copy relocations.  An executable built without -fPIE that names another
 * module's variable gets a copy of it in its own .bss, and every module
 * then uses the copy's address, outside the defining module's section.
 * scan() reads the main program's COPY relocations and, for each whose
 * symbol a scanned module defines inside its section (looked up in that
 * module's GNU hash table), records the copy as an alias: the copy's
 * addresses translate to the defining module's per-CPU object, at the
 * template's offset.
 *
 * Invariants:
 *   - modules[0, nr_published) are complete and never change but for
 *     ->pcpu, set once from NULL (a compare-and-swap: the loser frees its
 *     object), so lookups take no lock; entries are added under
 *     scan_lock;
 *   - [bounds_lo, bounds_hi) covers every published range and is widened
 *     only after the entry is published: an address outside it is not a
 *     template, and costs one range check;
 *   - an alias's owner is a section entry published before it;
 *   - a section is rounded down to PCPU_STATIC_ALIGN and its object has
 *     that alignment, so each variable keeps its alignment (up to
 *     PCPU_STATIC_ALIGN) in every copy.
 * Modules are never unregistered (their copies outlive a dlclose).
 */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <link.h>
#include <pcpu.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "futex_lock.h"

#define PCPU_STATIC_ALIGN   64
#define PCPU_STATIC_MODULES 64
/* The note pcpu/linux.h emits: part of the ABI. */
#define PCPU_NOTE_NAME "libpcpu"
#define PCPU_NOTE_TYPE 0x70637075

#if defined(__x86_64__)
#define PCPU_R_COPY R_X86_64_COPY
#elif defined(__aarch64__)
#define PCPU_R_COPY R_AARCH64_COPY
#endif

struct static_module {
	uintptr_t start; /* first byte of the range */
	uintptr_t end;
	/* The module whose copies the range uses (itself for a section) and
	 * what to add to an address of the range to get its template's. */
	struct static_module *owner;
	uintptr_t shift;
	uintptr_t lo;	 /* a section: start rounded down to PCPU_STATIC_ALIGN */
	uintptr_t base;	 /* a section: its module's load address */
	ElfW(Dyn) * dyn; /* and dynamic section, for symbol look-ups */
	void *pcpu;	 /* a section: the copies, NULL until first use */
};

static struct static_module modules[PCPU_STATIC_MODULES];
static unsigned nr_published;
static uintptr_t bounds_lo = UINTPTR_MAX, bounds_hi;
static int scan_lock;
static bool scanned;

static struct static_module *module_of(uintptr_t u)
{
	unsigned n = __atomic_load_n(&nr_published, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n; i++)
		if (u >= modules[i].start && u < modules[i].end)
			return &modules[i];
	return NULL;
}

static void widen(uintptr_t *bound, uintptr_t v, bool lower)
{
	uintptr_t b = __atomic_load_n(bound, __ATOMIC_RELAXED);

	while ((lower ? v < b : v > b) &&
	       !__atomic_compare_exchange_n(bound, &b, v, true, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
}

/* Under scan_lock: publish m, a range no entry covers.  0, or -ENOSPC. */
static int publish(struct static_module m)
{
	unsigned i = nr_published;

	if (i >= PCPU_STATIC_MODULES)
		return -ENOSPC;
	modules[i] = m;
	if (!m.owner)
		modules[i].owner = &modules[i];
	__atomic_store_n(&nr_published, i + 1, __ATOMIC_RELEASE);
	widen(&bounds_lo, m.start, true);
	widen(&bounds_hi, m.end, false);
	return 0;
}

/* Under scan_lock: record the section [start, end) of the module loaded at
 * base.  0, or -EINVAL, -ENOSPC as pcpu_static_register(). */
static int add_section(uintptr_t start, uintptr_t end, uintptr_t base, ElfW(Dyn) * dyn)
{
	uintptr_t lo = start & -(uintptr_t)PCPU_STATIC_ALIGN;

	if (!start || end < start || end - lo > PCPU_ALLOC_MAX)
		return -EINVAL;
	if (start == end || module_of(start))
		return 0;
	return publish((struct static_module){
	    .start = start, .end = end, .lo = lo, .base = base, .dyn = dyn});
}

/* A d_ptr of a module's dynamic section: the loader relocates them in
 * place on most targets, not on all. */
static uintptr_t dyn_ptr(ElfW(Dyn) * dyn, uintptr_t base, ElfW(Sxword) tag)
{
	for (; dyn && dyn->d_tag != DT_NULL; dyn++)
		if (dyn->d_tag == tag)
			return dyn->d_un.d_ptr < base ? base + dyn->d_un.d_ptr
						      : dyn->d_un.d_ptr;
	return 0;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* The address of the symbol called name that section m's module defines,
 * or 0 (also when the module has no GNU hash table). */
static uintptr_t module_symbol(const struct static_module *m, const char *name)
{
	const uint32_t *gh = (const uint32_t *)dyn_ptr(m->dyn, m->base, DT_GNU_HASH);
	const ElfW(Sym) *sym = (const ElfW(Sym) *)dyn_ptr(m->dyn, m->base, DT_SYMTAB);
	const char *str = (const char *)dyn_ptr(m->dyn, m->base, DT_STRTAB);
	uint32_t h = gnu_hash(name), nbuckets, symoffset, i;
	const uint32_t *buckets, *chain;

	if (!gh || !sym || !str)
		return 0;
	nbuckets = gh[0];
	symoffset = gh[1];
	buckets = gh + 4 + gh[2] * (sizeof(ElfW(Addr)) / 4); /* past the bloom filter */
	chain = buckets + nbuckets;
	for (i = buckets[h % nbuckets]; i >= symoffset; i++) {
		uint32_t c = chain[i - symoffset];

		if ((c | 1) == (h | 1) && sym[i].st_shndx != SHN_UNDEF &&
		    !strcmp(str + sym[i].st_name, name))
			return m->base + sym[i].st_value;
		if (c & 1)
			break;
	}
	return 0;
}

/* Under scan_lock: alias each copy the main program (loaded at base, with
 * dynamic section dyn) holds of a variable in one of modules[from, to). */
static void add_copies(uintptr_t base, ElfW(Dyn) * dyn, unsigned from, unsigned to)
{
#ifdef PCPU_R_COPY
	const ElfW(Rela) *r = (const ElfW(Rela) *)dyn_ptr(dyn, base, DT_RELA);
	const ElfW(Sym) *sym = (const ElfW(Sym) *)dyn_ptr(dyn, base, DT_SYMTAB);
	const char *str = (const char *)dyn_ptr(dyn, base, DT_STRTAB);
	size_t n = 0;

	for (; dyn && dyn->d_tag != DT_NULL; dyn++)
		if (dyn->d_tag == DT_RELASZ)
			n = dyn->d_un.d_val / sizeof(*r);
	if (!r || !sym || !str)
		return;
	for (size_t k = 0; k < n; k++) {
		const ElfW(Sym) *s = &sym[ELF64_R_SYM(r[k].r_info)];
		uintptr_t copy = base + r[k].r_offset;

		if (ELF64_R_TYPE(r[k].r_info) != PCPU_R_COPY || module_of(copy))
			continue;
		for (unsigned i = from; i < to; i++) {
			uintptr_t t = module_symbol(&modules[i], str + s->st_name);

			if (t < modules[i].start || t + s->st_size > modules[i].end ||
			    t == copy)
				continue;
			if (publish((struct static_module){.start = copy,
							   .end = copy + s->st_size,
							   .owner = &modules[i],
							   .shift = t - copy}))
				diag_die("pcpu_static_ptr", (void *)copy,
					 "too many modules and copies of static per-CPU "
					 "variables (at most %d)",
					 PCPU_STATIC_MODULES);
			break;
		}
	}
#else
	(void)base, (void)dyn, (void)from, (void)to;
#endif
}

struct scan_state {
	int err;
	bool main_seen;
	uintptr_t main_base;
	ElfW(Dyn) * main_dyn;
};

/* The notes of one PT_NOTE segment at [p, end), aligned to align. */
static void scan_notes(const char *p, const char *end, size_t align, uintptr_t base,
		       ElfW(Dyn) * dyn, struct scan_state *st)
{
	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
		const char *name = p + sizeof(*n);
		const char *desc = name + ((n->n_namesz + align - 1) & -align);
		int32_t off[2];

		p = desc + ((n->n_descsz + align - 1) & -align);
		if (n->n_type != PCPU_NOTE_TYPE ||
		    n->n_namesz != sizeof(PCPU_NOTE_NAME) ||
		    memcmp(name, PCPU_NOTE_NAME, sizeof(PCPU_NOTE_NAME)) ||
		    n->n_descsz != sizeof(off))
			continue;
		memcpy(off, desc, sizeof(off));
		int err = add_section((uintptr_t)desc + off[0],
				      (uintptr_t)desc + 4 + off[1], base, dyn);
		if (err && !st->err)
			st->err = err;
	}
}

static int scan_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct scan_state *st = arg;
	ElfW(Dyn) *dyn = NULL;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	/* The main program comes first. */
	if (!st->main_seen) {
		st->main_seen = true;
		st->main_base = info->dlpi_addr;
		st->main_dyn = dyn;
	}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);

		if (ph->p_type == PT_NOTE)
			scan_notes(p, p + ph->p_memsz, ph->p_align == 8 ? 8 : 4,
				   info->dlpi_addr, dyn, st);
	}
	return 0;
}

/* A fork() waits for a scan in another thread to finish, so the child's
 * table is whole and its lock free. */
static void scan_fork_prepare(void)
{
	futex_lock(&scan_lock);
}

static void scan_fork_parent(void)
{
	futex_unlock(&scan_lock);
}

static void scan_fork_child(void)
{
	futex_lock_reset(&scan_lock);
}

static void scan_fork_setup(void)
{
	pthread_atfork(scan_fork_prepare, scan_fork_parent, scan_fork_child);
}

/* Record every loaded module's section, and the main program's copies of
 * their variables.  The first error, or 0. */
static int scan(void)
{
	static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
	struct scan_state st = {0};
	unsigned before;

	pthread_once(&fork_once, scan_fork_setup);
	futex_lock(&scan_lock);
	before = nr_published;
	dl_iterate_phdr(scan_module, &st);
	if (nr_published != before)
		add_copies(st.main_base, st.main_dyn, before, nr_published);
	__atomic_store_n(&scanned, true, __ATOMIC_RELEASE);
	futex_unlock(&scan_lock);
	return st.err;
}

int pcpu_static_register(void *start, void *end)
{
	uintptr_t s = (uintptr_t)start, e = (uintptr_t)end;
	int err;

	if (!start || e < s)
		return -EINVAL;
	if (s == e || module_of(s))
		return 0;
	err = scan();
	if (err || module_of(s))
		return err;
	/* A section without a note (its module was built without
	 * pcpu/linux.h's): the caller's word for it. */
	futex_lock(&scan_lock);
	err = add_section(s, e, 0, NULL);
	futex_unlock(&scan_lock);
	return err;
}

/* The module's copies, made on first use. */
static void *module_copies(struct static_module *m)
{
	void *pcpu = __atomic_load_n(&m->pcpu, __ATOMIC_ACQUIRE), *mine;

	if (pcpu)
		return pcpu;
	mine = pcpu_alloc(m->end - m->lo, PCPU_STATIC_ALIGN);
	if (!mine)
		diag_die("pcpu_static_ptr", (void *)m->start,
			 "cannot allocate the per-CPU copies of %zu bytes of static "
			 "per-CPU variables",
			 (size_t)(m->end - m->start));
	for (int cpu = 0; cpu < pcpu_nr_cpus(); cpu++)
		memcpy((char *)pcpu_ptr(mine, cpu) + (m->start - m->lo), (void *)m->start,
		       m->end - m->start);
	if (__atomic_compare_exchange_n(&m->pcpu, &pcpu, mine, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return mine;
	pcpu_free(mine);
	return pcpu;
}

void *pcpu_static_ptr(void *p)
{
	uintptr_t u = (uintptr_t)p;
	struct static_module *m;
	int err;

	if (__builtin_expect(!__atomic_load_n(&scanned, __ATOMIC_ACQUIRE), 0) &&
	    (err = scan()))
		diag_die("pcpu_static_ptr", p,
			 "error %d registering the static per-CPU variables: too large, "
			 "or in too many modules",
			 err);
	if (u < __atomic_load_n(&bounds_lo, __ATOMIC_ACQUIRE) ||
	    u >= __atomic_load_n(&bounds_hi, __ATOMIC_ACQUIRE))
		return p;
	m = module_of(u);
	return m ? (char *)module_copies(m->owner) + (u + m->shift - m->owner->lo) : p;
}
