/* SPDX-License-Identifier: MIT */
/*
 * memory - per-CPU memory's backend in libpcpu.so: the arena (runtime/arena)
 * behind shim/common/memory.c, and the this-CPU operations, which are the
 * access mode's (runtime/cpu).  The runtime sets itself up on the first
 * allocation; the this-CPU operations take a pointer that one returned.
 */
#include <errno.h>
#include <pcpu.h>

#include "arena/arena.h"
#include "cpu/cpu.h"
#include "memory_backend.h"
#include "runtime.h"

void *memory_backend_alloc(size_t size, size_t align)
{
	int err = runtime_try_init();

	if (err) {
		errno = -err;
		return NULL;
	}
	return arena_alloc(size, align);
}

void memory_backend_free(void *p)
{
	arena_free(p);
}

int memory_backend_units(void)
{
	runtime_init();
	return cpu_nr_units;
}

void *memory_backend_ptr(void *p, int cpu)
{
	return arena_ptr(p, cpu);
}

int memory_backend_stats(struct pcpu_stats *st)
{
	int err = runtime_try_init();

	if (!err)
		arena_stats(st);
	return err;
}

int memory_backend_stats_print(FILE *f)
{
	int err = runtime_try_init();

	return err ? err : runtime_stats_print(f);
}

void pcpu_this_add(int64_t *p, int64_t v)
{
	cpu_this_add64(p, v);
}

int64_t pcpu_this_add_return(int64_t *p, int64_t v)
{
	return cpu_this_add_return64(p, v);
}

/* The unit pcpu_this_add() picks (the access mode's). */
void *pcpu_this_ptr(void *p)
{
	return cpu_this_unit(p);
}
