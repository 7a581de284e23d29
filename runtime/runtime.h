/* SPDX-License-Identifier: MIT */
/*
 * runtime - start-up of libpcpu.so.
 *
 * The constructor only reads the configuration: a preloaded program that
 * never calls the API pays for the library's mapping and nothing else (no
 * arena, no jemalloc, no mode set-up), and cannot be stopped by a set-up
 * that fails.  The runtime sets itself up on the first API call that needs
 * it, from whichever thread or constructor makes it: it chooses the CPU
 * access mode (which fixes the number of copies) and sets up the arena.
 * PCPU_VERBOSE=1 sets up at start-up, to print the mode.
 *
 * A set-up that fails (no memory) is final for the process: the calls
 * with an error path return it (runtime_try_init()), the others abort with
 * a message (runtime_init()).  Fast paths never check: they take a per-CPU
 * pointer or an initialised object, and obtaining either went through a
 * successful set-up.
 *
 * At exit the runtime prints the reports the configuration asks for
 * (PCPU_STATS, PCPU_DEBUG=leaks) and tears nothing down, so code that runs
 * after its destructor keeps working.
 */
#ifndef PCPU_RUNTIME_H
#define PCPU_RUNTIME_H

#include <stdio.h>

extern int runtime_ready;

int runtime_init_slow(void);
void runtime_init_or_die(void);

/* Set up if not yet: 0, or -ENOMEM when the runtime cannot be set up. */
static inline int runtime_try_init(void)
{
	if (__builtin_expect(!__atomic_load_n(&runtime_ready, __ATOMIC_ACQUIRE), 0))
		return runtime_init_slow();
	return 0;
}

/* The same for calls that have no error to return: abort on failure. */
static inline void runtime_init(void)
{
	if (__builtin_expect(!__atomic_load_n(&runtime_ready, __ATOMIC_ACQUIRE), 0))
		runtime_init_or_die();
}

/* "libpcpu <version> (mode=..., cpus=...)", set up first. */
const char *runtime_describe(void);

/* The statistics report on f (set up already); 0 or -errno. */
int runtime_stats_print(FILE *f);

#endif
