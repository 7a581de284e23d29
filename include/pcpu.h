/* SPDX-License-Identifier: MIT */
/*
 * pcpu.h - per-CPU memory and scalable counters for user space.
 *
 * One header, two libraries that serve it with the same versioned symbols:
 *
 *   libpcpu-api.so  what an application links (-lpcpu-api).  Portable and
 *                   small: counters are one shared atomic, so every read is
 *                   exact and every accuracy range is 0.
 *   libpcpu.so      the per-CPU runtime, swapped in with LD_PRELOAD.  Per-CPU
 *                   copies live in a bitmap arena, counters update the
 *                   calling CPU's copy and fold into shared state only when a
 *                   batch is crossed.
 *
 * Conventions:
 *   - functions returning int return 0 (or a documented non-negative value)
 *     on success and a negative errno on failure;
 *   - allocators return NULL and set errno;
 *   - misuse that would corrupt memory (freeing a pointer that is not a
 *     live allocation, using a counter or ref that was never initialised
 *     or is already destroyed) prints "libpcpu: <function>(<pointer>):
 *     <reason>" on stderr and aborts, as a malloc would.  A NULL object
 *     or per-CPU pointer is reported the same way by the library's
 *     functions, but the inline fast paths (pcpu/inline.h) read the
 *     object first and crash on NULL without a message (define
 *     PCPU_NO_INLINE to have every call checked);
 *   - every function is thread-safe unless its comment says otherwise.
 *     init, destroy and exit functions must not race with other use of the
 *     same object (the usual rule for constructors and destructors).
 *
 * A "per-CPU pointer" is what pcpu_alloc() returns, or such a pointer plus a
 * byte offset inside its object.  It names one object with one copy per CPU;
 * pcpu_ptr() turns it into the address of one CPU's copy.  A per-CPU pointer
 * must never be dereferenced directly.
 *
 * The hot operations (this-CPU adds, counter and tree-counter adds and
 * reads, ref get/put/tryget) are also defined inline (pcpu/inline.h): they
 * make no call in the common case, reading the data of pcpu/abi.h that
 * both libraries export, so LD_PRELOAD swaps the data with the functions.
 * Define PCPU_NO_INLINE before including this header for calls only.  The
 * struct layouts below and that data are ABI (pcpu/abi.h says the policy).
 *
 * The header compiles as C11 and as C++.
 */
#ifndef PCPU_H
#define PCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pcpu/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PCPU_API __attribute__((visibility("default")))
#else
#define PCPU_API
#endif

#define PCPU_VERSION "0.1.0"

/* ------------------------------------------------------------------------
 * Identity
 */

/*
 * Which implementation serves the API, and how.  For example
 * "libpcpu-api 0.1.0 (portable, cpus=2)" or
 * "libpcpu 0.1.0 (mode=rseq, cpus=2)".  In local mode a grace= field says
 * how percpu_ref's switch to shared mode waits out the gets and puts in
 * flight: "rseq" (they run as restartable sequences, which a membarrier
 * restarts: no waiting) or "readers" (it waits for each; where threads
 * outnumber CPUs, a reader preempted mid-update can take milliseconds to
 * run again).  The string is static.
 *
 * libpcpu.so sets itself up at the first call that needs it.  When it
 * cannot (no memory), the calls that have an error to return return it
 * (-ENOMEM, or NULL with errno ENOMEM) from then on, and the others
 * (pcpu_runtime(), pcpu_nr_cpus()) abort with a message.
 */
PCPU_API const char *pcpu_runtime(void);

/*
 * Number of per-CPU copies of every per-CPU object.  Valid cpu arguments
 * are [0, pcpu_nr_cpus()).  This is the number of possible CPUs (never the
 * online count or the affinity mask), or the slot count of the local
 * access mode; PCPU_NR_CPUS in the environment may raise it.  Constant for
 * the life of the process.
 */
PCPU_API int pcpu_nr_cpus(void);

/* ------------------------------------------------------------------------
 * Per-CPU memory
 */

