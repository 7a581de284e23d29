/* SPDX-License-Identifier: MIT */
/*
 * memory_ops - the statistics plumbing of the per-CPU memory API: the
 * copy to the caller's struct and the summary lines, which both libraries
 * and the runtime's exit report print alike.
 */
#ifndef PCPU_MEMORY_OPS_H
#define PCPU_MEMORY_OPS_H

#include <pcpu.h>
#include <stddef.h>

/* Copy st to the caller's struct of the caller's size (pcpu_stats()). */
int memory_stats_copy(struct pcpu_stats *dst, size_t size, const struct pcpu_stats *st);

/* Print the summary lines every implementation shares; -EIO on error. */
int memory_stats_print_summary(FILE *f, const char *runtime, const struct pcpu_stats *st);

#endif
