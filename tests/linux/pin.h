/* SPDX-License-Identifier: MIT */
/* Keep the calling thread on the CPU it runs on now, so that its unit
 * stays the same across several this_cpu operations. */
#ifndef PCPU_TESTS_LINUX_PIN_H
#define PCPU_TESTS_LINUX_PIN_H

#include <sched.h>

static inline void pin_here(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

#endif
