/* SPDX-License-Identifier: MIT */
/*
 * scale - updates from 1..N pinned threads to one object: the libpcpu
 * operations against the shared atomic, mutex and per-thread-cache counters
 * and a thread's own add in memory (for adds), percpu_counter_limited_add far from its
 * limit against percpu_counter_add, a small quota's limited take and give against a
 * compare-and-swap on a shared word, and a shared atomic refcount (for
 * get+put), all in the same process.  After each workload the final count is checked
 * against the number of operations run, so a lost update shows up as a warning.
 *
 * The call floor (REPORT_FLOOR) is the cheapest exported call, one that
 * returns at once in both libraries: what any libpcpu operation pays
 * before doing its work, so the report can show each one's cost above it.
 */
#include <pcpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "bench.h"
#include "calls.h"
#include "threads.h"

/* Everything a workload might update; each body uses one member. */
struct target {
	int64_t *own; /* a cache line per thread, one word each */
	struct shared_counter shared;
	struct mutex_counter mutex;
	struct tcache_counter tcache;
	int64_t *this_cpu;
	struct percpu_counter counter;
	struct shared_counter quota_shared;
	struct percpu_counter quota;
	struct percpu_counter_tree tree;
	struct percpu_ref ref;
};

/*
 * The memory operation itself: an add to a thread-local int64_t in memory,
 * as C compiles `count++` where the count must be in memory after every
 * add (the empty asm says memory may be read there): one add instruction
 * with a memory operand (on x86-64, addq $1 on %fs:).  This is what a
 * per-CPU add replaces.
 */
static _Thread_local int64_t thread_local_count;

static void body_thread_local(void *arg, int tid, uint64_t iters)
{
	(void)arg;
	(void)tid;
	while (iters--) {
		thread_local_count++;
		__asm__ __volatile__("" : : : "memory");
	}
}

/*
 * The same add through a pointer, to a word of the thread's own on the
 * heap (its own cache line): what the add costs without the thread-local
 * addressing, which some cores run slower (a %fs-relative read-modify-
 * write is several times slower than this on AMD Zen 4).
 */
static void body_own_word(void *arg, int tid, uint64_t iters)
{
	int64_t *w = ((struct target *)arg)->own + (size_t)tid * (64 / sizeof(int64_t));

	while (iters--) {
		(*w)++;
		__asm__ __volatile__("" : : : "memory");
	}
}

/*
 * Below any update: the count kept in a register and only stored at every
 * iteration (the empty asm says the variable may be read, not written, so
 * the compiler loads it once).  No load and no read-modify-write, so no
 * add in memory costs less.
 */
static void body_thread_store(void *arg, int tid, uint64_t iters)
{
	(void)arg;
	(void)tid;
	while (iters--) {
		thread_local_count++;
		__asm__ __volatile__("" : : "m"(thread_local_count));
	}
}

static void body_shared(void *arg, int tid, uint64_t iters)
{
	struct target *t = arg;

	(void)tid;
	while (iters--)
		__atomic_fetch_add(&t->shared.count, 1, __ATOMIC_RELAXED);
}

static void body_mutex(void *arg, int tid, uint64_t iters)
{
	struct target *t = arg;

	(void)tid;
	while (iters--)
		mutex_counter_add(&t->mutex, 1);
}

static void body_tcache(void *arg, int tid, uint64_t iters)
{
	struct target *t = arg;
	struct tcache_slot *s = tcache_attach(&t->tcache);

	(void)tid;
	while (iters--)
		tcache_add(&t->tcache, s, 1);
}

/* pcpu_free(NULL) is a test and a return in libpcpu-api and libpcpu.so
 * alike; pcpu_nr_cpus(), say, calls pthread_once() in libpcpu-api. */
static void body_floor(void *arg, int tid, uint64_t iters)
{
	(void)arg;
	(void)tid;
	while (iters--)
		pcpu_free(NULL);
}

static void body_this_add(void *arg, int tid, uint64_t iters)
{
	struct target *t = arg;

	(void)tid;
	while (iters--)
		pcpu_this_add(t->this_cpu, 1);
}

static void body_counter_add(void *arg, int tid, uint64_t iters)
{
	struct target *t = arg;

	(void)tid;
	while (iters--)
		percpu_counter_add(&t->counter, 1);
}

/*
 * A quota of QUOTA credits, half of them taken: each iteration takes one
 * credit and gives it back, each a limited add with its own limit (QUOTA
 * above, 0 below), so the value stays about QUOTA / 2, as far from both
 * limits as a small quota allows.  The shared-atomic baseline is what such
 * code is without per-CPU counters: a compare-and-swap that checks the
 * limit.
 */
#define QUOTA 1000

