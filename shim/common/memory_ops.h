/* SPDX-License-Identifier: MIT */
/*
 * memory_ops - the argument rules and statistics plumbing of the per-CPU
 * memory API, shared by both implementations so they cannot drift apart.
 */
#ifndef PCPU_MEMORY_OPS_H
#define PCPU_MEMORY_OPS_H

#include <pcpu.h>
#include <stddef.h>

#include "diag.h"

/* 0 if (size, *align) is a valid request, with *align 0 replaced by the
 * default; EINVAL otherwise. */
int memory_check_request(size_t size, size_t *align);

/*
 * pcpu_ptr() and pcpu_sum(): NULL is the one bad pointer either library
 * can tell without a lookup, so both abort on it with the message, and
 * neither looks other pointers up (translation is one multiply-add).
 */
static inline void memory_check_ptr(const char *fn, const void *p)
{
	if (__builtin_expect(!p, 0))
		diag_die(fn, p, "not a per-CPU pointer");
}

/* Copy st to the caller's struct of the caller's size (pcpu_stats()). */
int memory_stats_copy(struct pcpu_stats *dst, size_t size,
		      const struct pcpu_stats *st);

/* Print the summary lines every implementation shares; -EIO on error. */
int memory_stats_print_summary(FILE *f, const char *runtime,
			       const struct pcpu_stats *st);

#endif
