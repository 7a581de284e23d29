/* SPDX-License-Identifier: MIT */
/* The sum of every copy of a static per-CPU variable, as kernel code
 * writes it (a for_each_possible_cpu() loop over per_cpu()). */
#ifndef PCPU_TESTS_LINUX_SUM_H
#define PCPU_TESTS_LINUX_SUM_H

#include <pcpu/linux.h>

#define per_cpu_sum(var)                                                                 \
	({                                                                               \
		__typeof__(var) __sum = 0;                                               \
		int __cpu;                                                               \
		for_each_possible_cpu(__cpu) __sum += per_cpu(var, __cpu);               \
		__sum;                                                                   \
	})

#endif
