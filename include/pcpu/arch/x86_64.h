/* SPDX-License-Identifier: MIT */
/*
 * pcpu/arch/x86_64.h - the x86-64 instructions of the this-CPU fast paths,
 * shared by the inline API of <pcpu.h> and by the runtime (which calls
 * them with its own copies of the same values).  Not a public interface:
 * included by <pcpu.h> only.
 *
 * Two kinds of update:
 *   - owned: a copy that only the calling thread (and its signal handlers)
 *     writes.  One read-modify-write instruction without a lock prefix: a
 *     signal cannot split it, and no other CPU writes the line;
 *   - rseq: a restartable sequence on the unit that the thread's rseq area
 *     names (glibc's registered area, or the runtime's own), with the
 *     kernel's abort-and-restart on preemption, migration or signal.
 *
 * Invariants of every sequence:
 *   - the unit index is read inside the critical section, and the section
 *     ends with its commit: one memory add or one store;
 *   - the abort handler is preceded by glibc's x86 signature and re-arms
 *     the descriptor (the kernel clears rseq_cs when it aborts);
 *   - an index at or above nr leaves through the "fold" label: the caller
 *     takes its out-of-line path (a thread whose own area is not yet
 *     registered, or a CPU the possible count missed).
 */
#ifndef PCPU_ARCH_X86_64_H
#define PCPU_ARCH_X86_64_H

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

#define PCPU_ARCH_RSEQ 1
/* The signature before every abort handler: glibc's on x86 (it registers
 * the areas), spelled out in PCPU_RSEQ_END. */
#define PCPU_ARCH_RSEQ_SIG 0x53053053

/* Where a sequence runs: the thread-pointer offsets of the rseq area's
 * rseq_cs and unit index (cpu_id or mm_cid) fields, the unit count and
 * the bytes between two units' copies. */
#define PCPU_RSEQ_ARGS long pcpu_cs, long pcpu_ix, uint32_t pcpu_nr, uint64_t pcpu_stride

/* PCPU_MODE=auto where no rseq area can be used: the atomic mode (its
 * unit from a cached sched_getcpu()). */
#define PCPU_ARCH_AUTO_LOCAL 0

/* One iteration of a spin-wait: tells the core, and its sibling thread,
 * that this one is only waiting. */
PCPU_ARCH_INLINE void pcpu_arch_relax(void)
{
	__asm__ __volatile__("pause" : : : "memory");
}

/* The 32-bit field at off from the thread pointer. */
PCPU_ARCH_INLINE uint32_t pcpu_arch_tp_u32(long off)
{
	uint32_t v;

	__asm__ __volatile__("movl %%fs:(%1), %0" : "=r"(v) : "r"(off));
	return v;
}

/*
 * The owned updates address the copy through one register, never a base
 * and an index: cores that rename memory (Intel's since Ice Lake, AMD's
 * since Zen 2) forward a read-modify-write's result to the next one at no
 * cost only through a simple address, and a loop of indexed adds to one
 * copy runs at the store-forwarding latency instead (1.96 against 0.28 ns
 * an add, measured here).  "+m" only tells the compiler what is updated.
 */
PCPU_ARCH_INLINE void pcpu_arch_add_owned(int64_t *at, int64_t v)
{
	__asm__("addq %1, (%2)" : "+m"(*at) : "er"(v), "r"(at) : "cc");
}

/*
 * Add v, then load the copy's new value: not one atomic step (a signal
 * handler's add in between shows in the value), which is all an add-take
 * needs to see whether the copy left its batch; and on cores that rename
 * memory it is several times cheaper than an xadd, which some (AMD Zen)
 * run at the cost of a locked instruction.
 */
PCPU_ARCH_INLINE int64_t pcpu_arch_add_load_owned64(int64_t *at, int64_t v)
{
	int64_t n;

	__asm__("addq %2, (%3)\n\t"
		"movq (%3), %1"
		: "+m"(*at), "=r"(n)
		: "er"(v), "r"(at)
		: "cc");
	return n;
}

/* Add v, return the old value: an unlocked xadd, one instruction. */
#define PCPU_ARCH_DEFINE_XADD_OWNED(name, type)                                          \
	PCPU_ARCH_INLINE type name(type *at, type v)                                     \
	{                                                                                \
		__asm__("xadd %1, (%2)" : "+m"(*at), "+r"(v) : "r"(at) : "cc");          \
		return v;                                                                \
	}
