/* SPDX-License-Identifier: MIT */
/*
 * cpu - choosing the access mode, and the per-thread and per-process life
 * shared by the modes (see cpu.h).
 *
 * PCPU_MODE=auto picks local where every thread has an rseq area that
 * glibc registered (x86-64), rseq where only the runtime's own areas can
 * be registered, local on aarch64, atomic otherwise.  An rseq mode asked for
 * but unavailable falls back to atomic; pcpu_runtime() names the mode in
 * force.  The mode and the unit count never change afterwards.
 *
 * Thread exit runs through one pthread key whose value a thread sets when
 * it first takes state (a local slot, a gate reader); fork runs one child
 * handler that releases what the child's missing threads held.
 */
#include "cpu/cpu.h"

#include <errno.h>
#include <pthread.h>

#include "debug/config.h"
#include "cpus.h"

enum cpu_mode cpu_mode = CPU_MODE_ATOMIC;
int cpu_nr_units;

static pthread_key_t cpu_exit_key;

static void cpu_thread_exit(void *unused)
{
	(void)unused;
	cpu_local_thread_exit();
	cpu_gate_thread_exit();
}

void cpu_thread_track(void)
{
	pthread_setspecific(cpu_exit_key, (void *)1);
}

static void cpu_atfork_child(void)
{
	cpu_local_atfork_child();
	cpu_gate_atfork_child();
	if (cpu_mode == CPU_MODE_RSEQ || cpu_local_rseq)
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
#if defined(__aarch64__)
	return CPU_MODE_LOCAL;
#else
	return CPU_MODE_ATOMIC;
#endif
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
	err = pthread_key_create(&cpu_exit_key, cpu_thread_exit);
	if (err)
		return -err;
	err = pthread_atfork(NULL, NULL, cpu_atfork_child);
	return -err;
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

void cpu_gate_sync(void)
{
	if (cpu_mode == CPU_MODE_RSEQ || cpu_local_rseq)
		cpu_rseq_sync();
	else
		cpu_gate_wait_readers(false);
}
