/* SPDX-License-Identifier: MIT */
#include "cpu.h"

#include <sched.h>

#include "arena.h"
#include "config.h"
#include "cpus.h"

int cpu_nr_units;

int cpu_init(void)
{
	int n = cpus_possible();

	cpu_nr_units = config.nr_cpus > n ? config.nr_cpus : n;
	return 0;
}

const char *cpu_mode_name(void)
{
	return "atomic";
}

static int64_t *cpu_this_copy(int64_t *p)
{
	int cpu = sched_getcpu();

	return arena_ptr(p, cpu < 0 ? 0 : cpu % cpu_nr_units);
}

void cpu_this_add64(int64_t *p, int64_t v)
{
	__atomic_fetch_add(cpu_this_copy(p), v, __ATOMIC_RELAXED);
}

int64_t cpu_this_add_return64(int64_t *p, int64_t v)
{
	return __atomic_add_fetch(cpu_this_copy(p), v, __ATOMIC_RELAXED);
}