PCPU_ARCH_DEFINE_XADD_OWNED(pcpu_arch_xadd_owned64, int64_t)
PCPU_ARCH_DEFINE_XADD_OWNED(pcpu_arch_xadd_owned32, uint32_t)

/*
 * The descriptor (3) and the section start (1): the abort handler (4)
 * jumps back to 6, which re-arms.  PCPU_RSEQ_ARM_VIA(reg) clobbers
 * register reg, PCPU_RSEQ_ARM %rax.
 */
#define PCPU_RSEQ_ARM_VIA(reg)                                                           \
	".pushsection __rseq_cs, \"aw\"\n\t"                                             \
	".balign 32\n\t"                                                                 \
	"3:\n\t"                                                                         \
	".long 0, 0\n\t"                                                                 \
	".quad 1f, 2f - 1f, 4f\n\t"                                                      \
	".popsection\n\t"                                                                \
	"6:\n\t"                                                                         \
	"leaq 3b(%%rip), " reg "\n\t"                                                    \
	"movq " reg ", %%fs:(%[cs])\n\t"                                                 \
	"1:\n\t"
#define PCPU_RSEQ_ARM PCPU_RSEQ_ARM_VIA("%%rax")

/* Then the index: range-checked, times the stride, in %rax. */
#define PCPU_RSEQ_BEGIN                                                                  \
	PCPU_RSEQ_ARM                                                                    \
	"movl %%fs:(%[ix]), %%eax\n\t"                                                   \
	"cmpl %[nr], %%eax\n\t"                                                          \
	"jae %l[fold]\n\t"                                                               \
	"imulq %[stride], %%rax\n\t"

#define PCPU_RSEQ_END                                                                    \
	"2:\n\t"                                                                         \
	".pushsection __rseq_failure, \"ax\"\n\t"                                        \
	".byte 0x0f, 0xb9, 0x3d\n\t"                                                     \
	".long 0x53053053\n\t"                                                           \
	"4:\n\t"                                                                         \
	"jmp 6b\n\t"                                                                     \
	".popsection\n\t"

#define PCPU_RSEQ_INPUTS                                                                 \
	[cs] "r"(pcpu_cs), [ix] "r"(pcpu_ix), [nr] "rm"(pcpu_nr),                        \
	    [stride] "rm"(pcpu_stride), [p] "r"(p), [v] "er"(v)

/*
 * Code in a shared object may be unmapped by dlclose(), and the kernel
 * reads the descriptor that rseq_cs names at the thread's next preemption
 * even once the sequence is over: a descriptor gone with its object would
 * kill the thread.  So a sequence compiled into a shared object disarms
 * rseq_cs on every way out (one store); one in an executable, which is
 * never unloaded, leaves it to the kernel.  PCPU_RSEQ_KEEP_ARMED says the
 * object is never unloaded (the runtime, linked -z nodelete).
 */
#if defined(__PIC__) && !defined(__PIE__) && !defined(PCPU_RSEQ_KEEP_ARMED)
#define PCPU_RSEQ_LEAVE(cs)                                                              \
	__asm__ __volatile__("movq $0, %%fs:(%0)" : : "r"(cs) : "memory")
#else
#define PCPU_RSEQ_LEAVE(cs) ((void)(cs))
#endif

/* Add v to this unit's copy of p; 0, or 1 for "index out of range". */
PCPU_ARCH_INLINE int pcpu_arch_rseq_add(int64_t *p, int64_t v, PCPU_RSEQ_ARGS)
{
	__asm__ __volatile__ goto(PCPU_RSEQ_BEGIN "addq %[p], %%rax\n\t"
						  "addq %[v], (%%rax)\n\t" PCPU_RSEQ_END
				  :
				  : PCPU_RSEQ_INPUTS
				  : "rax", "memory", "cc"
				  : fold);
	PCPU_RSEQ_LEAVE(pcpu_cs);
	return 0;
fold:
	PCPU_RSEQ_LEAVE(pcpu_cs);
	return 1;
}

/*
 * Add-return on a 64- or 32-bit copy (the operand types choose the
 * instructions' size): *r is the copy's new value; 0, or 1 for "index out
 * of range".
 */
