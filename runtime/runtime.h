/* SPDX-License-Identifier: MIT */
/*
 * runtime - start-up of libpcpu.so.
 *
 * The runtime initialises on the first API call that needs it or from its
 * constructor, whichever comes first, so a call from another library's
 * constructor that runs before ours is served correctly.  Initialisation
 * reads the configuration, chooses the CPU access mode (which fixes the
 * number of copies) and sets up the arena.  Fast paths never check for it:
 * they take a per-CPU pointer or an initialised object, and obtaining
 * either went through runtime_init().
 *
 * At exit the runtime prints the reports the configuration asks for
 * (PCPU_STATS, PCPU_DEBUG=leaks) and tears nothing down, so code that runs
 * after its destructor keeps working.
 */
#ifndef PCPU_RUNTIME_H
#define PCPU_RUNTIME_H

extern int runtime_ready;

void runtime_init_slow(void);

static inline void runtime_init(void)
{
	if (__builtin_expect(!__atomic_load_n(&runtime_ready, __ATOMIC_ACQUIRE), 0))
		runtime_init_slow();
}

#endif
