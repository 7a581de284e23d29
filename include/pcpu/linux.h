/* SPDX-License-Identifier: MIT */
/*
 * pcpu/linux.h - the kernel's per-CPU names on top of <pcpu.h>, so code
 * ported from the kernel compiles unchanged and behaves as it did there.
 * GNU C (statement expressions, __typeof__), as kernel code is.
 *
 * What it covers:
 *   - per-CPU memory: alloc_percpu(), alloc_percpu_gfp(), __alloc_percpu(),
 *     __alloc_percpu_gfp(), free_percpu(), per_cpu_ptr(), this_cpu_ptr(),
 *     raw_cpu_ptr(), get_cpu_ptr()/put_cpu_ptr(), __percpu;
 *   - static per-CPU variables: DEFINE_PER_CPU, DECLARE_PER_CPU and their
 *     _ALIGNED, _SHARED_ALIGNED and _READ_MOSTLY forms, per_cpu(),
 *     get_cpu_var()/put_cpu_var();
 *   - this_cpu_{read,write,xchg,cmpxchg,try_cmpxchg,add,sub,inc,dec,and,or,
 *     add_return,sub_return,inc_return,dec_return}() on 1, 2, 4 and 8-byte
 *     lvalues, and the same with the __this_cpu_ and raw_cpu_ prefixes;
 *   - CPUs: nr_cpu_ids, num_possible_cpus(), num_online_cpus(),
 *     for_each_possible_cpu(), for_each_online_cpu();
 *   - percpu_counter: the kernel's init signatures (gfp), percpu_counter_batch,
 *     __percpu_counter_compare(), __percpu_counter_sum(),
 *     percpu_counter_add_local()/sub_local(), percpu_counter_sync(),
 *     __percpu_counter_limited_add() and every name <pcpu.h> shares with the
 *     kernel (percpu_counter_initialized() among them);
 *   - percpu_ref: the init signature (gfp), percpu_ref_tryget_live_rcu(),
 *     and <pcpu.h>'s names, which are the kernel's (tryget_many, the
 *     asynchronous switch_to_atomic, resurrect after release, ...);
 *   - percpu_counter_tree: the kernel's init and init_many (items, gfp),
 *     percpu_counter_tree_items_size(),
 *     percpu_counter_tree_approximate_min_max_range(), and <pcpu.h>'s names.
 *
 * What a "CPU" is here.  Every per-CPU object has pcpu_nr_cpus() copies,
 * called units.  The unit a thread's this_cpu_*() operations use is the
 * one pcpu_this_ptr() returns (see <pcpu.h>): in the runtime's rseq and
 * atomic modes a concurrency slot (the rseq area's mm_cid, not the CPU
 * number) or the CPU number where the kernel gives no mm_cid; in its local
 * mode the slot the thread owns; in the portable library the CPU number.
 * this_cpu_ptr(), this_cpu_read() and this_cpu_add() always name the same
 * unit, but per_cpu_ptr(p, n) is "unit n", CPU n only where units are
 * CPUs.  nr_cpu_ids and num_possible_cpus() are the number of units, so
 * arrays indexed by a cpu argument and for_each_possible_cpu() loops cover
 * every copy; num_online_cpus() is the machine's online CPU count, for
 * batch and watermark formulas (with the local mode's slots, the number of
 * units is several times the CPU count).  for_each_online_cpu() visits
 * every unit too: an idle unit still holds data that a sum must see.
 *
 * Static per-CPU variables.  DEFINE_PER_CPU puts a template in the
 * module's "pcpu_static" section; per_cpu(), per_cpu_ptr(&var, n),
 * this_cpu_*(var) translate its address (pcpu_static_ptr()) to a per-CPU
 * object whose copies start as the template, made on first use.  They are
 * usable at file scope, from any module (executable, shared library,
 * dlopen()ed plugin), across LD_PRELOAD, from the first constructor that
 * runs, whatever the order in which modules' constructors run: each
 * translation unit that includes this header emits an ELF note locating
 * its module's section (offsets the static linker resolves: readable
 * before any constructor), and the library reads every loaded module's
 * notes on its first translation and whenever a module's constructor
 * registers (see shim/common/static_vars.c).  So a library's constructor
 * may use a variable its executable defines.  An executable built without
 * -fPIE gets copies of the variables of other modules it names (copy
 * relocations, on x86-64 and arm64): the library finds them among the
 * executable's relocations and translates them to the defining module's
 * per-CPU object, so such executables work too.  Rules: never assign the
 * variable directly (the template is only an initial image); alignment up
 * to 64 bytes; at most PCPU_ALLOC_MAX bytes of them per module, in at
 * most 64 modules; the section and its note must survive the link (no
 * linker script discarding .note.pcpu_static).  DECLARE_PER_CPU makes the
 * declaration weak, so that a position-independent executable reaches a
 * library's variable through the GOT rather than a copy; so a missing
 * definition is not a link error.  A dlclose()d module's copies stay.
 *
 * this_cpu_*() take the per-CPU lvalue, as in the kernel:
 * this_cpu_inc(stats->packets) where stats came from alloc_percpu(), or
 * this_cpu_inc(var) for a static one.  An 8-byte add goes through
 * pcpu_this_add(), never lost, whatever the migrations and signals; every
 * other operation is an atomic on the copy pcpu_this_ptr() names.  The
 * unit may change between two operations (preemption is not disabled), so
 * a read-modify-write written as this_cpu_read() then this_cpu_write() can
 * lose an update that the kernel, with preemption disabled, would not:
 * use this_cpu_add(), _xchg() or _cmpxchg().  In the runtime's rseq mode,
 * an 8-byte add is not atomic against an atomic on the same copy by a
 * thread that was preempted after choosing it: do not mix this_cpu_add()
 * with this_cpu_write/xchg/cmpxchg() on one 8-byte variable if a lost
 * update matters.  Updates from other threads through per_cpu_ptr() follow
 * <pcpu.h>'s pcpu_ptr() rules.
 *
 * Differences from the kernel that remain:
 *   - no preemption control: preempt_disable(), get_cpu()/put_cpu(),
 *     local_irq_save() and smp_processor_id() are not provided (there is no
 *     CPU a thread is guaranteed to stay on; pcpu_this_ptr() gives the
 *     unit).  get_cpu_ptr()/get_cpu_var() are this_cpu_ptr() and the
 *     caller's unit at the time of the call; put_cpu_ptr()/put_cpu_var()
 *     do nothing.  __this_cpu_*() and raw_cpu_*() are this_cpu_*();
 *   - no CPU hotplug: units are fixed for the life of the process;
 *   - gfp arguments (GFP_KERNEL, GFP_ATOMIC, ...) are accepted and ignored:
 *     allocation may sleep whatever they say;
 *   - percpu_counter_tree's items argument is ignored (the library
 *     allocates its own), and items_size() is a token size;
 *   - percpu_ref_switch_to_atomic() completes the switch and calls confirm
 *     before it returns (the kernel may return first);
 *   - percpu_counter_batch is max(512, 2 * units), not max(32, 2 * CPUs):
 *     a fold costs far more than an add here (doc/design.md), so read()'s
 *     bound is wider by as much; pass a batch where it must be tighter;
 *   - __percpu_counter_limited_add() is exact whatever the batch;
 *   - misuse the kernel warns about aborts where memory safety is at stake
 *     (see <pcpu.h>); percpu_ref_reinit() still needs ALLOW_REINIT (or
 *     INIT_ATOMIC/INIT_DEAD, which imply it, as in the kernel).
 * Names that are not per-CPU (locks, printk, wait queues, RCU) are out of
 * scope: bring your own.
 */