#define PCPU_ARCH_DEFINE_RSEQ_ADD_RETURN(name, type)                                     \
	PCPU_ARCH_INLINE int name(type *p, type v, type *r, PCPU_RSEQ_ARGS)              \
	{                                                                                \
		type n;                                                                  \
                                                                                         \
		__asm__ __volatile__ goto(PCPU_RSEQ_BEGIN                                \
					  "addq %[p], %%rax\n\t"                         \
					  "mov (%%rax), %[n]\n\t"                        \
					  "add %[v], %[n]\n\t"                           \
					  "mov %[n], (%%rax)\n\t" PCPU_RSEQ_END          \
					  : [n] "=&r"(n)                                 \
					  : PCPU_RSEQ_INPUTS                             \
					  : "rax", "memory", "cc"                        \
					  : fold);                                       \
		*r = n;                                                                  \
		PCPU_RSEQ_LEAVE(pcpu_cs);                                                \
		return 0;                                                                \
	fold:                                                                            \
		PCPU_RSEQ_LEAVE(pcpu_cs);                                                \
		return 1;                                                                \
	}
PCPU_ARCH_DEFINE_RSEQ_ADD_RETURN(pcpu_arch_rseq_add_return64, int64_t)
PCPU_ARCH_DEFINE_RSEQ_ADD_RETURN(pcpu_arch_rseq_add_return32, uint32_t)

/*
 * Add-take: add v to this unit's copy; if the new value n leaves
 * (-batch, batch) (bm1 = batch - 1) store 0 instead and set *taken = n,
 * else *taken = 0.  The sequence commits with that one store, so the copy
 * emptied is the one the add pushed over, wherever the thread runs next.
 * 0, or 1 for "index out of range".
 */
PCPU_ARCH_INLINE int pcpu_arch_rseq_add_take(int64_t *p, int64_t v, uint64_t bm1,
					     int64_t *taken, PCPU_RSEQ_ARGS)
{
	int64_t n, keep;

	__asm__ __volatile__ goto(
	    PCPU_RSEQ_BEGIN "addq %[p], %%rax\n\t"
			    "movq (%%rax), %[n]\n\t"
			    "addq %[v], %[n]\n\t"
			    /* keep = n + bm1 <= 2 bm1 (unsigned) ? n : 0 */
			    "leaq (%[n], %[bm1]), %[keep]\n\t"
			    "cmpq %[span], %[keep]\n\t"
			    "sbbq %[keep], %[keep]\n\t"
			    "andq %[n], %[keep]\n\t"
			    "movq %[keep], (%%rax)\n\t" PCPU_RSEQ_END
	    : [n] "=&r"(n), [keep] "=&r"(keep)
	    : PCPU_RSEQ_INPUTS, [bm1] "r"(bm1), [span] "rm"(2 * bm1 + 1)
	    : "rax", "memory", "cc"
	    : fold);
	/* the sequence kept n, or stored 0 for an n that is never 0 */
	*taken = n == keep ? 0 : n;
	PCPU_RSEQ_LEAVE(pcpu_cs);
	return 0;
fold:
	PCPU_RSEQ_LEAVE(pcpu_cs);
	return 1;
}

/*
 * The end of a sequence that adds v to the copy at the address in register
 * copy only if the copy's new value n stays inside the batch (n + bm1 <=
 * 2 bm1, unsigned; operands v, bm1 and bspan = 2 bm1), through register
 * tmp: no copy ever holds a batch or more.  Label full: not added.
 */
#define PCPU_RSEQ_ADD_WITHIN(copy, tmp)                                                  \
	"movq (" copy "), " tmp "\n\t"                                                   \
	"addq %[v], " tmp "\n\t"                                                         \
	"addq %[bm1], " tmp "\n\t"                                                       \
	"cmpq %[bspan], " tmp "\n\t"                                                     \
	"ja %l[full]\n\t"                                                                \
	"subq %[bm1], " tmp "\n\t"                                                       \
	"movq " tmp ", (" copy ")\n\t" PCPU_RSEQ_END

/*
 * Add v to this unit's copy of p only if the copy's new value stays inside
 * the batch (PCPU_RSEQ_ADD_WITHIN).  0 added, 1 index out of range, 3 not
 * added (full).
 */
