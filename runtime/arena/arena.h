/* SPDX-License-Identifier: MIT */
/*
 * arena - per-CPU memory of the runtime.
 *
 * Every per-CPU object lives in unit 0 of a chunk (runtime/chunk.h) of
 * nr_units units of arena_unit_size bytes each; CPU n's copy is n units
 * further.  So translating a per-CPU pointer (or an interior one) is one
 * multiply-add with no lookup.
 *
 * The arena owns the chunks: it finds room for an allocation in the chunks
 * whose longest free run can hold it, finds the chunk of a pointer being
 * freed, keeps at most one empty chunk, and counts the statistics.  Every
 * function is thread-safe and survives fork().
 */
#ifndef PCPU_ARENA_H
#define PCPU_ARENA_H

#include <pcpu.h>
#include <stddef.h>

/* Bytes between two CPUs' copies (CHUNK_UNIT_STRIDE); fixed by
 * arena_init(), one constant for every object of the process. */
extern size_t arena_unit_size;

/* Set up for nr_units copies; 0 or -errno. */
int arena_init(int nr_units);

/* A zeroed object of a validated request; NULL and errno on failure. */
void *arena_alloc(size_t size, size_t align);

/* Free a live object; abort with a message naming p on misuse. */
void arena_free(void *p);

static inline void *arena_ptr(void *p, int cpu)
{
	return (char *)p + (size_t)cpu * arena_unit_size;
}

/* Fill the allocator's fields of *st. */
void arena_stats(struct pcpu_stats *st);

/* Print per-chunk details; -EIO on a write error, -ENOMEM. */
int arena_stats_print(FILE *f);

#endif