/* Largest object pcpu_alloc() accepts, in bytes. */
#define PCPU_ALLOC_MAX (32 * 1024)
/* Largest alignment pcpu_alloc() accepts, in bytes: two cache lines.  Not
 * a page, as in the kernel: copies that all start at one page offset fall
 * in one L1 set, which makes sums over many CPUs several times slower. */
#define PCPU_ALIGN_MAX 128

/*
 * Allocate a per-CPU object of size bytes, every copy zeroed.  align is 0
 * (meaning 8) or a power of two up to PCPU_ALIGN_MAX; every copy is aligned
 * to it.  Returns a per-CPU pointer, or NULL with errno set to EINVAL (size
 * 0 or above PCPU_ALLOC_MAX, bad alignment) or ENOMEM.
 */
PCPU_API void *pcpu_alloc(size_t size, size_t align);

/*
 * Free a per-CPU object.  NULL is a no-op.  Any other pointer must be the
 * exact value pcpu_alloc() returned and not yet freed; otherwise (never
 * allocated, interior pointer, already freed) prints
 * "libpcpu: pcpu_free(0x...): <reason>" and aborts.
 */
PCPU_API void pcpu_free(void *p);

/*
 * Address of cpu's copy of the per-CPU object (or field) p, or NULL if cpu
 * is outside [0, pcpu_nr_cpus()).  Offsets carry over:
 * pcpu_ptr((char *)p + off, cpu) == (char *)pcpu_ptr(p, cpu) + off.
 * Any thread may read a copy at any time (use atomic loads for values that
 * this-CPU operations update).  Writing a copy from another thread is only
 * safe when no this-CPU operation can update it at the same time: the
 * runtime's this-CPU updates are restartable or thread-owned, not atomic
 * against remote writers, so a racing remote write (even an atomic one) may
 * be lost.
 */
PCPU_API void *pcpu_ptr(void *p, int cpu);

/*
 * this-CPU operations on a per-CPU int64_t (p aligned to 8).  The add lands
 * on the copy of the CPU the caller runs on (or its slot in local mode) and
 * is never lost, whatever the migrations and signal handlers.
 * pcpu_this_add_return() returns the value of the copy it updated, after
 * the add.  pcpu_sum() returns the sum of all copies (wrapping modulo 2^64);
 * it is exact when no add is in flight.
 */
PCPU_API void pcpu_this_add(int64_t *p, int64_t v);
PCPU_API int64_t pcpu_this_add_return(int64_t *p, int64_t v);
PCPU_API int64_t pcpu_sum(int64_t *p);

/*
 * The copy of the per-CPU object (or field) p that pcpu_this_add() would
 * update if called now: the caller's "unit".  What a unit is depends on the
 * implementation (pcpu_runtime() names it):
 *   - rseq and atomic modes: the index the thread's rseq area gives, which
 *     is a concurrency slot (mm_cid: unique among the threads running at one
 *     moment, not a CPU number) where the kernel provides one, else the CPU
 *     number; without an rseq area, the CPU number;
 *   - local mode: the slot the thread owns (claimed now if it has none), or
 *     the shared slot when every other slot is taken;
 *   - portable library: the CPU number, folded into [0, pcpu_nr_cpus()).
 * So pcpu_ptr(p, n) is "unit n", a CPU only where units are CPUs.  The
 * answer may be stale as soon as it is returned (a migration, a new
 * concurrency slot): another thread may then update the same copy, so
 * updates through the pointer must be atomic.  Like pcpu_ptr(), it does not
 * check that p is a per-CPU pointer.
 */
PCPU_API void *pcpu_this_ptr(void *p);

