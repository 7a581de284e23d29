/* SPDX-License-Identifier: MIT */
/*
 * memory - the per-CPU memory API, for both libraries: the argument rules,
 * then the library's backend (memory_backend.h).
 *
 * Rules: a request is valid when 0 < size <= PCPU_ALLOC_MAX and align is 0
 * (meaning 8) or a power of two up to PCPU_ALIGN_MAX; anything else fails
 * with EINVAL before the library sets itself up.  NULL is the one bad
 * pointer either library can tell without a lookup, so pcpu_ptr() and
 * pcpu_sum() abort on it with the message, and neither looks other
 * pointers up (translation is one multiply-add).
 */
#include <errno.h>
#include <pcpu.h>

#include "diag.h"
#include "memory_backend.h"
#include "memory_ops.h"

static void check_ptr(const char *fn, const void *p)
{
	if (__builtin_expect(!p, 0))
		diag_die(fn, p, "not a per-CPU pointer");
}

void *pcpu_alloc(size_t size, size_t align)
{
	void *p;

	if (!align)
		align = 8;
	if (size == 0 || size > PCPU_ALLOC_MAX || align > PCPU_ALIGN_MAX ||
	    (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	p = memory_backend_alloc(size, align);
	/* No tail call: PCPU_DEBUG=leaks shows stacks from this frame on. */
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

void pcpu_free(void *p)
{
	if (p)
		memory_backend_free(p);
}

void *pcpu_ptr(void *p, int cpu)
{
	if (cpu < 0 || cpu >= memory_backend_units())
		return NULL;
	check_ptr("pcpu_ptr", p);
	return memory_backend_ptr(p, cpu);
}

int64_t pcpu_sum(int64_t *p)
{
	int units = memory_backend_units();
	uint64_t sum = 0;

	check_ptr("pcpu_sum", p);
	for (int cpu = 0; cpu < units; cpu++)
		sum += (uint64_t)__atomic_load_n((int64_t *)memory_backend_ptr(p, cpu),
						 __ATOMIC_RELAXED);
	return (int64_t)sum;
}

int pcpu_stats(struct pcpu_stats *st, size_t size)
{
	struct pcpu_stats now;
	int err;

	if (!st || size == 0)
		return -EINVAL;
	err = memory_backend_stats(&now);
	return err ? err : memory_stats_copy(st, size, &now);
}

int pcpu_stats_print(FILE *f)
{
	return f ? memory_backend_stats_print(f) : -EINVAL;
}
