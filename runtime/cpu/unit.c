/* SPDX-License-Identifier: MIT */
/*
 * unit - the CPU number without an rseq area, and the operations on every
 * unit (see unit.h).
 */
#include "cpu/unit.h"

#include <sched.h>

int cpu_nr_units;

/*
 * Without an rseq area the CPU number costs a sched_getcpu() call (a vDSO
 * call, a few ns), so each thread asks once per CPU_UNIT_REFRESH updates
 * and uses the cached answer in between: after a migration it keeps
 * updating the old CPU's unit for a while, atomically, which costs
 * locality only.  A signal handler racing with the refresh at worst
 * refreshes twice.
 */
#define CPU_UNIT_REFRESH 64

static __thread struct {
	uint32_t cpu;
	uint32_t left;
} cpu_unit_cache __attribute__((tls_model("initial-exec")));

__attribute__((noinline, cold)) uint32_t cpu_unit_index_slow(void)
{
	uint32_t cpu;

	if (cpu_rseq_index_off) {
		cpu = cpu_rseq_index();
		/* A thread whose own rseq area is not registered yet. */
		if (cpu >= (uint32_t)cpu_nr_units && cpu_rseq_thread_unregistered())
			cpu = cpu_rseq_index();
	} else {
		if (!cpu_unit_cache.left) {
			/* sched_getcpu() failing gives -1, folded below. */
			cpu_unit_cache.cpu = (uint32_t)sched_getcpu();
			cpu_unit_cache.left = CPU_UNIT_REFRESH;
		}
		cpu_unit_cache.left--;
		cpu = cpu_unit_cache.cpu;
	}
	return cpu < (uint32_t)cpu_nr_units ? cpu : cpu % (uint32_t)cpu_nr_units;
}

void *cpu_unit_here_call(void *p)
{
	return cpu_unit_here(p);
}

int64_t cpu_units_sum(int64_t *p)
{
	uint64_t sum = 0;

	for (int cpu = 0; cpu < cpu_nr_units; cpu++)
		sum += (uint64_t)__atomic_load_n((int64_t *)arena_ptr(p, cpu),
						 __ATOMIC_RELAXED);
	return (int64_t)sum;
}

int64_t cpu_units_exchange(int64_t *p, int64_t v)
{
	uint64_t sum = 0;

	for (int cpu = 0; cpu < cpu_nr_units; cpu++)
		sum += (uint64_t)__atomic_exchange_n((int64_t *)arena_ptr(p, cpu), v,
						     __ATOMIC_ACQ_REL);
	return (int64_t)sum;
}