/*
 * Static per-CPU variables, which pcpu/linux.h's DEFINE_PER_CPU defines:
 * each is a template in its module's "pcpu_static" section, and every
 * module that includes pcpu/linux.h registers that section from a
 * constructor with pcpu_static_register(start, end): 0, or -EINVAL (start
 * NULL, end before start, a section larger than PCPU_ALLOC_MAX), -ENOSPC
 * (more than 64 modules).  Registering a section again, or an empty one,
 * does nothing.  The libraries also find every loaded module's section by
 * the note pcpu/linux.h puts beside it, on the first translation and on
 * each registration, so a variable works before its module's constructor
 * has run, and in a non-PIE program's copy of it (doc/kernel.md).
 *
 * pcpu_static_ptr(p) returns the per-CPU pointer that stands for p if p
 * lies in a registered section, else p unchanged (one range check for
 * pcpu_alloc() pointers).  The first translation into a module makes its
 * copies, each initialised from the templates; templates are never updated
 * afterwards.  Variables may ask for an alignment of up to 64 bytes.
 */
PCPU_API int pcpu_static_register(void *start, void *end);
PCPU_API void *pcpu_static_ptr(void *p);

/*
 * Allocation statistics.  Fields may be appended in later versions; callers
 * pass sizeof(struct pcpu_stats) as they know it and get that many bytes.
 * "Bytes per CPU" count one copy of each object.
 */
struct pcpu_stats {
	uint64_t nr_alloc;	 /* live allocations */
	uint64_t nr_max_alloc;	 /* peak of nr_alloc */
	uint64_t nr_alloc_total; /* successful pcpu_alloc() calls so far */
	uint64_t nr_free_total;	 /* pcpu_free() calls of live objects so far */
	uint64_t nr_chunks;	 /* arena chunks held (0: portable library) */
	uint64_t nr_max_chunks;	 /* peak of nr_chunks */
	uint64_t min_alloc_size; /* smallest live-or-past request, 0 if none */
	uint64_t max_alloc_size; /* largest request so far, 0 if none */
	uint64_t bytes_used;	 /* bytes per CPU in live objects */
	uint64_t bytes_free;	 /* free bytes per CPU inside held chunks */
	uint64_t largest_free;	 /* largest free run in any chunk, bytes */
	uint64_t nr_fragments;	 /* free runs across all chunks */
	uint64_t bytes_reserved; /* backing memory held for all copies */
	uint64_t bytes_metadata; /* allocator metadata */
	uint32_t nr_cpus;	 /* copies per object */
	uint32_t unit_size;	 /* bytes between two CPUs' copies (0: varies) */
};

/*
 * Fill *st with the current statistics.  size is the caller's
 * sizeof(struct pcpu_stats); fewer bytes are written if it is smaller,
 * bytes beyond this version's struct are zeroed if it is larger.
 * -EINVAL if st is NULL or size is 0, -ENOMEM if libpcpu.so could not set
 * itself up (it does at the first call that needs it; see pcpu_runtime()).
 *
 * The function shares its name with the struct, like stat(2); C++ callers
 * write "struct pcpu_stats" for the type (g++ -Wshadow would otherwise
 * complain about the declaration, hence the pragma).
 */
#if defined(__cplusplus) && defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
PCPU_API int pcpu_stats(struct pcpu_stats *st, size_t size);
#if defined(__cplusplus) && defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/*
 * Print the statistics, and per-chunk details where the implementation has
 * chunks, in human-readable form.  -EINVAL if f is NULL, -EIO on a write
 * error, -ENOMEM as pcpu_stats().
 */
PCPU_API int pcpu_stats_print(FILE *f);

/* ------------------------------------------------------------------------
 * percpu_counter: the kernel's batched per-CPU counter.
 *
 * A shared 64-bit count plus per-CPU deltas.  An add goes to the calling
 * CPU's delta; when the delta reaches the batch it is folded into the
 * shared count.  So percpu_counter_read() is one load that may lag the
 * exact value by less than batch * pcpu_nr_cpus() (batch being the largest
 * batch the updates used), and percpu_counter_sum() adds the deltas up.
 *
 * The struct's fields are private; its layout is ABI (pcpu/abi.h), read
 * by the inline add and read.  Functions other than init abort on a
 * counter that is not initialised (all zero) or destroyed.
 */