PCPU_ARCH_INLINE int pcpu_arch_rseq_add_within(int64_t *p, int64_t v, uint64_t bm1,
					       PCPU_RSEQ_ARGS)
{
	__asm__ __volatile__ goto(
	    PCPU_RSEQ_BEGIN "addq %[p], %%rax\n\t" PCPU_RSEQ_ADD_WITHIN("%%rax", "%%rcx")
	    :
	    : PCPU_RSEQ_INPUTS, [bm1] "r"(bm1), [bspan] "rm"(2 * bm1)
	    : "rax", "rcx", "memory", "cc"
	    : fold, full);
	PCPU_RSEQ_LEAVE(pcpu_cs);
	return 0;
fold:
	PCPU_RSEQ_LEAVE(pcpu_cs);
	return 1;
full:
	PCPU_RSEQ_LEAVE(pcpu_cs);
	return 3;
}

/*
 * Gated add: add v to this unit's copy of p unless *gate is non-zero.
 * The gate is read inside the sequence, so a membarrier that restarts the
 * sequence after the gate was set makes it see the gate.  0 added,
 * 1 index out of range, 2 gate closed.
 */
PCPU_ARCH_INLINE int pcpu_arch_rseq_gated_add(int64_t *p, int64_t v, const int *gate,
					      PCPU_RSEQ_ARGS)
{
	__asm__ __volatile__ goto(PCPU_RSEQ_BEGIN "cmpl $0, (%[gate])\n\t"
						  "jne %l[closed]\n\t"
						  "addq %[p], %%rax\n\t"
						  "addq %[v], (%%rax)\n\t" PCPU_RSEQ_END
				  :
				  : PCPU_RSEQ_INPUTS, [gate] "r"(gate)
				  : "rax", "memory", "cc"
				  : fold, closed);
	PCPU_RSEQ_LEAVE(pcpu_cs);
	return 0;
fold:
	PCPU_RSEQ_LEAVE(pcpu_cs);
	return 1;
closed:
	PCPU_RSEQ_LEAVE(pcpu_cs);
	return 2;
}

/*
 * Gated add on a copy the caller has already located (the local mode's
 * slots): the sequence only makes the gate read and the add one
 * restartable unit, so that a grace period need not wait for an add
 * preempted between the two.  _at for a copy no other thread updates (an
 * owned slot), _locked_at for one that others update atomically.  0 added,
 * 2 gate closed.
 */
#define PCPU_ARCH_DEFINE_RSEQ_GATED_ADD_AT(name, lock)                                   \
	PCPU_ARCH_INLINE int name(int64_t *at, int64_t v, const int *gate, long pcpu_cs) \
	{                                                                                \
		__asm__ __volatile__ goto(                                               \
		    PCPU_RSEQ_ARM "cmpl $0, (%[gate])\n\t"                               \
				  "jne %l[closed]\n\t" lock                              \
				  "addq %[v], (%[at])\n\t" PCPU_RSEQ_END                 \
		    :                                                                    \
		    : [cs] "r"(pcpu_cs), [at] "r"(at), [v] "er"(v), [gate] "r"(gate)     \
		    : "rax", "memory", "cc"                                              \
		    : closed);                                                           \
		PCPU_RSEQ_LEAVE(pcpu_cs);                                                \
		return 0;                                                                \
	closed:                                                                          \
		PCPU_RSEQ_LEAVE(pcpu_cs);                                                \
		return 2;                                                                \
	}
PCPU_ARCH_DEFINE_RSEQ_GATED_ADD_AT(pcpu_arch_rseq_gated_add_at, "")
PCPU_ARCH_DEFINE_RSEQ_GATED_ADD_AT(pcpu_arch_rseq_gated_add_locked_at, "lock ")