static bool shared_limited_add(int64_t *v, int64_t limit, int64_t amount)
{
	int64_t old = __atomic_load_n(v, __ATOMIC_RELAXED);

	do {
		if (amount > 0 ? old > limit - amount : old < limit - amount)
			return false;
	} while (!__atomic_compare_exchange_n(v, &old, old + amount, true,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

static void body_shared_quota(void *arg, int tid, uint64_t iters)
{
	struct target *t = arg;

	(void)tid;
	while (iters--) {
		shared_limited_add(&t->quota_shared.count, QUOTA, 1);
		shared_limited_add(&t->quota_shared.count, 0, -1);
	}
}

static void body_quota(void *arg, int tid, uint64_t iters)
{
	struct target *t = arg;

	(void)tid;
	while (iters--) {
		percpu_counter_limited_add(&t->quota, QUOTA, 1);
		percpu_counter_limited_add(&t->quota, 0, -1);
	}
}

/* Far from the limit: the fast path, which should cost about an add. */
static void body_limited_add(void *arg, int tid, uint64_t iters)
{
	struct target *t = arg;

	(void)tid;
	while (iters--)
		percpu_counter_limited_add(&t->counter, INT64_MAX / 2, 1);
}

static void body_tree_add(void *arg, int tid, uint64_t iters)
{
	struct target *t = arg;

	(void)tid;
	while (iters--)
		percpu_counter_tree_add(&t->tree, 1);
}

/* A refcount taken and dropped, as a request would: acquire-release put. */
static void body_shared_ref(void *arg, int tid, uint64_t iters)
{
	struct target *t = arg;

	(void)tid;
	while (iters--) {
		__atomic_fetch_add(&t->shared.count, 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&t->shared.count, 1, __ATOMIC_ACQ_REL);
	}
}

static void body_ref(void *arg, int tid, uint64_t iters)
{
	struct target *t = arg;

	(void)tid;
	while (iters--) {
		percpu_ref_get(&t->ref);
		percpu_ref_put(&t->ref);
	}
}

/* The same operations through exported calls only (calls.c). */
static void body_this_add_call(void *arg, int tid, uint64_t iters)
{
	(void)tid;
	calls_this_add(((struct target *)arg)->this_cpu, iters);
}

static void body_counter_add_call(void *arg, int tid, uint64_t iters)
{
	(void)tid;
	calls_counter_add(&((struct target *)arg)->counter, iters);
}

static void body_tree_add_call(void *arg, int tid, uint64_t iters)
{
	(void)tid;
	calls_tree_add(&((struct target *)arg)->tree, iters);
}

static void body_ref_call(void *arg, int tid, uint64_t iters)
{
	(void)tid;
	calls_ref_get_put(&((struct target *)arg)->ref, iters);
}

struct workload {
	const char *name;
	const char *group; /* which baselines it is compared with */
	const char *impl;
	const char *param;
	thread_body *body;
	/* the final count the workload must have reached, from the target:
	 * one per operation, or 0 where it must be 0 (zero) */
	int64_t (*count)(struct target *t);
	bool zero;
};

static int64_t count_shared(struct target *t)
{
	return t->shared.count;
}

static int64_t count_mutex(struct target *t)
{
	return t->mutex.count;
}

static int64_t count_tcache(struct target *t)
{
	return tcache_sum(&t->tcache);
}

static int64_t count_this_add(struct target *t)
{
	return pcpu_sum(t->this_cpu);
}

static int64_t count_counter(struct target *t)
{
	return percpu_counter_sum(&t->counter);
}

static int64_t count_tree(struct target *t)
{
	return percpu_counter_tree_precise_sum(&t->tree);
}

static int64_t count_zero(struct target *t)
{
	(void)t;
	return 0;
}

/* How far the quota moved from where it started: nothing, if no take or
 * give was lost (none is refused: the value stays far from the limits). */
static int64_t count_shared_quota(struct target *t)
{
	return t->quota_shared.count - QUOTA / 2;
}

static int64_t count_quota(struct target *t)
{
	return percpu_counter_sum(&t->quota) - QUOTA / 2;
}

/* Baselines of a group first: the libpcpu rows take their ratio from the
 * group's first baseline (the shared atomic).  The floor, a group of its
 * own, has no ratio. */
static const struct workload workloads[] = {
    {REPORT_FLOOR, "floor", "libpcpu", "pcpu_free(NULL)", body_floor, count_zero, true},
    {"counter add", "add", "shared-atomic", "", body_shared, count_shared, false},
    {"counter add", "add", "thread-local", "", body_thread_local, count_zero, true},
    {"counter add", "add", "thread-local store", "", body_thread_store, count_zero, true},
    {"counter add", "add", "own heap word", "", body_own_word, count_zero, true},
    {"counter add", "add", "mutex", "", body_mutex, count_mutex, false},
    {"counter add", "add", "thread-cache", "", body_tcache, count_tcache, false},
    {"pcpu_this_add", "add", "libpcpu", "", body_this_add, count_this_add, false},
    {"percpu_counter_add", "add", "libpcpu", "", body_counter_add, count_counter, false},
    {"percpu_counter_tree_add", "add", "libpcpu", "", body_tree_add, count_tree, false},
    {"pcpu_this_add", "add", "libpcpu", "no-inline", body_this_add_call, count_this_add,
     false},
    {"percpu_counter_add", "add", "libpcpu", "no-inline", body_counter_add_call,
     count_counter, false},
    {"percpu_counter_tree_add", "add", "libpcpu", "no-inline", body_tree_add_call,
     count_tree, false},
    /* limited_add against the add as the program makes it (inline where the
     * mode has an inline add), and as a call */
    {"limited add, far from the limit", "limited", "percpu_counter_add", "",
     body_counter_add, count_counter, false},
    {"limited add, far from the limit", "limited", "percpu_counter_add", "no-inline",
     body_counter_add_call, count_counter, false},
    {"limited add, far from the limit", "limited", "libpcpu",
     "percpu_counter_limited_add", body_limited_add, count_counter, false},
    {"quota take+give, limit 1000", "quota", "shared-atomic", "", body_shared_quota,
     count_shared_quota, true},
    {"quota take+give, limit 1000", "quota", "libpcpu", "percpu_counter_limited_add",
     body_quota, count_quota, true},
    {"refcount get+put", "ref", "shared-atomic", "", body_shared_ref, count_zero, true},
    {"percpu_ref get+put", "ref", "libpcpu", "", body_ref, count_zero, true},
    {"percpu_ref get+put", "ref", "libpcpu", "no-inline", body_ref_call, count_zero,
     true},
};
#define NR_WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

static int target_init(struct target *t, unsigned long batch, unsigned threads)
{
	t->own = aligned_alloc(64, 64 * (size_t)threads);
	if (t->own)
		memset(t->own, 0, 64 * (size_t)threads);
	t->shared.count = 0;
	t->quota_shared.count = QUOTA / 2;
	mutex_counter_init(&t->mutex);
	tcache_init(&t->tcache);
	t->this_cpu = pcpu_alloc(sizeof(int64_t), sizeof(int64_t));
	if (!t->own || !t->this_cpu || percpu_counter_init(&t->counter, 0) ||
	    percpu_counter_init(&t->quota, QUOTA / 2) ||
	    percpu_counter_tree_init(&t->tree, batch) ||
	    percpu_ref_init(&t->ref, NULL, 0)) {
		fprintf(stderr, "pcpu-bench: scale: cannot set up the counters\n");
		return -1;
	}
	return 0;
}

static void target_destroy(struct target *t)
{
	free(t->own);
	mutex_counter_destroy(&t->mutex);
	tcache_destroy(&t->tcache);
	pcpu_free(t->this_cpu);
	percpu_counter_destroy(&t->counter);
	percpu_counter_destroy(&t->quota);
	percpu_counter_tree_destroy(&t->tree);
	/* get+put pairs are balanced: only the initial reference is held */
	percpu_ref_exit(&t->ref);
}

/*
 * Every workload on 1..N threads, measured in rounds (threads_measure_
 * rounds()): each repetition runs them all in turn, so that the ratios
 * the report draws, an operation over its baselines and N threads over
 * one, compare runs that met the same load on a shared machine.  The
 * latter is recorded with each N-thread figure as its scaling, taken
 * round by round (a workload's 1..N-thread jobs run back to back).
 */
void bench_scale(struct bench *b)
{
	unsigned max = (unsigned)b->max_threads, k = NR_WORKLOADS * max;
	struct threads_job *jobs = calloc(k, sizeof(*jobs));
	struct sample *s = calloc(k, sizeof(*s));
	uint64_t *total = calloc(k, sizeof(*total));
	/* copies: recording more results moves the stored ones */
	struct result *base = calloc(max, sizeof(*base));

	if (!jobs || !s || !total || !base)
		exit(1);
	for (unsigned j = 0; j < k; j++) {
		struct target *t = aligned_alloc(64, sizeof(*t));

		if (!t || target_init(t, b->batch, max))
			exit(1);
		jobs[j] =
		    (struct threads_job){(int)(j % max) + 1, workloads[j / max].body, t};
	}
	if (threads_measure_rounds(jobs, k, b->target_ms, b->scale_reps, s, total))
		fprintf(stderr, "pcpu-bench: scale: a run failed\n");
	/* Thread count by thread count, as the tables read. */
	for (unsigned n = 1; n <= max; n++)
		for (unsigned w = 0; w < NR_WORKLOADS; w++) {
			const struct workload *wl = &workloads[w];
			unsigned j = w * max + n - 1;
			struct target *t = jobs[j].arg;
			int64_t want = wl->zero ? 0 : (int64_t)total[j];

			if (wl->count(t) != want)
				fprintf(
				    stderr,
				    "pcpu-bench: WARNING: %s (%s, %u threads) counted "
				    "%lld, expected %lld\n",
				    wl->name, b->mode, n, (long long)wl->count(t),
				    (long long)want);
			target_destroy(t);
			free(t);
			if (w == 0 || strcmp(wl->group, workloads[w - 1].group))
				base[n - 1].s.reps = 0;
			struct result *r = bench_record(
			    b, "scale", wl->name, wl->impl, (int)n, wl->param, "ns/op",
			    s[j], strcmp(wl->impl, "libpcpu") ? NULL : &base[n - 1]);
			if (r && n > 1)
				r->scaling = stats_paired_ratio(&s[j], &s[w * max]);
			if (!base[n - 1].s.reps && r)
				base[n - 1] = *r;
		}
	free(base);
	free(total);
	free(s);
	free(jobs);
}
