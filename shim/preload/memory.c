/* SPDX-License-Identifier: MIT */
/* The per-CPU memory API of libpcpu.so: argument checks, then the arena
 * and the CPU access mode. */
#include <errno.h>
#include <pcpu.h>

#include "arena/arena.h"
#include "cpu/cpu.h"
#include "diag.h"
#include "memory_ops.h"
#include "runtime.h"

void *pcpu_alloc(size_t size, size_t align)
{
	int err = runtime_try_init();

	if (err) {
		errno = -err;
		return NULL;
	}
	if (memory_check_request(size, &align)) {
		errno = EINVAL;
		return NULL;
	}
	return arena_alloc(size, align);
}

void pcpu_free(void *p)
{
	if (p)
		arena_free(p);
}

void *pcpu_ptr(void *p, int cpu)
{
	runtime_init();
	if (cpu < 0 || cpu >= cpu_nr_units)
		return NULL;
	memory_check_ptr("pcpu_ptr", p);
	return arena_ptr(p, cpu);
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

int64_t pcpu_sum(int64_t *p)
{
	uint64_t sum = 0;

	memory_check_ptr("pcpu_sum", p);
	for (int cpu = 0; cpu < cpu_nr_units; cpu++)
		sum += (uint64_t)__atomic_load_n((int64_t *)arena_ptr(p, cpu),
						 __ATOMIC_RELAXED);
	return (int64_t)sum;
}

int pcpu_stats(struct pcpu_stats *st, size_t size)
{
	struct pcpu_stats now;
	int err = runtime_try_init();

	if (err)
		return err;
	arena_stats(&now);
	return memory_stats_copy(st, size, &now);
}

int pcpu_stats_print(FILE *f)
{
	struct pcpu_stats now;
	int err;

	if (!f)
		return -EINVAL;
	err = runtime_try_init();
	if (err)
		return err;
	arena_stats(&now);
	err = memory_stats_print_summary(f, pcpu_runtime(), &now);
	return err ? err : arena_stats_print(f);
}