/*
 * A limited add's fast path, as one restartable sequence that reads the
 * counter's batch b (at least 1 in an initialised counter) and adds v to
 * a copy only if
 *   - the 32-bit gate is 0;
 *   - the count lies where every value within slack = b * (nr + 1) of it
 *     (nr units, and one more for a shared copy's fold in flight) wraps
 *     nowhere and is |v| inside the limit: count - slack and count + slack
 *     do not overflow, and count + slack <= lim (adds up: lim = limit - v)
 *     or count - slack >= lim (adds down);
 *   - the copy's new value n stays inside (-b, b): n + b - 1 <= 2b - 2,
 *     unsigned.
 * The window is pcpu_abi_limited_window()'s (pcpu/abi.h), from the batch
 * read inside the sequence: a limited slow path that changes the batch
 * (a widening) or the count raises the gate and then waits out the
 * sequences in flight (a membarrier), so none decides on a batch or count
 * it changed, and no copy ever holds a batch or more (the bound the window
 * relies on; a plain add with a larger batch is pcpu.h's exception).
 * PCPU_RSEQ_LIMITED_ADD(copy, up, down) is the body after the sequence
 * start, with the copy's address in register copy; up and down compare
 * count + slack, and count - slack, with lim (one of them empty); operands
 * gate, batch, count, nr (the units), lim and v; labels closed and full;
 * it uses %rcx, %rdx and %rsi.
 */
#define PCPU_RSEQ_LIMITED_ADD(copy, up, down)                                            \
	"cmpl $0, %[gate]\n\t"                                                           \
	"jne %l[closed]\n\t"                                                             \
	"movslq %[batch], %%rcx\n\t"                                                     \
	"movl %[nr], %%edx\n\t"                                                          \
	"imulq %%rcx, %%rdx\n\t"                                                         \
	"addq %%rcx, %%rdx\n\t"                                                          \
	"movq (%[count]), %%rsi\n\t"                                                     \
	"subq %%rdx, %%rsi\n\t"                                                          \
	"jo %l[closed]\n\t" down "addq %%rdx, %%rsi\n\t"                                 \
	"addq %%rdx, %%rsi\n\t"                                                          \
	"jo %l[closed]\n\t" up "movq (" copy "), %%rsi\n\t"                              \
	"addq %[v], %%rsi\n\t"                                                           \
	"leaq -1(%%rsi, %%rcx), %%rdx\n\t"                                               \
	"leaq -2(%%rcx, %%rcx), %%rcx\n\t"                                               \
	"cmpq %%rcx, %%rdx\n\t"                                                          \
	"ja %l[full]\n\t"                                                                \
	"movq %%rsi, (" copy ")\n\t" PCPU_RSEQ_END
#define PCPU_RSEQ_LIMITED_UP   "cmpq %[lim], %%rsi\n\tjg %l[closed]\n\t"
#define PCPU_RSEQ_LIMITED_DOWN "cmpq %[lim], %%rsi\n\tjl %l[closed]\n\t"
#define PCPU_RSEQ_LIMITED_INPUTS                                                         \
	[gate] "m"(*gate), [batch] "m"(*batchp), [count] "r"(count), [lim] "rm"(lim),    \
	    [v] "er"(v)
#define PCPU_RSEQ_LIMITED_ARGS                                                           \
	int64_t v, const uint32_t *gate, const int32_t *batchp, const int64_t *count,    \
	    int64_t lim

/* A way out of a sequence's function: label, the disarm, the result. */
#define PCPU_RSEQ_EXIT(label, res)                                                       \
	label:                                                                           \
	PCPU_RSEQ_LEAVE(pcpu_cs);                                                        \
	return res;

#define PCPU_ARCH_STRIP(...) __VA_ARGS__
/*
 * The two functions of a sequence that decides before it adds (the
 * limited adds'): name_at on an owned copy at, name on this unit's copy of
 * p, each the sequence body(copy register, ...) with the parameters args
 * and their asm operands inputs (parenthesised lists; name_at takes
 * at_args and at_inputs too, before them: the unit count, which name has
 * from PCPU_RSEQ_ARGS).  0 added, 1 index out of range (name only), 2 gate
 * raised (or, for the exact window, count outside it), 3 copy full (fold
 * it first), 4 count outside the far window.
 */