#ifndef PCPU_LINUX_H
#define PCPU_LINUX_H

#include <pcpu.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef unsigned int gfp_t;

#define GFP_KERNEL	   ((gfp_t)0)
#define GFP_KERNEL_ACCOUNT ((gfp_t)0)
#define GFP_ATOMIC	   ((gfp_t)0)
#define GFP_NOWAIT	   ((gfp_t)0)
#define GFP_NOFS	   ((gfp_t)0)
#define GFP_NOIO	   ((gfp_t)0)
#define __GFP_ZERO	   ((gfp_t)0)
#define __GFP_NOWARN	   ((gfp_t)0)

/* An address space marker for sparse in the kernel; nothing here. */
#define __percpu

/* ------------------------------------------------------------------------
 * Per-CPU memory
 */

#define __alloc_percpu(size, align)	     pcpu_alloc((size), (align))
#define __alloc_percpu_gfp(size, align, gfp) ((void)(gfp), pcpu_alloc((size), (align)))
#define alloc_percpu_gfp(type, gfp)                                                      \
	((type *)__alloc_percpu_gfp(sizeof(type), __alignof__(type), gfp))
#define alloc_percpu(type) alloc_percpu_gfp(type, GFP_KERNEL)
#define free_percpu(p)	   pcpu_free((void *)(p))

