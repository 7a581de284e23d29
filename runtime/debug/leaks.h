/* SPDX-License-Identifier: MIT */
/*
 * leaks - PCPU_DEBUG=leaks: the call stack of every live pcpu_alloc()
 * object, and at exit a report of the objects never freed, grouped by call
 * stack like LeakSanitizer's.
 *
 * Invariant: a record exists exactly while its object is live, because
 * arena_alloc() records an object once it hands it out and arena_free()
 * forgets it before taking it back; so the per-CPU memory of counters and
 * refs is recorded like pcpu_alloc()'s.  Records come from mmap'd slabs,
 * never from malloc, and the table survives fork() (the
 * lock is held across it).
 */
#ifndef PCPU_LEAKS_H
#define PCPU_LEAKS_H

#include <stddef.h>
#include <stdio.h>

#include "debug/config.h"

/* Set up the table and the unwinder; called by runtime_init() when
 * config.debug_leaks is set. */
void leaks_init(void);

void leaks_record(void *p, size_t size);
void leaks_forget(void *p);

/* Print the report of live objects on f. */
void leaks_report(FILE *f);

static inline void leaks_on_alloc(void *p, size_t size)
{
	if (__builtin_expect(config.debug_leaks, 0) && p)
		leaks_record(p, size);
}

static inline void leaks_on_free(void *p)
{
	if (__builtin_expect(config.debug_leaks, 0))
		leaks_forget(p);
}

#endif