struct percpu_counter {
	int64_t *__pcpu;  /* per-CPU deltas */
	int64_t *__count; /* the shared count */
	int32_t __batch;  /* an add with a larger batch calls; 0: all do */
	uint32_t __magic;
	uint32_t __group;
	uint32_t __far; /* libpcpu.so: see pcpu/abi.h; 0: none */
	union {
		uint32_t __gate; /* libpcpu.so: limited adds' gate */
		int64_t __own;	 /* libpcpu-api: the count */
	};
	int64_t __private; /* the library's own */
};

/* Initialise to value.  -ENOMEM. */
PCPU_API int percpu_counter_init(struct percpu_counter *c, int64_t value);
/* Initialise c[0..n-1] to value with one allocation.  -EINVAL if n is 0,
 * -ENOMEM (then none is initialised). */
PCPU_API int percpu_counter_init_many(struct percpu_counter *c, int64_t value,
				      unsigned n);
/* Free the counter's per-CPU part; c may be initialised again.  c must be
 * one made by percpu_counter_init() (or an init_many of one). */
PCPU_API void percpu_counter_destroy(struct percpu_counter *c);
/* Destroy the n counters made by one percpu_counter_init_many(c, ..., n)
 * call; n 0 is a no-op. */
PCPU_API void percpu_counter_destroy_many(struct percpu_counter *c, unsigned n);

/* Default batch: max(512, 2 * pcpu_nr_cpus()).  The kernel's floor is 32;
 * here an add costs a memory add, and a fold at 32 that takes the count's
 * cache line from another CPU costs as much as the 32 adds (doc/design.md). */
PCPU_API int32_t percpu_counter_batch(void);

/* Add amount, folding when the CPU's delta reaches batch (> 0; a batch of
 * 0 or less folds every add). */
PCPU_API void percpu_counter_add_batch(struct percpu_counter *c, int64_t amount,
				       int32_t batch);
/* add, sub, inc, dec: add_batch with percpu_counter_batch(). */
PCPU_API void percpu_counter_add(struct percpu_counter *c, int64_t amount);
PCPU_API void percpu_counter_sub(struct percpu_counter *c, int64_t amount);
PCPU_API void percpu_counter_inc(struct percpu_counter *c);
PCPU_API void percpu_counter_dec(struct percpu_counter *c);

/* The shared count: one load, off by less than batch * pcpu_nr_cpus(). */
PCPU_API int64_t percpu_counter_read(struct percpu_counter *c);
/* read(), or 0 if it is negative. */
PCPU_API int64_t percpu_counter_read_positive(struct percpu_counter *c);
/* Exact value when no update is in flight; O(pcpu_nr_cpus()). */
PCPU_API int64_t percpu_counter_sum(struct percpu_counter *c);
/* sum(), or 0 if it is negative. */
PCPU_API int64_t percpu_counter_sum_positive(struct percpu_counter *c);

/*
 * Sign of (counter - rhs): -1, 0 or 1.  Decided from the fast read when
 * it is further from rhs than the deltas can reach, from the exact sum
 * otherwise.  Unlike the kernel's, the fast decision assumes nothing about
 * the batches the adds used: libpcpu.so records the largest one each
 * counter has seen (an add with a larger batch records it before adding),
 * so the bound is batch * pcpu_nr_cpus() for that batch, proven rather
 * than assumed.
 */
PCPU_API int percpu_counter_compare(struct percpu_counter *c, int64_t rhs);
/*
 * The same, with the caller's word that the adds used batches up to batch
 * (the kernel's __percpu_counter_compare()): the fast read decides only
 * when it is further than the wider of batch * pcpu_nr_cpus() and the
 * recorded bound from rhs.
 */
PCPU_API int percpu_counter_compare_batch(struct percpu_counter *c, int64_t rhs,
					  int32_t batch);

/*
 * Add amount only if the exact result stays <= limit (amount > 0) or
 * >= limit (amount < 0); returns whether it added.  Concurrent limited adds
 * never take the counter past the limit together; a plain add racing with
 * them may let one pass it by less than that add's batch (and the plain
 * add itself is not limited).  amount 0 returns true.
 * Further from the limit than the deltas can reach (see compare), it is a
 * this-CPU add; nearer, it sums every CPU's delta (as the kernel's does),
 * which a limit that stays full pays on every call.
 */
