/* SPDX-License-Identifier: MIT */
/*
 * pcpu/arch/generic.h - the this-CPU fast paths' instructions where the
 * architecture has no restartable sequences here (aarch64 and others):
 * owned-copy updates are relaxed atomics, and the runtime never chooses
 * the rseq mode.  Not a public interface: included by <pcpu.h> only.
 *
 * An owned copy is written by one thread and its signal handlers only, so
 * the atomic is uncontended; it is still needed, because a load, add and
 * store could lose the update of a handler that ran between them.  On
 * aarch64, gcc's outline atomics pick LSE's LDADD/STADD where the CPU has
 * them and an LDXR/STXR loop on armv8.0, which a signal cannot break
 * either (returning from the handler clears the exclusive monitor).
 */
#ifndef PCPU_ARCH_GENERIC_H
#define PCPU_ARCH_GENERIC_H

#include <stdint.h>

/*
 * Every function of these headers: inlined wherever it is called, never
 * emitted out of line (GNU extern inline), so that the non-static inline
 * API functions may call it.
 */
#ifndef PCPU_ARCH_INLINE
#define PCPU_ARCH_INLINE                                                                 \
	extern __inline__ __attribute__((__gnu_inline__, __always_inline__))
#endif

#define PCPU_ARCH_RSEQ 0
/* Never used: no abort handler carries a signature here, and the runtime
 * registers no rseq area of its own (it runs no sequence). */
#define PCPU_ARCH_RSEQ_SIG 0

/*
 * PCPU_MODE=auto, which can never choose rseq here: on aarch64 the local
 * mode, whose owned-slot update is one uncontended atomic on a line no
 * other CPU writes; elsewhere the atomic mode, which assumes nothing of
 * the architecture.
 */
#if defined(__aarch64__)
#define PCPU_ARCH_AUTO_LOCAL 1
#else
#define PCPU_ARCH_AUTO_LOCAL 0
#endif

/* One iteration of a spin-wait: a hint to the core, where there is one. */
PCPU_ARCH_INLINE void pcpu_arch_relax(void)
{
#if defined(__aarch64__)
	__asm__ __volatile__("yield" : : : "memory");
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

/* The 32-bit field at off from the thread pointer. */
PCPU_ARCH_INLINE uint32_t pcpu_arch_tp_u32(long off)
{
	return __atomic_load_n((uint32_t *)((char *)__builtin_thread_pointer() + off),
			       __ATOMIC_RELAXED);
}

PCPU_ARCH_INLINE void pcpu_arch_add_owned(int64_t *at, int64_t v)
{
	__atomic_fetch_add(at, v, __ATOMIC_RELAXED);
}

/* Add v and return the copy's new value (x86_64.h: a handler's add in
 * between may show in it). */
PCPU_ARCH_INLINE int64_t pcpu_arch_add_load_owned64(int64_t *at, int64_t v)
{
	return (int64_t)((uint64_t)__atomic_fetch_add(at, v, __ATOMIC_RELAXED) +
			 (uint64_t)v);
}

PCPU_ARCH_INLINE int64_t pcpu_arch_xadd_owned64(int64_t *at, int64_t v)
{
	return __atomic_fetch_add(at, v, __ATOMIC_RELAXED);
}

PCPU_ARCH_INLINE uint32_t pcpu_arch_xadd_owned32(uint32_t *at, uint32_t v)
{
	return __atomic_fetch_add(at, v, __ATOMIC_RELAXED);
}

#endif