#define PCPU_ARCH_DEFINE_RSEQ_DECIDED(name, args, inputs, at_args, at_inputs, body, ...) \
	PCPU_ARCH_INLINE int name##_at(int64_t *at, PCPU_ARCH_STRIP args,                \
				       PCPU_ARCH_STRIP at_args long pcpu_cs)             \
	{                                                                                \
		__asm__ __volatile__ goto(                                               \
		    PCPU_RSEQ_ARM_VIA("%%rcx") body("%[at]", __VA_ARGS__)                \
		    :                                                                    \
		    : [cs] "r"(pcpu_cs), [at] "r"(at),                                   \
		      PCPU_ARCH_STRIP at_inputs PCPU_ARCH_STRIP inputs                   \
		    : "rcx", "rdx", "rsi", "memory", "cc"                                \
		    : closed, full, near);                                               \
		PCPU_RSEQ_LEAVE(pcpu_cs);                                                \
		return 0;                                                                \
		PCPU_RSEQ_EXIT(closed, 2)                                                \
		PCPU_RSEQ_EXIT(full, 3)                                                  \
		PCPU_RSEQ_EXIT(near, 4)                                                  \
	}                                                                                \
	PCPU_ARCH_INLINE int name(int64_t *p, PCPU_ARCH_STRIP args, PCPU_RSEQ_ARGS)      \
	{                                                                                \
		__asm__ __volatile__ goto(                                               \
		    PCPU_RSEQ_BEGIN "addq %[p], %%rax\n\t" body("%%rax", __VA_ARGS__)    \
		    :                                                                    \
		    : [cs] "r"(pcpu_cs), [ix] "r"(pcpu_ix), [nr] "rm"(pcpu_nr),          \
		      [stride] "rm"(pcpu_stride), [p] "r"(p), PCPU_ARCH_STRIP inputs     \
		    : "rax", "rcx", "rdx", "rsi", "memory", "cc"                         \
		    : fold, closed, full, near);                                         \
		PCPU_RSEQ_LEAVE(pcpu_cs);                                                \
		return 0;                                                                \
		PCPU_RSEQ_EXIT(fold, 1)                                                  \
		PCPU_RSEQ_EXIT(closed, 2)                                                \
		PCPU_RSEQ_EXIT(full, 3)                                                  \
		PCPU_RSEQ_EXIT(near, 4)                                                  \
	}
#define PCPU_ARCH_DEFINE_RSEQ_LIMITED_ADD(name, up, down)                                \
	PCPU_ARCH_DEFINE_RSEQ_DECIDED(                                                   \
	    name, (PCPU_RSEQ_LIMITED_ARGS), (PCPU_RSEQ_LIMITED_INPUTS), (uint32_t nr, ), \
	    ([nr] "rm"(nr), ), PCPU_RSEQ_LIMITED_ADD, up, down)
PCPU_ARCH_DEFINE_RSEQ_LIMITED_ADD(pcpu_arch_rseq_limited_up, PCPU_RSEQ_LIMITED_UP, "")
PCPU_ARCH_DEFINE_RSEQ_LIMITED_ADD(pcpu_arch_rseq_limited_down, "", PCPU_RSEQ_LIMITED_DOWN)

/*
 * A limited add's far path (pcpu/abi.h): one restartable sequence that
 * adds v to a copy only if
 *   - the 32-bit gate is 0;
 *   - the count lies in the caller's window, which needs no overflow
 *     check (the window already excludes every count near either end):
 *     window is PCPU_RSEQ_FAR_SPAN (count - lo <= span, unsigned) or
 *     PCPU_RSEQ_FAR_FROM0 (count <= span, unsigned: a window that starts
 *     at 0, one comparison; lo is not read);
 *   - the copy's new value n stays inside (-b, b), bm1 = b - 1 (the far
 *     word the caller read): check is PCPU_RSEQ_FAR_UP (v > 0 and small:
 *     n <= bm1), PCPU_RSEQ_FAR_DOWN (v < 0 and small: n >= -bm1) or
 *     PCPU_RSEQ_FAR_ANY (any v: n + bm1 <= 2 bm1, unsigned).
 * name_at: on an owned copy at; name: on this unit's copy of p.  0 added,
 * 1 index out of range, 2 gate raised, 3 the copy is full, 4 the count is
 * outside the window.  Uses %rcx, %rdx and %rsi.
 */
#define PCPU_RSEQ_FAR_ADD(copy, window, check)                                           \
	"cmpl $0, %[gate]\n\t"                                                           \
	"jne %l[closed]\n\t"                                                             \
	"movq (%[count]), %%rdx\n\t" window "movq (" copy "), %%rdx\n\t"                 \
	"addq %[v], %%rdx\n\t" check "movq %%rdx, (" copy ")\n\t" PCPU_RSEQ_END
