/* SPDX-License-Identifier: MIT */
/*
 * cpus - the number of possible CPUs, the count per-CPU memory is sized for.
 *
 * Possible, not online and not the affinity mask: a CPU brought online later
 * must already have its copy.
 */
#ifndef PCPU_CPUS_H
#define PCPU_CPUS_H

/* Highest possible CPU number + 1 (at least 1). */
int cpus_possible(void);

#endif
