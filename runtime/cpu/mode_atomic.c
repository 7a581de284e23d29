/* SPDX-License-Identifier: MIT */
/*
 * cpu_atomic - the atomic access mode's operations (see cpu_atomic.h).
 */
#include "cpu/mode_atomic.h"

#include <sched.h>

#include "arena/arena.h"
#include "cpu/cpu.h"

/*
 * Without an rseq area the CPU number costs a sched_getcpu() call (a vDSO
 * call, a few ns), so each thread asks once per CPU_ATOMIC_REFRESH updates
 * and uses the cached answer in between: after a migration it keeps
 * updating the old CPU's unit for a while, atomically, which costs
 * locality only.  A signal handler racing with the refresh at worst
 * refreshes twice.
 */
#define CPU_ATOMIC_REFRESH 64

static __thread struct {
	uint32_t cpu;
	uint32_t left;
} cpu_atomic_cache __attribute__((tls_model("initial-exec")));

/* The CPU number when the rseq area gives none in range. */
__attribute__((noinline, cold)) static uint32_t cpu_atomic_index_slow(void)
{
	uint32_t cpu;

	if (cpu_rseq_index_off) {
		cpu = cpu_rseq_index();
		/* A thread whose own rseq area is not registered yet. */
		if (cpu >= (uint32_t)cpu_nr_units && cpu_rseq_thread_unregistered())
			cpu = cpu_rseq_index();
	} else {
		if (!cpu_atomic_cache.left) {
			/* sched_getcpu() failing gives -1, folded below. */
			cpu_atomic_cache.cpu = (uint32_t)sched_getcpu();
			cpu_atomic_cache.left = CPU_ATOMIC_REFRESH;
		}
		cpu_atomic_cache.left--;
		cpu = cpu_atomic_cache.cpu;
	}
	return cpu < (uint32_t)cpu_nr_units ? cpu : cpu % (uint32_t)cpu_nr_units;
}

static inline void *cpu_atomic_unit(void *p)
{
	uint32_t cpu;

	if (!cpu_rseq_index_off || (cpu = cpu_rseq_index()) >= (uint32_t)cpu_nr_units)
		cpu = cpu_atomic_index_slow();
	return arena_ptr(p, (int)cpu);
}

void *cpu_atomic_this(void *p)
{
	return cpu_atomic_unit(p);
}

void cpu_atomic_add(int64_t *p, int64_t v)
{
	__atomic_fetch_add((int64_t *)cpu_atomic_unit(p), v, __ATOMIC_RELAXED);
}

int64_t cpu_atomic_add_return(int64_t *p, int64_t v)
{
	return __atomic_add_fetch((int64_t *)cpu_atomic_unit(p), v, __ATOMIC_RELAXED);
}

uint32_t cpu_atomic_add_return32(uint32_t *p, uint32_t v)
{
	return __atomic_add_fetch((uint32_t *)cpu_atomic_unit(p), v, __ATOMIC_RELAXED);
}

int64_t cpu_atomic_add_take(int64_t *p, int64_t v, uint64_t bm1)
{
	int64_t *u = cpu_atomic_unit(p);

	return pcpu_abi_take_after_add(u, __atomic_add_fetch(u, v, __ATOMIC_RELAXED), bm1);
}

/* Also rseq's gated add when it cannot run as a sequence. */
bool cpu_atomic_gated_add(int64_t *p, int64_t v, const int *gate)
{
	struct cpu_gate_reader *r = cpu_gate_reader();
	uint64_t entered = cpu_gate_enter(r);
	bool open = !__atomic_load_n(gate, __ATOMIC_RELAXED);

	if (open)
		cpu_atomic_add(p, v);
	cpu_gate_exit(r, entered);
	return open;
}