/* unsigned int, as in the kernel. */
#define num_possible_cpus()	   ((unsigned int)pcpu_nr_cpus())
#define nr_cpu_ids		   ((unsigned int)pcpu_nr_cpus())
#define num_online_cpus()	   ((unsigned int)sysconf(_SC_NPROCESSORS_ONLN))
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < pcpu_nr_cpus(); (cpu)++)
#define for_each_online_cpu(cpu)   for_each_possible_cpu(cpu)

/* A pointer as per-CPU pointer: a static variable's template address
 * becomes its per-CPU object's, anything else is left as it is. */
#define __pcpu_linux_pcpu(p) ((__typeof__(p))pcpu_linux_static_ptr((void *)(p)))

#define per_cpu_ptr(p, cpu) ((__typeof__(p))pcpu_ptr(__pcpu_linux_pcpu(p), (cpu)))
#define this_cpu_ptr(p)	    ((__typeof__(p))pcpu_this_ptr(__pcpu_linux_pcpu(p)))
#define raw_cpu_ptr(p)	    this_cpu_ptr(p)
#define get_cpu_ptr(p)	    this_cpu_ptr(p)
#define put_cpu_ptr(p)	    ((void)(p))

/* ------------------------------------------------------------------------
 * Static per-CPU variables
 */

#define PCPU_LINUX_SECTION   __attribute__((section("pcpu_static")))
#define PCPU_LINUX_CACHELINE __attribute__((aligned(64)))

#define DECLARE_PER_CPU(type, name) extern __attribute__((weak)) __typeof__(type) name
#define DEFINE_PER_CPU(type, name)  PCPU_LINUX_SECTION __typeof__(type) name
#define DECLARE_PER_CPU_ALIGNED(type, name)                                              \
	DECLARE_PER_CPU(type, name) PCPU_LINUX_CACHELINE
#define DEFINE_PER_CPU_ALIGNED(type, name)	   DEFINE_PER_CPU(type, name) PCPU_LINUX_CACHELINE
#define DECLARE_PER_CPU_SHARED_ALIGNED(type, name) DECLARE_PER_CPU_ALIGNED(type, name)
#define DEFINE_PER_CPU_SHARED_ALIGNED(type, name)  DEFINE_PER_CPU_ALIGNED(type, name)
#define DECLARE_PER_CPU_READ_MOSTLY(type, name)	   DECLARE_PER_CPU(type, name)
#define DEFINE_PER_CPU_READ_MOSTLY(type, name)	   DEFINE_PER_CPU(type, name)

#define per_cpu(var, cpu) (*per_cpu_ptr(&(var), cpu))
#define get_cpu_var(var)  (*this_cpu_ptr(&(var)))
#define put_cpu_var(var)  ((void)&(var))