PCPU_API bool percpu_counter_limited_add(struct percpu_counter *c, int64_t limit,
					 int64_t amount);

/* Set the exact value: read() and sum() then return value, as the per-CPU
 * deltas are emptied.  Adds racing with set may be lost, or leave part of
 * their copy's old delta behind. */
PCPU_API void percpu_counter_set(struct percpu_counter *c, int64_t value);

/* Whether c is initialised: false for a zeroed struct and after destroy
 * (the kernel's percpu_counter_initialized()); c must be one of those or an
 * initialised counter. */
PCPU_API bool percpu_counter_initialized(struct percpu_counter *c);

/* ------------------------------------------------------------------------
 * percpu_counter_tree: hierarchical per-CPU counters.
 *
 * Each CPU adds to its level-0 counter.  When an add crosses a multiple of
 * the batch size, the crossed amount (the carry) is added to the CPU's
 * parent in a tree of shared atomic items, and so on up to the root, which
 * holds the approximate sum: one load, whose distance from the exact value
 * is bounded by a range that depends only on the batch size and the tree
 * shape, not on the update rate.
 *
 * Accuracy, whenever no update is in flight:
 *     approximate - over <= precise <= approximate + under
 * (under and over from percpu_counter_tree_approximate_accuracy_range()).
 *
 * Values are long; sums wrap modulo 2^(8 * sizeof(long)) like the kernel's,
 * and the _positive variants return 0 for a negative sum.
 *
 * The struct's fields are private; its layout is ABI (pcpu/abi.h), read
 * by the inline add and approximate sum.  Functions other than init abort
 * on a counter that is not initialised (all zero) or destroyed.
 */
struct percpu_counter_tree {
	uint32_t *__pcpu; /* per-CPU leaves; NULL: every operation calls */
	long *__root;	  /* approximate = *__root + __bias; NULL: calls */
	long __bias;
	uint32_t __magic;
	uint8_t __group, __batch_shift, __leaf_shift, __reserved;
	char *__items;
	size_t __stride;
};

/* Initialise to 0.  batch_size: a power of two >= 2, else -EINVAL.
 * -ENOMEM. */
PCPU_API int percpu_counter_tree_init(struct percpu_counter_tree *c,
				      unsigned long batch_size);
/* Initialise c[0..n-1] with one allocation for their per-CPU counters and
 * one for their tree items.  -EINVAL (n == 0 or bad batch_size), -ENOMEM;
 * on error none is initialised. */
PCPU_API int percpu_counter_tree_init_many(struct percpu_counter_tree *c, unsigned n,
					   unsigned long batch_size);
/* Free the counter's per-CPU part and tree items; c may be initialised
 * again. */
PCPU_API void percpu_counter_tree_destroy(struct percpu_counter_tree *c);
/* Destroy the n counters made by one percpu_counter_tree_init_many(c, n,
 * ...) call; n 0 is a no-op. */
PCPU_API void percpu_counter_tree_destroy_many(struct percpu_counter_tree *c, unsigned n);

/* Add inc (wrapping); lock-free, from any thread. */
PCPU_API void percpu_counter_tree_add(struct percpu_counter_tree *c, long inc);
/* Not for direct use: what the inline percpu_counter_tree_add() calls when
 * its leaf add carried (pcpu/inline.h). */
PCPU_API void pcpu_abi_tree_carry(struct percpu_counter_tree *c, long carry);

/* The root: one load, within the accuracy range of the exact value. */
PCPU_API long percpu_counter_tree_approximate_sum(struct percpu_counter_tree *c);
PCPU_API long percpu_counter_tree_approximate_sum_positive(struct percpu_counter_tree *c);
/* Exact when no update is in flight; O(pcpu_nr_cpus()), never blocks
 * updaters. */
PCPU_API long percpu_counter_tree_precise_sum(struct percpu_counter_tree *c);
PCPU_API long percpu_counter_tree_precise_sum_positive(struct percpu_counter_tree *c);

