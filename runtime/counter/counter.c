/* SPDX-License-Identifier: MIT */
/*
 * counter - the batch counter of libpcpu.so: the kernel's scheme
 * (shim/preload/counter.c puts it under the percpu_counter API).
 *
 * A shared 64-bit count plus one int64_t delta per CPU (counter_slots).
 * An add goes to the calling CPU's delta; when the delta reaches the batch
 * the whole delta is taken (the copy left 0) and added to the count, so
 * count + sum of the deltas is the exact value at every quiescent point
 * (wrapping modulo 2^64), and read() is one load.
 *
 * The add and the take are one this-CPU operation (cpu_this_add_take64()),
 * so the delta emptied is the one the add pushed over the batch, wherever
 * the thread runs next: after every add, its delta is inside that add's
 * batch, and with the default batch read() is within batch * nr_cpus of
 * the exact value, as the header promises and compare relies on.
 *
 * batch records the largest batch any add used (at least the one init
 * gave; a limited add adds within the recorded batch, and far from a large
 * limit widens it to the default: limited_widen()), so
 * |delta| < batch on every CPU after every add: the exact value is within
 * batch * nr_units of the count, proven rather than assumed, and within
 * batch * (nr_units + 1) while a limited add folds a shared copy (below).
 * Limited adds and compare decide on the count alone when that bound
 * settles the outcome.  gate counts the limited adds deciding on the sum:
 * while it is not zero, fast limited adds stand aside (see below).  far,
 * pcpu/abi.h's far word, follows batch: batch - 1 while the far slack
 * covers the counter's, else 0 (counter_far_word()).
 */
#include "counter/counter.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>

#include "arena/arena.h"
#include "counter/slots.h"
#include "counter_rules.h"
#include "cpu/cpu.h"
#include "cpu/gate.h"
#include "futex_lock.h"

/* A cache line: the unit the counts are aligned and padded to. */
#define COUNTER_LINE 64

/*
 * A counter's shared count (ct->count points to value) and, in the same
 * line, the word a limited add's fold of a shared copy holds (see
 * limited_fold()): the fold writes that line anyway.
 */
struct counter_count {
	int64_t value;
	int folding;
	int pad;
};

/*
 * In gate: set by a slow path that found the counter near its limit, and
 * cleared by one that finds it far again.  While it is set the gate stays
 * raised with no slow path running, so the fast path stands aside all
 * along and no slow path needs to wait for it: near the limit, where
 * every limited add is exact, none pays for the wait.
 */
#define GATE_CLOSED 0x80000000u

static uint64_t deltas_sum(const struct counter *ct)
{
	return (uint64_t)cpu_units_sum(ct->deltas);
}

/*
 * The bound of |exact - count| that fast decisions use: a batch per unit,
 * and one more for the fold of a shared copy that may be in flight.
 */
static int64_t counter_slack(int32_t batch)
{
	return (int64_t)batch * (cpu_nr_units + 1);
}

/*
 * The far word of a counter whose largest batch is batch (pcpu/abi.h):
 * batch - 1 where inline limited adds are restartable sequences and the
 * far path's fixed slack covers the counter's, else 0, which keeps them
 * on the exact window.  Inline code reads the word before its sequence,
 * so a widening must never make it 0: where the default batch's slack is
 * not covered, no counter has a far word.
 */
static uint32_t counter_far_word(int32_t batch)
{
	return cpu_gated_sequences() &&
		       counter_slack(counter_default_batch(cpu_nr_units)) <=
			   PCPU_ABI_FAR_SLACK &&
		       counter_slack(batch) <= PCPU_ABI_FAR_SLACK
		   ? (uint32_t)batch - 1
		   : 0;
}

