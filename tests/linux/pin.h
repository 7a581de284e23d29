/* SPDX-License-Identifier: MIT */
/* Keep the calling thread on the CPU it runs on now, so that its unit
 * stays the same across several this_cpu operations. */
#ifndef PCPU_TESTS_LINUX_PIN_H
#define PCPU_TESTS_LINUX_PIN_H

#include <pcpu.h>
#include <sched.h>

static inline void pin_here(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();
	void *p = pcpu_alloc(8, 8);

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	/* Where the unit comes from a CPU number cached for some operations
	 * (atomic mode without rseq, under qemu), let it catch up with the
	 * pin before the caller relies on it. */
	for (int i = 0; i < 1000; i++)
		pcpu_this_ptr(p);
	pcpu_free(p);
}

#endif