/* Set the exact value.  Adds racing with set may be lost. */
PCPU_API void percpu_counter_tree_set(struct percpu_counter_tree *c, long v);

/*
 * Store this counter's accuracy range in *under and *over (either may be
 * NULL), as the kernel's does: the exact value is at most
 * approximate + under and at least approximate - over.
 */
PCPU_API void
percpu_counter_tree_approximate_accuracy_range(struct percpu_counter_tree *c,
					       unsigned long *under, unsigned long *over);
/* *approx = approximate sum, *min = approx - over, *max = approx + under
 * (wrapping like the sums).  Any pointer may be NULL. */
PCPU_API void percpu_counter_tree_approximate_min_max(struct percpu_counter_tree *c,
						      long *approx, long *min, long *max);
/* max(under, over). */
PCPU_API unsigned long percpu_counter_tree_inaccuracy(struct percpu_counter_tree *c);

/* 1 if v > approx + under, -1 if v < approx - over, 0 if undecided. */
PCPU_API int percpu_counter_tree_approximate_compare_value(struct percpu_counter_tree *c,
							   long v);
/* Sign of (v - precise). */
PCPU_API int percpu_counter_tree_precise_compare_value(struct percpu_counter_tree *c,
						       long v);
/* 1 if a is certainly larger (approx_a - approx_b > over_a + under_b),
 * -1 if certainly smaller (approx_a - approx_b < -(under_a + over_b)),
 * else 0. */
PCPU_API int percpu_counter_tree_approximate_compare(struct percpu_counter_tree *a,
						     struct percpu_counter_tree *b);
/* Sign of (precise_a - precise_b); takes precise sums only when the
 * approximate comparison is undecided. */
PCPU_API int percpu_counter_tree_precise_compare(struct percpu_counter_tree *a,
						 struct percpu_counter_tree *b);

/*
 * Index of the counter with the largest precise sum among c[0..n-1] (the
 * lowest index on ties), or -1 if n is 0.  Counters whose upper bound
 * cannot reach the best lower bound are pruned with approximate sums first;
 * precise sums are taken of the survivors only, so the result is exact.
 * *nr_precise (if not NULL) receives the number of precise sums taken.
 */
PCPU_API int percpu_counter_tree_select_max(struct percpu_counter_tree *const *c,
					    unsigned n, unsigned *nr_precise);

/* ------------------------------------------------------------------------
 * percpu_ref: per-CPU reference counts (the kernel's percpu_ref).
 *
 * While live, get and put update the calling CPU's copy and the count
 * cannot reach zero.  percpu_ref_kill() switches the ref to one shared
 * count, waiting until no thread is still inside a per-CPU get or put,
 * folds the copies in and drops the initial reference; release runs
 * exactly once, when the shared count then reaches zero, on the thread
 * that dropped the last reference.  Nothing touches the ref after release
 * returns, so release may call percpu_ref_exit() and free the memory that
 * holds the ref.
 *
 * Misuse aborts with a message naming the ref: a put that would take the
 * count below zero, a kill of a ref that is already dying, exit while
 * references other than the initial one are held, any use of a ref that
 * is not initialised.
 */
struct percpu_ref;
typedef void percpu_ref_func_t(struct percpu_ref *ref);

/* The fields are private; the layout is ABI (pcpu/abi.h), read by the
 * inline get, put and tryget. */
struct percpu_ref {
	int64_t *__pcpu; /* per-CPU copies; NULL: every operation calls */
	int __shared;	 /* non-zero: counting in __word, not the copies */
	uint32_t __magic;
	uint64_t __word;
	percpu_ref_func_t *__release;
};

enum {
	/* start in shared-count mode; percpu_ref_switch_to_percpu() leaves it
	 * (implies ALLOW_REINIT, as in the kernel) */
	PERCPU_REF_INIT_ATOMIC = 1u << 0,
	/* start dying, holding only the initial reference (implies
	 * INIT_ATOMIC and ALLOW_REINIT); percpu_ref_resurrect() makes it live */
	PERCPU_REF_INIT_DEAD = 1u << 1,
	/* keep the per-CPU copies after release so percpu_ref_reinit() works */
	PERCPU_REF_ALLOW_REINIT = 1u << 2,
};