int counter_init_many(struct counter *c, int64_t value, unsigned n, int32_t batch)
{
	struct counter_count *counts;
	int err;

	/*
	 * The counts away from the structs: every add reads its struct's line,
	 * and a fold writing the count there would take that line from every
	 * other CPU.  The group's counts share lines, as their deltas do.
	 */
	counts = aligned_alloc(COUNTER_LINE, (n * sizeof(*counts) + COUNTER_LINE - 1) &
						 ~(size_t)(COUNTER_LINE - 1));
	if (!counts)
		return -ENOMEM;
	err = counter_slots_alloc(c, sizeof(*c), offsetof(struct counter, deltas), n,
				  sizeof(int64_t));
	if (err) {
		free(counts);
		return err;
	}
	for (unsigned i = 0; i < n; i++) {
		counts[i] = (struct counter_count){.value = value};
		c[i].count = &counts[i].value;
		c[i].batch = batch;
		c[i].far = counter_far_word(batch);
		c[i].gate = 0;
		c[i].lock = 0;
	}
	return 0;
}

void counter_destroy_many(struct counter *c, unsigned n)
{
	counter_slots_free(c, sizeof(*c), offsetof(struct counter, deltas), n,
			   sizeof(int64_t));
	free(c->count);
}

int64_t counter_sum(const struct counter *ct)
{
	uint64_t count = (uint64_t)__atomic_load_n(ct->count, __ATOMIC_RELAXED);

	return (int64_t)(count + deltas_sum(ct));
}

void counter_set(struct counter *ct, int64_t value)
{
	/*
	 * As the kernel does: empty every delta, then store the count, so
	 * read() gives value too.  An exchange, not a store, so that an
	 * atomic-mode add racing with it lands before (and is dropped) or
	 * after (and counts); an rseq or local-mode add is not atomic against
	 * it and may bring its copy's old delta back ("adds racing with set
	 * may be lost").
	 */
	for (int cpu = 0; cpu < cpu_nr_units; cpu++)
		__atomic_exchange_n((int64_t *)arena_ptr(ct->deltas, cpu), 0,
				    __ATOMIC_RELAXED);
	__atomic_store_n(ct->count, value, __ATOMIC_RELAXED);
}

/*
 * Bring ct->far in step with the batch after a change of it: store the
 * word for the batch read, until the batch read after the store is that
 * one, so that the last store is for the last batch (a sequentially
 * consistent store and load: a racing change's own store follows its
 * change, which this load then sees).  A change that no gate covers (a
 * plain add with a larger batch) leaves a moment in which far is behind:
 * pcpu.h's exception for plain adds racing with limited adds.
 */
static void counter_far_sync(struct counter *ct)
{
	int32_t batch = __atomic_load_n(&ct->batch, __ATOMIC_SEQ_CST), now;

	for (;; batch = now) {
		__atomic_store_n(&ct->far, counter_far_word(batch), __ATOMIC_SEQ_CST);
		now = __atomic_load_n(&ct->batch, __ATOMIC_SEQ_CST);
		if (now == batch)
			return;
	}
}

