/* SPDX-License-Identifier: MIT */
/*
 * pcpu/linux.h - the kernel's per-CPU names on top of <pcpu.h>, so code
 * ported from the kernel compiles unchanged:
 *
 *   alloc_percpu(type), alloc_percpu_gfp(type, gfp), __alloc_percpu(size,
 *   align), free_percpu(p), per_cpu_ptr(p, cpu), this_cpu_ptr(p),
 *   this_cpu_add/sub/inc/dec(lvalue, ...), this_cpu_add_return(lvalue, v),
 *   for_each_possible_cpu(cpu), num_possible_cpus(), and the kernel's
 *   signatures of percpu_counter_init(), percpu_counter_init_many() and
 *   percpu_ref_init(), which take a gfp argument.
 *
 * gfp arguments (GFP_KERNEL, GFP_ATOMIC, ...) are accepted and ignored:
 * allocation may sleep in user space whatever they say.
 *
 * this_cpu_*() take the per-CPU lvalue, as in the kernel:
 * this_cpu_inc(stats->packets) where stats came from alloc_percpu().  A
 * 64-bit lvalue goes through pcpu_this_add(); a smaller one is added
 * atomically to the copy of the CPU the thread runs on, which is as
 * correct (a migration only costs locality) but slower.  Unlike in the
 * kernel, updates that race with this_cpu_*() on the same copy from
 * per_cpu_ptr() must be atomic.
 *
 * Kernel-only notions have no equivalent here: DEFINE_PER_CPU (static
 * per-CPU variables), preemption control (get_cpu/put_cpu), CPU hotplug.
 */
#ifndef PCPU_LINUX_H
#define PCPU_LINUX_H

#include <pcpu.h>
#include <sched.h>

typedef unsigned int gfp_t;

#define GFP_KERNEL ((gfp_t)0)
#define GFP_KERNEL_ACCOUNT ((gfp_t)0)
#define GFP_ATOMIC ((gfp_t)0)
#define GFP_NOWAIT ((gfp_t)0)
#define GFP_NOFS ((gfp_t)0)
#define GFP_NOIO ((gfp_t)0)
#define __GFP_ZERO ((gfp_t)0)
#define __GFP_NOWARN ((gfp_t)0)

/* Per-CPU memory */

#define __alloc_percpu(size, align) pcpu_alloc((size), (align))
#define __alloc_percpu_gfp(size, align, gfp) ((void)(gfp), pcpu_alloc((size), (align)))
#define alloc_percpu_gfp(type, gfp) \
	((type *)__alloc_percpu_gfp(sizeof(type), __alignof__(type), gfp))
#define alloc_percpu(type) alloc_percpu_gfp(type, GFP_KERNEL)
#define free_percpu(p) pcpu_free((void *)(p))

#define num_possible_cpus() pcpu_nr_cpus()
#define nr_cpu_ids pcpu_nr_cpus()
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < pcpu_nr_cpus(); (cpu)++)

#define per_cpu_ptr(p, cpu) ((__typeof__(p))pcpu_ptr((void *)(p), (cpu)))

/* The copy of the CPU the caller runs on now: it may have moved on by the
 * time the pointer is used, so updates through it must be atomic. */
static inline int pcpu_linux_cpu(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : cpu % pcpu_nr_cpus();
}

#define this_cpu_ptr(p) per_cpu_ptr(p, pcpu_linux_cpu())
#define raw_cpu_ptr(p) this_cpu_ptr(p)

#define this_cpu_add_return(pcp, val)                                             \
	((__typeof__(pcp))(sizeof(pcp) == sizeof(int64_t)                         \
		? (int64_t)pcpu_this_add_return((int64_t *)(void *)&(pcp),        \
						(int64_t)(val))                    \
		: (int64_t)__atomic_add_fetch(this_cpu_ptr(&(pcp)),               \
					      (__typeof__(pcp))(val),              \
					      __ATOMIC_RELAXED)))
#define this_cpu_add(pcp, val)                                                    \
	do {                                                                      \
		if (sizeof(pcp) == sizeof(int64_t))                                \
			pcpu_this_add((int64_t *)(void *)&(pcp), (int64_t)(val)); \
		else                                                              \
			__atomic_fetch_add(this_cpu_ptr(&(pcp)),                   \
					   (__typeof__(pcp))(val),                \
					   __ATOMIC_RELAXED);                      \
	} while (0)
#define this_cpu_sub(pcp, val) this_cpu_add(pcp, -(__typeof__(pcp))(val))
#define this_cpu_inc(pcp) this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp) this_cpu_sub(pcp, 1)
#define this_cpu_inc_return(pcp) this_cpu_add_return(pcp, 1)
#define this_cpu_dec_return(pcp) this_cpu_add_return(pcp, -1)
#define this_cpu_sub_return(pcp, val) this_cpu_add_return(pcp, -(__typeof__(pcp))(val))
/* The kernel's non-preemptible variants: the same here, nothing is ever
 * preempted in an unsafe window. */
#define __this_cpu_add(pcp, val) this_cpu_add(pcp, val)
#define __this_cpu_sub(pcp, val) this_cpu_sub(pcp, val)
#define __this_cpu_inc(pcp) this_cpu_inc(pcp)
#define __this_cpu_dec(pcp) this_cpu_dec(pcp)

/* Counters and refs: the kernel's signatures, gfp ignored.  A macro does
 * not expand inside its own expansion, so each forwards to the function
 * of the same name in <pcpu.h>. */

#define percpu_counter_init(c, value, gfp) ((void)(gfp), percpu_counter_init(c, value))
#define percpu_counter_init_many(c, value, gfp, nr) \
	((void)(gfp), percpu_counter_init_many(c, value, nr))
#define percpu_ref_init(ref, release, flags, gfp) \
	((void)(gfp), percpu_ref_init(ref, release, flags))
/* A variable in the kernel. */
#define percpu_counter_batch percpu_counter_batch()

#endif