/*
 * The module's section and its note.  Each translation unit contributes an
 * empty piece of the section, so the linker always defines its bounds
 * (hidden: this module's), and a note of name "libpcpu" and type
 * 0x70637075 ("pcpu") whose descriptor is two 32-bit offsets, the
 * section's start and end each minus the offset's own address.  Both ends
 * being in this module, the linker resolves them: the note needs no
 * relocation, and the library finds the section in the loaded image
 * before any constructor ran.  The format is ABI (static_vars.c reads it).
 */
extern char __start_pcpu_static[] __attribute__((visibility("hidden")));
extern char __stop_pcpu_static[] __attribute__((visibility("hidden")));
__asm__(".pushsection pcpu_static,\"aw\",%progbits\n"
	".popsection\n"
	".pushsection .note.pcpu_static,\"a\",%note\n"
	".balign 4\n"
	".long 2f - 1f, 8, 0x70637075\n" /* namesz, descsz, type */
	"1: .asciz \"libpcpu\"\n"
	"2: .balign 4\n"
	".long __start_pcpu_static - .\n"
	".long __stop_pcpu_static - .\n"
	".popsection");

/* Registers the section from the module's first constructor (priority 101:
 * lower ones are the implementation's), which also reads the notes of
 * every module loaded with it: a module dlopen()ed after the library's
 * first read is found so.  static: one copy per translation unit,
 * registering again is a no-op. */
__attribute__((constructor(101))) static void pcpu_linux_register(void)
{
	int err = pcpu_static_register(__start_pcpu_static, __stop_pcpu_static);

	if (err) {
		fprintf(stderr,
			"libpcpu: pcpu_static_register(%p): error %d: the static "
			"per-CPU variables are too large or in too many modules\n",
			(void *)__start_pcpu_static, err);
		abort();
	}
}

/*
 * pcpu_static_ptr(), with the module's own variables translated inline:
 * the per-CPU pointer that stands for the section's first byte is asked
 * once per translation unit and kept, so this_cpu_*(var) and per_cpu() on
 * a variable the module defines make no call beyond the operation's own.
 * Other addresses (another module's variables, alloc_percpu() memory) are
 * the library's to translate.
 */
static char *pcpu_linux_base;

static inline void *pcpu_linux_static_ptr(void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)__start_pcpu_static;
	char *base;

	if (off >= (uintptr_t)__stop_pcpu_static - (uintptr_t)__start_pcpu_static)
		return pcpu_static_ptr(p);
	base = __atomic_load_n(&pcpu_linux_base, __ATOMIC_ACQUIRE);
	if (__builtin_expect(!base, 0)) {
		base = (char *)pcpu_static_ptr(__start_pcpu_static);
		__atomic_store_n(&pcpu_linux_base, base, __ATOMIC_RELEASE);
	}
	return base + off;
}

/* ------------------------------------------------------------------------
 * this_cpu operations
 */

/* The caller's copy of the per-CPU lvalue pcp, typed. */
#define __pcpu_linux_this(pcp) this_cpu_ptr(&(pcp))
#define __pcpu_linux_is8(pcp)  (sizeof(pcp) == sizeof(int64_t))

#define this_cpu_read(pcp) __atomic_load_n(__pcpu_linux_this(pcp), __ATOMIC_RELAXED)
#define this_cpu_write(pcp, val)                                                         \
	__atomic_store_n(__pcpu_linux_this(pcp), (val), __ATOMIC_RELAXED)
#define this_cpu_xchg(pcp, nval)                                                         \
	__atomic_exchange_n(__pcpu_linux_this(pcp), (nval), __ATOMIC_RELAXED)