void counter_record_batch(struct counter *ct, int32_t batch)
{
	int32_t seen = __atomic_load_n(&ct->batch, __ATOMIC_RELAXED);

	while (batch > seen &&
	       !__atomic_compare_exchange_n(&ct->batch, &seen, batch, true,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	counter_far_sync(ct);
}

/*
 * Whether count settles a limited add of amount toward limit: every value
 * within the slack of count is at least |amount| inside the limit, and
 * none wraps around the int64_t range (then exact + amount could
 * overflow, which is past any limit).  The inline path's window.
 */
static bool limited_far(int64_t count, int64_t limit, int64_t amount, int32_t batch)
{
	uint64_t lo, span;

	return !pcpu_abi_limited_window(limit, amount, counter_slack(batch), &lo,
					&span) &&
	       (uint64_t)count - lo <= span;
}

/*
 * Why far is enough, and what keeps it so.  An exact value E = count + the
 * deltas + a value a fold has taken but not yet added; while no copy holds
 * a batch or more, and at most one fold of a shared copy is in flight,
 * E < count + slack.  A fast add decides on the count alone and adds only
 * if its copy stays inside the batch (cpu_this_add_within64(), never an
 * add-take, which leaves the copy over the batch until its take): after
 * any number of fast adds E is still below count + slack, which the
 * decision kept |amount| inside the limit.  Three things change the
 * count, and each shuts the fast paths out or keeps the bound:
 *   - the slow path, under the gate (below);
 *   - a fold of a thread's own full slot (local mode), inside the thread's
 *     gate reader: it takes the slot (0 left) before it adds what it took
 *     to the count, and nobody else adds to that slot meanwhile, so the
 *     value in flight stands in for the slot's own (less than a batch);
 *   - a fold of a full copy others add to (the rseq and atomic modes'
 *     units, the local mode's shared slot), inside the gate reader too:
 *     the copy may refill while its old value is in flight, which is the
 *     slack's extra batch, so these folds take turns (a word beside the
 *     count): one in flight at most.
 * A plain add (add_batch) folds with an add-take: concurrent with limited
 * adds, one of them may then pass the limit by less than that add's
 * batch, as it would with the add itself (pcpu.h).
 */
enum limited { LIMITED_ADDED, LIMITED_FULL, LIMITED_SLOW };

/*
 * The fast path: far from the limit, the add goes to the CPU's delta, with
 * no sum and no write to the shared count.  It runs as a gate reader
 * (cpu/gate.h): a slow path raises gate, then waits for every reader
 * inside, so a fast add either saw the gate raised and stood aside, or
 * finished before the slow path sums.
 */
static __attribute__((flatten)) enum limited limited_fast(struct counter *ct,
							  int64_t limit, int64_t amount)
{
	struct cpu_gate_reader *r;
	enum limited res = LIMITED_SLOW;
	uint64_t entered;
	int32_t batch;

	/* Closed near the limit: no reader section to enter and leave. */
	if (__atomic_load_n(&ct->gate, __ATOMIC_RELAXED))
		return LIMITED_SLOW;
	r = cpu_gate_reader();
	entered = cpu_gate_enter(r);
	/* The gate first, with acquire: a batch that a widening slow path
	 * changed (limited_widen()) is seen once its gate is seen dropped. */
	if (!__atomic_load_n(&ct->gate, __ATOMIC_ACQUIRE)) {
		batch = __atomic_load_n(&ct->batch, __ATOMIC_RELAXED);
		if (limited_far(__atomic_load_n(ct->count, __ATOMIC_RELAXED), limit,
				amount, batch))
			res = cpu_this_add_within64(ct->deltas, amount, batch)
				  ? LIMITED_ADDED
				  : LIMITED_FULL;
	}
	cpu_gate_exit(r, entered);
	return res;
}

/* The fold word beside ct's count. */
static int *counter_folding(struct counter *ct)
{
	return &((struct counter_count *)(void *)ct->count)->folding;
}

enum limited_fold { FOLD_DONE, FOLD_BUSY, FOLD_GATED };

/*
 * Empty the calling thread's full copy into the count, inside its gate
 * reader (see above): a shared copy only while no other fold of one is in
 * flight (FOLD_BUSY: another is, and a retry will see it end; it is only
 * a take and an add).  Its own slot it leaves at the far end of the batch
 * from the adds (up: at -(batch - 1)), which gives it twice the room
 * until its next fold: only its thread adds there, so the slot and the
 * value in flight hold what the slot held, and every bound stays (a shared
 * copy refills while its value is in flight: it is left at 0).
 * FOLD_GATED: a slow path sums, or the counter is near its limit.
 */
static __attribute__((noinline)) enum limited_fold limited_fold(struct counter *ct,
								int64_t amount)
{
	int64_t keep = (int64_t)__atomic_load_n(&ct->batch, __ATOMIC_RELAXED) - 1;
	struct cpu_gate_reader *r = cpu_gate_reader();
	uint64_t entered = cpu_gate_enter(r);
	enum limited_fold res = FOLD_DONE;
	int *folding = counter_folding(ct);
	int64_t taken;

	if (__atomic_load_n(&ct->gate, __ATOMIC_RELAXED)) {
		res = FOLD_GATED;
	} else if (cpu_this_take_owned64(ct->deltas, amount > 0 ? -keep : keep, &taken)) {
		__atomic_fetch_add(ct->count, taken, __ATOMIC_RELAXED);
	} else if (!__atomic_load_n(folding, __ATOMIC_RELAXED) &&
		   !__atomic_exchange_n(folding, 1, __ATOMIC_ACQUIRE)) {
		/* batch 1 takes whatever the copy holds */
		taken = cpu_this_add_take64(ct->deltas, 0, 1);
		__atomic_fetch_add(ct->count, taken, __ATOMIC_RELAXED);
		__atomic_store_n(folding, 0, __ATOMIC_RELEASE);
	} else {
		res = FOLD_BUSY;
	}
	cpu_gate_exit(r, entered);
	return res;
}

/*
 * A full copy: fold it and add again, waiting a little for another fold
 * of a shared copy to end (it was preempted if the wait runs out: the
 * slow path then makes the add, exactly).
 */
static __attribute__((noinline)) bool limited_refill(struct counter *ct, int64_t limit,
						     int64_t amount)
{
	/* An amount that an empty copy cannot take either: only the exact
	 * path can add it. */
	if (!pcpu_abi_within(amount,
			     (uint64_t)__atomic_load_n(&ct->batch, __ATOMIC_RELAXED) - 1))
		return false;
	for (unsigned spins = 0; spins < 256; spins++) {
		switch (limited_fold(ct, amount)) {
		case FOLD_GATED:
			return false;
		case FOLD_BUSY:
			pcpu_arch_relax();
			continue;
		case FOLD_DONE:
			break;
		}
		switch (limited_fast(ct, limit, amount)) {
		case LIMITED_ADDED:
			return true;
		case LIMITED_SLOW:
			return false;
		case LIMITED_FULL:
			break;
		}
	}
	return false;
}

/*
 * Raise ct's gate for a slow path (lowered with a release decrement): from
 * open, the fast paths in flight are waited out; closed, none can be.
 */
static void limited_gate_raise(struct counter *ct)
{
	if (!(__atomic_fetch_add(&ct->gate, 1, __ATOMIC_SEQ_CST) & GATE_CLOSED))
		cpu_gate_sync_fast_paths();
}

/*
 * Near the limit (or with a full copy), a limited add changes only the
 * shared count, by compare-and-swap, after summing the deltas with the fast
 * paths shut out and drained: as long as no plain add is in flight the
 * deltas do not move, so a successful swap checked the exact value the
 * counter had at that instant.  Slow paths take turns (ct->lock): each
 * also empties the caller's copy into the count, which no other limited
 * add may see half done.  The gate counts the slow paths in or waiting.
 * A fork child that inherits a raised gate (a slow path was running in
 * another thread) keeps taking the slow path on that counter, exactly.
 */
static __attribute__((noinline)) bool limited_slow(struct counter *ct, int64_t limit,
						   int64_t amount)
{
	int64_t count, taken;
	bool added = true;

	limited_gate_raise(ct);
	futex_lock(&ct->lock);
	count = __atomic_load_n(ct->count, __ATOMIC_RELAXED);
	do {
		int64_t exact = (int64_t)((uint64_t)count + deltas_sum(ct));

		if (!counter_within_limit(exact, amount, limit)) {
			added = false;
			break;
		}
	} while (!__atomic_compare_exchange_n(
	    ct->count, &count, (int64_t)((uint64_t)count + (uint64_t)amount), false,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	/* The caller's copy, full or not: batch 1 takes whatever it holds. */
	taken = cpu_this_add_take64(ct->deltas, 0, 1);
	if (taken)
		count = __atomic_add_fetch(ct->count, taken, __ATOMIC_RELAXED);
	futex_unlock(&ct->lock);
	/* Still inside the gate (our count holds it up): close it near the
	 * limit, open it far from it. */
	if (limited_far(count, limit, amount,
			__atomic_load_n(&ct->batch, __ATOMIC_RELAXED)))
		__atomic_fetch_and(&ct->gate, ~GATE_CLOSED, __ATOMIC_RELAXED);
	else
		__atomic_fetch_or(&ct->gate, GATE_CLOSED, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&ct->gate, 1, __ATOMIC_RELEASE);
	return added;
}

/*
 * Whether the exact value leaves room for amount.  A refusal needs no gate:
 * like a failed swap it only reads, and is exact at the sum.  At a full
 * limit, where most limited adds are refused, this keeps them a sum.  Out
 * of line, like the slow path, to keep the fast path short.
 */
static __attribute__((noinline)) bool limited_fits(const struct counter *ct,
						   int64_t limit, int64_t amount)
{
	uint64_t count = (uint64_t)__atomic_load_n(ct->count, __ATOMIC_RELAXED);

	return counter_within_limit((int64_t)(count + deltas_sum(ct)), amount, limit);
}

/*
 * Wait, a little, for the gate to drop when slow paths far from the limit
 * hold it (emptying full copies, which is short): queueing behind them
 * would make every other limited add a slow path too, each with its own
 * wait for the fast paths.  False if it stayed up (or is closed: near the
 * limit every add is a slow path anyway).
 */
static __attribute__((noinline)) bool limited_gate_drops(const struct counter *ct)
{
	for (unsigned spins = 0; spins < 4096; spins++) {
		uint32_t g = __atomic_load_n(&ct->gate, __ATOMIC_RELAXED);

		if (!g)
			return true;
		if (g & GATE_CLOSED)
			return false;
		if (spins < 64)
			pcpu_arch_relax();
		else
			sched_yield();
	}
	return false;
}

/*
 * A counter starts with a small batch recorded (COUNTER_FIRST_BATCH): near
 * a small limit its limited adds stay far from it, outside a narrow band.
 * Once a limited add finds its copy full while the count is further from
 * its limit than even the default batch's band, the counter records the
 * default batch, as a plain add would, so that its copies fold that much
 * less often.  Under the gate, with the fast paths drained: no fast add is
 * then deciding with the smaller batch while copies grow past it (inline
 * ones read the batch inside their sequence, or compare the one they
 * decided with inside their section; the far path's slack does not
 * depend on it, and its older far word bounds its copy tighter).  True if
 * the batch is now the default.
 */
static __attribute__((noinline)) bool limited_widen(struct counter *ct, int64_t limit,
						    int64_t amount)
{
	int32_t wide = counter_default_batch(cpu_nr_units);

	if (__atomic_load_n(&ct->batch, __ATOMIC_RELAXED) >= wide ||
	    !limited_far(__atomic_load_n(ct->count, __ATOMIC_RELAXED), limit, amount,
			 wide))
		return false;
	limited_gate_raise(ct);
	counter_record_batch(ct, wide);
	__atomic_fetch_sub(&ct->gate, 1, __ATOMIC_RELEASE);
	return true;
}

bool counter_limited_add(struct counter *ct, int64_t limit, int64_t amount)
{
	enum limited res = limited_fast(ct, limit, amount);

	if (__builtin_expect(res == LIMITED_ADDED, 1))
		return true;
	if (res == LIMITED_FULL && limited_widen(ct, limit, amount) &&
	    limited_fast(ct, limit, amount) == LIMITED_ADDED)
		return true;
	if (res == LIMITED_FULL && limited_refill(ct, limit, amount))
		return true;
	if (res == LIMITED_SLOW && limited_gate_drops(ct) &&
	    limited_fast(ct, limit, amount) == LIMITED_ADDED)
		return true;
	return limited_fits(ct, limit, amount) && limited_slow(ct, limit, amount);
}

int64_t counter_read_slack(const struct counter *ct)
{
	return counter_slack(__atomic_load_n(&ct->batch, __ATOMIC_RELAXED));
}
