/* SPDX-License-Identifier: MIT */
/*
 * static_vars - static per-CPU variables (pcpu/linux.h's DEFINE_PER_CPU),
 * the same in both libraries.
 *
 * DEFINE_PER_CPU places a variable, the template, in the "pcpu_static"
 * section of its module (executable or shared library); each module that
 * includes pcpu/linux.h registers that section from a constructor.  The
 * first time an address inside a registered section is translated, the
 * module gets one per-CPU object as large as its section, every copy
 * initialised from the templates (as the kernel copies .data..percpu into
 * every CPU's area); the template address then stands for the same offset
 * in that object, in every module, since dynamic linking gives a variable
 * one address process-wide.  The templates themselves are never updated.
 *
 * Invariants:
 *   - modules[0, nr_published) are complete and never change but for
 *     ->pcpu, set once from NULL (a compare-and-swap: the loser frees its
 *     object), so lookups take no lock;
 *   - [bounds_lo, bounds_hi) covers every published section and is widened
 *     only after the entry is published: an address outside it is not a
 *     template, and costs one range check;
 *   - a section is rounded down to PCPU_STATIC_ALIGN and its object has
 *     that alignment, so each variable keeps its alignment (up to
 *     PCPU_STATIC_ALIGN) in every copy.
 * Modules are never unregistered (their copies outlive a dlclose).
 */
#include <errno.h>
#include <pcpu.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"

#define PCPU_STATIC_ALIGN 64
#define PCPU_STATIC_MODULES 64

struct static_module {
	uintptr_t lo;    /* section start, rounded down to PCPU_STATIC_ALIGN */
	uintptr_t start; /* first template byte */
	uintptr_t end;
	void *pcpu; /* the copies, NULL until first use */
};

static struct static_module modules[PCPU_STATIC_MODULES];
static unsigned nr_reserved, nr_published;
static uintptr_t bounds_lo = UINTPTR_MAX, bounds_hi;

static struct static_module *module_of(uintptr_t u)
{
	unsigned n = __atomic_load_n(&nr_published, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n; i++)
		if (u >= modules[i].start && u < modules[i].end)
			return &modules[i];
	return NULL;
}

int pcpu_static_register(void *start, void *end)
{
	uintptr_t s = (uintptr_t)start, e = (uintptr_t)end, lo = s & -(uintptr_t)PCPU_STATIC_ALIGN;
	unsigned i;

	if (!start || e < s || e - lo > PCPU_ALLOC_MAX)
		return -EINVAL;
	if (s == e || module_of(s))
		return 0;
	i = __atomic_fetch_add(&nr_reserved, 1, __ATOMIC_RELAXED);
	if (i >= PCPU_STATIC_MODULES)
		return -ENOSPC;
	modules[i] = (struct static_module){ lo, s, e, NULL };
	/* Publish in order: a reader's n covers only complete entries. */
	while (__atomic_load_n(&nr_published, __ATOMIC_ACQUIRE) != i)
		sched_yield();
	__atomic_store_n(&nr_published, i + 1, __ATOMIC_RELEASE);

	uintptr_t b = __atomic_load_n(&bounds_lo, __ATOMIC_RELAXED);
	while (s < b && !__atomic_compare_exchange_n(&bounds_lo, &b, s, true,
						     __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	b = __atomic_load_n(&bounds_hi, __ATOMIC_RELAXED);
	while (e > b && !__atomic_compare_exchange_n(&bounds_hi, &b, e, true,
						     __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	return 0;
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

	if (u < __atomic_load_n(&bounds_lo, __ATOMIC_ACQUIRE) ||
	    u >= __atomic_load_n(&bounds_hi, __ATOMIC_ACQUIRE))
		return p;
	m = module_of(u);
	return m ? (char *)module_copies(m) + (u - m->lo) : p;
}