#define this_cpu_try_cmpxchg(pcp, ovalp, nval)                                           \
	__atomic_compare_exchange_n(__pcpu_linux_this(pcp), (ovalp), (nval), 0,          \
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#define this_cpu_cmpxchg(pcp, oval, nval)                                                \
	({                                                                               \
		__typeof__(pcp) __pcpu_old = (oval);                                     \
		this_cpu_try_cmpxchg(pcp, &__pcpu_old, (nval));                          \
		__pcpu_old;                                                              \
	})
#define this_cpu_and(pcp, val)                                                           \
	((void)__atomic_fetch_and(__pcpu_linux_this(pcp), (val), __ATOMIC_RELAXED))
#define this_cpu_or(pcp, val)                                                            \
	((void)__atomic_fetch_or(__pcpu_linux_this(pcp), (val), __ATOMIC_RELAXED))

#define this_cpu_add_return(pcp, val)                                                    \
	({                                                                               \
		__typeof__(pcp) *__pcpu_p = __pcpu_linux_pcpu(&(pcp));                   \
		__typeof__(pcp) __pcpu_v = (__typeof__(pcp))(val);                       \
		__pcpu_linux_is8(pcp)                                                    \
		    ? (__typeof__(pcp))pcpu_this_add_return((int64_t *)(void *)__pcpu_p, \
							    (int64_t)__pcpu_v)           \
		    : __atomic_add_fetch((__typeof__(pcp) *)pcpu_this_ptr(__pcpu_p),     \
					 __pcpu_v, __ATOMIC_RELAXED);                    \
	})
#define this_cpu_add(pcp, val)                                                           \
	do {                                                                             \
		__typeof__(pcp) *__pcpu_p = __pcpu_linux_pcpu(&(pcp));                   \
		__typeof__(pcp) __pcpu_v = (__typeof__(pcp))(val);                       \
		if (__pcpu_linux_is8(pcp))                                               \
			pcpu_this_add((int64_t *)(void *)__pcpu_p, (int64_t)__pcpu_v);   \
		else                                                                     \
			__atomic_fetch_add((__typeof__(pcp) *)pcpu_this_ptr(__pcpu_p),   \
					   __pcpu_v, __ATOMIC_RELAXED);                  \
	} while (0)
#define this_cpu_sub(pcp, val)	      this_cpu_add(pcp, -(__typeof__(pcp))(val))
#define this_cpu_inc(pcp)	      this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp)	      this_cpu_sub(pcp, 1)
#define this_cpu_sub_return(pcp, val) this_cpu_add_return(pcp, -(__typeof__(pcp))(val))
#define this_cpu_inc_return(pcp)      this_cpu_add_return(pcp, 1)
#define this_cpu_dec_return(pcp)      this_cpu_sub_return(pcp, 1)

/*
 * The kernel's variants for callers that disabled preemption (__this_cpu)
 * or do not care (raw_cpu): the same operations here, which are correct
 * whatever the thread does in between.
 */
#define __this_cpu_read(pcp)			 this_cpu_read(pcp)
#define __this_cpu_write(pcp, val)		 this_cpu_write(pcp, val)
#define __this_cpu_xchg(pcp, nval)		 this_cpu_xchg(pcp, nval)
#define __this_cpu_cmpxchg(pcp, oval, nval)	 this_cpu_cmpxchg(pcp, oval, nval)
#define __this_cpu_try_cmpxchg(pcp, ovalp, nval) this_cpu_try_cmpxchg(pcp, ovalp, nval)
#define __this_cpu_and(pcp, val)		 this_cpu_and(pcp, val)
#define __this_cpu_or(pcp, val)			 this_cpu_or(pcp, val)
#define __this_cpu_add(pcp, val)		 this_cpu_add(pcp, val)
#define __this_cpu_sub(pcp, val)		 this_cpu_sub(pcp, val)
#define __this_cpu_inc(pcp)			 this_cpu_inc(pcp)
#define __this_cpu_dec(pcp)			 this_cpu_dec(pcp)
#define __this_cpu_add_return(pcp, val)		 this_cpu_add_return(pcp, val)
#define __this_cpu_sub_return(pcp, val)		 this_cpu_sub_return(pcp, val)
#define __this_cpu_inc_return(pcp)		 this_cpu_inc_return(pcp)
#define __this_cpu_dec_return(pcp)		 this_cpu_dec_return(pcp)

#define raw_cpu_read(pcp)		      this_cpu_read(pcp)
#define raw_cpu_write(pcp, val)		      this_cpu_write(pcp, val)
#define raw_cpu_xchg(pcp, nval)		      this_cpu_xchg(pcp, nval)
#define raw_cpu_cmpxchg(pcp, oval, nval)      this_cpu_cmpxchg(pcp, oval, nval)
#define raw_cpu_try_cmpxchg(pcp, ovalp, nval) this_cpu_try_cmpxchg(pcp, ovalp, nval)
#define raw_cpu_and(pcp, val)		      this_cpu_and(pcp, val)
#define raw_cpu_or(pcp, val)		      this_cpu_or(pcp, val)
#define raw_cpu_add(pcp, val)		      this_cpu_add(pcp, val)
#define raw_cpu_sub(pcp, val)		      this_cpu_sub(pcp, val)
#define raw_cpu_inc(pcp)		      this_cpu_inc(pcp)
#define raw_cpu_dec(pcp)		      this_cpu_dec(pcp)
#define raw_cpu_add_return(pcp, val)	      this_cpu_add_return(pcp, val)
#define raw_cpu_sub_return(pcp, val)	      this_cpu_sub_return(pcp, val)
#define raw_cpu_inc_return(pcp)		      this_cpu_inc_return(pcp)
#define raw_cpu_dec_return(pcp)		      this_cpu_dec_return(pcp)

/* ------------------------------------------------------------------------
 * Counters and refs: the kernel's signatures, gfp ignored.  A macro does
 * not expand inside its own expansion, so one named like a <pcpu.h>
 * function forwards to it.
 */

#define percpu_counter_init(c, value, gfp) ((void)(gfp), percpu_counter_init(c, value))
#define percpu_counter_init_many(c, value, gfp, nr)                                      \
	((void)(gfp), percpu_counter_init_many(c, value, nr))
/* A variable in the kernel. */
#define percpu_counter_batch percpu_counter_batch()
#define __percpu_counter_compare(c, rhs, batch)                                          \
	percpu_counter_compare_batch(c, rhs, batch)
#define __percpu_counter_sum(c) percpu_counter_sum(c)
/* The kernel's local adds: a batch no add reaches, so they stay in the
 * CPU's delta until a sum, a set or a sync. */
#define percpu_counter_add_local(c, amount) percpu_counter_add_batch(c, amount, INT32_MAX)
#define percpu_counter_sub_local(c, amount)                                              \
	percpu_counter_add_local(c, (int64_t)(0 - (uint64_t)(amount)))
/* Fold the caller's delta into the count: an add of 0 with batch 1 takes
 * any delta that is not 0. */
#define percpu_counter_sync(c) percpu_counter_add_batch(c, 0, 1)
#define __percpu_counter_limited_add(c, limit, amount, batch)                            \
	((void)(batch), percpu_counter_limited_add(c, limit, amount))

#define percpu_ref_init(ref, release, flags, gfp)                                        \
	((void)(gfp), percpu_ref_init(ref, release, flags))
/* The kernel's caller holds the RCU read lock; nothing more is needed. */
#define percpu_ref_tryget_live_rcu(ref) percpu_ref_tryget_live(ref)

/* The tree items the kernel's callers allocate: the library allocates its
 * own, so they are a token the size of this struct, unused. */
struct percpu_counter_tree_level_item {
	unsigned char unused;
};
#define percpu_counter_tree_items_size() sizeof(struct percpu_counter_tree_level_item)
#define percpu_counter_tree_init(c, items, batch_size, gfp)                              \
	((void)(items), (void)(gfp), percpu_counter_tree_init(c, batch_size))
#define percpu_counter_tree_init_many(c, items, nr, batch_size, gfp)                     \
	((void)(items), (void)(gfp), percpu_counter_tree_init_many(c, nr, batch_size))

/* The bounds of the precise sum given an approximate sum and its range
 * (wrapping like the sums). */
static inline void percpu_counter_tree_approximate_min_max_range(long approx,
								 unsigned long under,
								 unsigned long over,
								 long *min, long *max)
{
	*min = (long)((unsigned long)approx - over);
	*max = (long)((unsigned long)approx + under);
}

#endif
