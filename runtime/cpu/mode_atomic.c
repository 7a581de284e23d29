/* SPDX-License-Identifier: MIT */
/*
 * mode_atomic - the atomic access mode's out-of-line operations (see
 * mode_atomic.h).
 */
#include "cpu/mode_atomic.h"

void cpu_atomic_add(int64_t *p, int64_t v)
{
	cpu_unit_add(p, v);
}

int64_t cpu_atomic_add_return(int64_t *p, int64_t v)
{
	return cpu_unit_add_return(p, v);
}

uint32_t cpu_atomic_add_return32(uint32_t *p, uint32_t v)
{
	return cpu_unit_add_return32(p, v);
}

int64_t cpu_atomic_add_take(int64_t *p, int64_t v, uint64_t bm1)
{
	return cpu_unit_add_take(p, v, bm1);
}

/* The whole add, where the rseq area names no unit in range. */
bool cpu_atomic_closable_add_slow(int64_t *p, int64_t v, const int *gate)
{
	return !__atomic_load_n(gate, __ATOMIC_ACQUIRE) &&
	       cpu_atomic_closable_add_at(cpu_unit_here(p), v);
}

/* An add racing with the exchange lands before, and is taken, or after,
 * and sees the copy closed. */
int64_t cpu_atomic_close(int64_t *p)
{
	return cpu_units_exchange(p, PCPU_ABI_REF_CLOSED);
}

/* Zero the copies; the caller opens the gate afterwards, with release. */
void cpu_atomic_reopen(int64_t *p)
{
	cpu_units_exchange(p, 0);
}
