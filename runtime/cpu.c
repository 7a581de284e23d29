/* SPDX-License-Identifier: MIT */
#include "cpu.h"

#include <pthread.h>
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

int64_t cpu_this_xchg64(int64_t *p, int64_t v)
{
	return __atomic_exchange_n(cpu_this_copy(p), v, __ATOMIC_RELAXED);
}

/* PROVISIONAL: a process-wide rwlock stands in for a real grace period. */
static pthread_rwlock_t gate_lock = PTHREAD_RWLOCK_INITIALIZER;

bool cpu_gated_add64(int64_t *p, int64_t v, const int *gate)
{
	bool open;

	pthread_rwlock_rdlock(&gate_lock);
	open = !__atomic_load_n(gate, __ATOMIC_ACQUIRE);
	if (open)
		cpu_this_add64(p, v);
	pthread_rwlock_unlock(&gate_lock);
	return open;
}

void cpu_gate_sync(void)
{
	pthread_rwlock_wrlock(&gate_lock);
	pthread_rwlock_unlock(&gate_lock);
}