/* Initialise with one reference (the initial one, dropped by kill).
 * release may be NULL.  -EINVAL for unknown flags, -ENOMEM; on error the
 * ref is not initialised. */
PCPU_API int percpu_ref_init(struct percpu_ref *ref, percpu_ref_func_t *release,
			     unsigned flags);
/* Free the per-CPU copies; the ref must be released, or still hold only its
 * initial reference (an init error path). */
PCPU_API void percpu_ref_exit(struct percpu_ref *ref);

/* Take one (get) or nr (get_many) references.  The caller must already hold
 * one, directly or through the initial reference of a live ref; use
 * tryget/tryget_live otherwise. */
PCPU_API void percpu_ref_get(struct percpu_ref *ref);
PCPU_API void percpu_ref_get_many(struct percpu_ref *ref, unsigned long nr);
/* Take a reference unless the count is zero. */
PCPU_API bool percpu_ref_tryget(struct percpu_ref *ref);
/* Take nr references unless the count is zero (nr 0: true if it is not). */
PCPU_API bool percpu_ref_tryget_many(struct percpu_ref *ref, unsigned long nr);
/* Take a reference unless the ref is dying (killed). */
PCPU_API bool percpu_ref_tryget_live(struct percpu_ref *ref);
/* Drop one (put) or nr (put_many) references; the put that takes a killed
 * ref to zero runs release on the calling thread.  A put below zero
 * aborts; get_many and put_many of 0 do nothing, and of more than
 * 2^59 - 1 (more references than a ref can count) abort. */
PCPU_API void percpu_ref_put(struct percpu_ref *ref);
PCPU_API void percpu_ref_put_many(struct percpu_ref *ref, unsigned long nr);

/* Mark dying, switch to the shared count, drop the initial reference. */
PCPU_API void percpu_ref_kill(struct percpu_ref *ref);
/* kill, and call confirm (if not NULL) once tryget_live() is certain to
 * fail everywhere, before the initial reference is dropped. */
PCPU_API void percpu_ref_kill_and_confirm(struct percpu_ref *ref,
					  percpu_ref_func_t *confirm);
/* Switch to the shared count and return when the switch is complete; the
 * ref stays in shared mode until percpu_ref_switch_to_percpu(). */
PCPU_API void percpu_ref_switch_to_atomic_sync(struct percpu_ref *ref);
/* The kernel's asynchronous switch: the same, then confirm (if not NULL)
 * is called once the switch is complete, before this returns. */
PCPU_API void percpu_ref_switch_to_atomic(struct percpu_ref *ref,
					  percpu_ref_func_t *confirm);
/* Back to per-CPU counting (deferred until resurrect if the ref is
 * dying). */
PCPU_API void percpu_ref_switch_to_percpu(struct percpu_ref *ref);
/* Make a dying ref live again, taking its initial reference back if kill
 * dropped it.  As in the kernel, the ref may have been released already
 * (its count reached zero) as long as it was not exited.  Aborts if the
 * ref is not dying. */
PCPU_API void percpu_ref_resurrect(struct percpu_ref *ref);
/* Make a released ref (count zero) live again with its initial reference;
 * needs PERCPU_REF_ALLOW_REINIT or INIT_DEAD.  Aborts otherwise, or if the
 * count is not zero. */
PCPU_API void percpu_ref_reinit(struct percpu_ref *ref);
/* True if the count is zero (only possible in shared mode). */
PCPU_API bool percpu_ref_is_zero(struct percpu_ref *ref);
/* True once killed, until resurrected or reinitialised. */
PCPU_API bool percpu_ref_is_dying(struct percpu_ref *ref);

#ifdef __cplusplus
}
#endif

#if !defined(PCPU_NO_INLINE) && defined(__GNUC__)
#include <pcpu/inline.h>
#endif

#endif /* PCPU_H */
