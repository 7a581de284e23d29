/* SPDX-License-Identifier: MIT */
/*
 * mode_rseq - the rseq mode's fold paths and the closing of its copies
 * (see mode_rseq.h).
 */
#include "cpu/mode_rseq.h"

void cpu_rseq_fold_add(int64_t *p, int64_t v)
{
	if (cpu_rseq_thread_unregistered())
		cpu_rseq_add(p, v);
	else
		cpu_unit_add(p, v);
}

int64_t cpu_rseq_add_return_fold(int64_t *p, int64_t v)
{
	if (cpu_rseq_thread_unregistered())
		return cpu_rseq_add_return(p, v);
	return cpu_unit_add_return(p, v);
}

uint32_t cpu_rseq_add_return32_fold(uint32_t *p, uint32_t v)
{
	if (cpu_rseq_thread_unregistered())
		return cpu_rseq_add_return32(p, v);
	return cpu_unit_add_return32(p, v);
}

int64_t cpu_rseq_fold_add_take(int64_t *p, int64_t v, uint64_t bm1)
{
	if (cpu_rseq_thread_unregistered())
		return cpu_rseq_add_take(p, v, bm1);
	return cpu_unit_add_take(p, v, bm1);
}

bool cpu_rseq_fold_add_within(int64_t *p, int64_t v, uint64_t bm1)
{
	if (cpu_rseq_thread_unregistered())
		return cpu_rseq_add_within(p, v, bm1);
	return !pcpu_abi_add_within(cpu_unit_here(p), v, bm1);
}

/* The atomic add, inside the thread's gate reader, which cpu_rseq_close()
 * waits for as it waits for the sequences. */
static bool cpu_rseq_reader_add(int64_t *p, int64_t v, const int *gate)
{
	struct cpu_gate_reader *r = cpu_gate_reader();
	uint64_t entered = cpu_gate_enter(r);
	bool open = !__atomic_load_n(gate, __ATOMIC_RELAXED);

	if (open)
		cpu_unit_add(p, v);
	cpu_gate_exit(r, entered);
	return open;
}

bool cpu_rseq_closable_add_slow(int64_t *p, int64_t v, const int *gate)
{
	enum cpu_gated f = CPU_GATED_UNTRIED;

	if (cpu_rseq_thread_unregistered())
		f = cpu_rseq_closable_try_add(p, v, gate);
	if (f == CPU_GATED_UNTRIED)
		return cpu_rseq_reader_add(p, v, gate);
	return f == CPU_GATED_ADDED;
}

int64_t cpu_rseq_close(int64_t *p)
{
	cpu_gate_wait(CPU_GATE_SEQUENCES);
	return cpu_units_exchange(p, 0);
}
