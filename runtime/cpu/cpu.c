/* SPDX-License-Identifier: MIT */
/*
 * cpu - choosing the access mode, the contract's out-of-line operations,
 * and the per-thread and per-process hooks of the modes (see cpu.h).
 *
 * PCPU_MODE=auto picks local where every thread has an rseq area that
 * glibc registered (and the architecture runs sequences), rseq where only
 * the runtime's own areas can be registered, and otherwise what the
 * architecture prefers (PCPU_ARCH_AUTO_LOCAL: local on aarch64, atomic
 * elsewhere).  An rseq mode asked for but unavailable falls back to
 * atomic; pcpu_runtime() names the mode in force.  The mode and the unit
 * count never change afterwards.
 *
 * Thread exit runs through thread.h's key, whose value a thread sets when
 * it first takes state (a local slot, a gate reader); fork runs one child
 * handler that releases what the child's missing threads held.  Both hooks
 * are here, the one place that knows every mode.
 */
#include "cpu/cpu.h"

#include "cpu/thread.h"
#include "cpus.h"
#include "debug/config.h"

enum cpu_mode cpu_mode = CPU_MODE_ATOMIC;

/* Whether the mode's gated adds are restartable sequences. */
bool cpu_gated_sequences(void)
{
	return cpu_mode == CPU_MODE_RSEQ || cpu_local_rseq;
}

static void cpu_on_thread_exit(void)
{
	cpu_local_thread_exit();
	cpu_gate_thread_exit();
}

static void cpu_on_fork_child(void)
{
	cpu_local_atfork_child();
	cpu_gate_atfork_child();
	if (cpu_gated_sequences())
		cpu_rseq_atfork_child();
}

static enum cpu_mode cpu_choose(void)
{
	switch (config.mode) {
	case CONFIG_MODE_RSEQ:
		return cpu_rseq_init() ? CPU_MODE_ATOMIC : CPU_MODE_RSEQ;
	case CONFIG_MODE_ATOMIC:
		return CPU_MODE_ATOMIC;
	case CONFIG_MODE_LOCAL:
		return CPU_MODE_LOCAL;
	case CONFIG_MODE_AUTO:
		break;
	}
	/*
	 * With the updates inline in the caller (pcpu/inline.h), an owned
	 * slot's add is one memory add: faster than a restartable sequence,
	 * and its ref gets and puts are sequences too when every thread has
	 * an rseq area, so their grace period costs no wait.  Without such
	 * areas, rseq (the runtime's own areas) keeps kill free of waits.
	 */
	if (!cpu_rseq_init())
		return cpu_rseq_registers_all() ? CPU_MODE_LOCAL : CPU_MODE_RSEQ;
	return PCPU_ARCH_AUTO_LOCAL ? CPU_MODE_LOCAL : CPU_MODE_ATOMIC;
}

int cpu_init(void)
{
	int cpus = cpus_possible(), err;

	if (config.nr_cpus > cpus)
		cpus = config.nr_cpus;
	cpu_mode = cpu_choose();
	/* The atomic paths (and rseq's rare fold) read the area if there is one. */
	cpu_rseq_detect();
	cpu_nr_units = cpus;
	if (cpu_mode == CPU_MODE_LOCAL) {
		cpu_nr_units =
		    config.nr_slots
			? config.nr_slots
			: (cpus > CONFIG_MAX_CPUS / 4 ? CONFIG_MAX_CPUS : 4 * cpus);
		err = cpu_local_init(cpu_nr_units);
		if (err)
			return err;
		cpu_local_rseq = !cpu_rseq_init() && cpu_rseq_registers_all();
	}
	err = cpu_gate_init();
	if (err)
		return err;
	return cpu_thread_init(cpu_on_thread_exit, cpu_on_fork_child);
}

const char *cpu_mode_name(void)
{
	static const char *const names[] = {
	    [CPU_MODE_RSEQ] = "rseq",
	    [CPU_MODE_ATOMIC] = "atomic",
	    [CPU_MODE_LOCAL] = "local",
	};

	return names[cpu_mode];
}

int64_t cpu_closable_close(int64_t *p, int *gate)
{
	__atomic_store_n(gate, 1, __ATOMIC_SEQ_CST);
	if (cpu_mode == CPU_MODE_RSEQ)
		return cpu_rseq_close(p);
	if (cpu_mode == CPU_MODE_LOCAL)
		return cpu_local_close(p);
	return cpu_atomic_close(p);
}

void cpu_closable_reopen(int64_t *p, int *gate)
{
	/* Closed rseq and local copies already hold 0. */
	if (cpu_mode == CPU_MODE_ATOMIC)
		cpu_atomic_reopen(p);
	__atomic_store_n(gate, 0, __ATOMIC_RELEASE);
}

void cpu_gate_sync_fast_paths(void)
{
	cpu_gate_wait(CPU_GATE_NOT_SELF |
		      (cpu_gated_sequences() ? CPU_GATE_SEQUENCES : 0));
}