#define PCPU_RSEQ_FAR_SPAN  "subq %[lo], %%rdx\n\tcmpq %[span], %%rdx\n\tja %l[near]\n\t"
#define PCPU_RSEQ_FAR_FROM0 "cmpq %[span], %%rdx\n\tja %l[near]\n\t"
#define PCPU_RSEQ_FAR_UP    "cmpq %[bm1], %%rdx\n\tjg %l[full]\n\t"
#define PCPU_RSEQ_FAR_DOWN                                                               \
	"leaq (%%rdx, %[bm1]), %%rcx\n\t"                                                \
	"testq %%rcx, %%rcx\n\t"                                                         \
	"js %l[full]\n\t"
#define PCPU_RSEQ_FAR_ANY                                                                \
	"leaq (%%rdx, %[bm1]), %%rcx\n\t"                                                \
	"leaq (%[bm1], %[bm1]), %%rsi\n\t"                                               \
	"cmpq %%rsi, %%rcx\n\t"                                                          \
	"ja %l[full]\n\t"
#define PCPU_RSEQ_FAR_INPUTS                                                             \
	[gate] "m"(*gate), [count] "r"(count), [lo] "r"(lo), [span] "r"(span),           \
	    [bm1] "r"(bm1), [v] "er"(v)
#define PCPU_RSEQ_FAR_ARGS                                                               \
	int64_t v, uint64_t bm1, const uint32_t *gate, const int64_t *count,             \
	    uint64_t lo, uint64_t span

#define PCPU_ARCH_DEFINE_RSEQ_FAR_ADD(name, window, check)                               \
	PCPU_ARCH_DEFINE_RSEQ_DECIDED(name, (PCPU_RSEQ_FAR_ARGS),                        \
				      (PCPU_RSEQ_FAR_INPUTS), (), (), PCPU_RSEQ_FAR_ADD, \
				      window, check)
PCPU_ARCH_DEFINE_RSEQ_FAR_ADD(pcpu_arch_rseq_far_up0, PCPU_RSEQ_FAR_FROM0,
			      PCPU_RSEQ_FAR_UP)
PCPU_ARCH_DEFINE_RSEQ_FAR_ADD(pcpu_arch_rseq_far_up0any, PCPU_RSEQ_FAR_FROM0,
			      PCPU_RSEQ_FAR_ANY)
PCPU_ARCH_DEFINE_RSEQ_FAR_ADD(pcpu_arch_rseq_far_down, PCPU_RSEQ_FAR_SPAN,
			      PCPU_RSEQ_FAR_DOWN)
PCPU_ARCH_DEFINE_RSEQ_FAR_ADD(pcpu_arch_rseq_far_any, PCPU_RSEQ_FAR_SPAN,
			      PCPU_RSEQ_FAR_ANY)

/*
 * Add-return on an owned copy at, as a restartable sequence: a load, an
 * add and a store that a signal handler cannot split (it restarts them),
 * cheaper than an xadd where that costs a locked instruction.
 */
#define PCPU_ARCH_DEFINE_RSEQ_ADD_RETURN_AT(name, type)                                  \
	PCPU_ARCH_INLINE type name(type *at, type v, long pcpu_cs)                       \
	{                                                                                \
		type n;                                                                  \
                                                                                         \
		__asm__ __volatile__(PCPU_RSEQ_ARM "mov (%[at]), %[n]\n\t"               \
						   "add %[v], %[n]\n\t"                  \
						   "mov %[n], (%[at])\n\t" PCPU_RSEQ_END \
				     : [n] "=&r"(n)                                      \
				     : [cs] "r"(pcpu_cs), [at] "r"(at), [v] "er"(v)      \
				     : "rax", "memory", "cc");                           \
		PCPU_RSEQ_LEAVE(pcpu_cs);                                                \
		return n;                                                                \
	}
PCPU_ARCH_DEFINE_RSEQ_ADD_RETURN_AT(pcpu_arch_rseq_add_return64_at, int64_t)
PCPU_ARCH_DEFINE_RSEQ_ADD_RETURN_AT(pcpu_arch_rseq_add_return32_at, uint32_t)

#endif
