/* SPDX-License-Identifier: MIT */
/*
 * ref_state - the percpu_ref functions both libraries share: the
 * shared-count paths, the state changes (kill, resurrect, reinit, the mode
 * requests) and the misuse checks.  See ref_state.h for the state word.
 *
 * Kill, resurrect, reinit and the mode switches serialise on REF_LOCK, so a
 * mode switch never runs twice at once and sees a stable REF_DEAD and
 * REF_ATOMIC.  Release never runs under REF_LOCK: kill drops the initial
 * reference only after unlocking, because release may free the ref.
 *
 * fork() waits for every state change in progress: a switch holds
 * REF_LOCK across a grace period, and a child forked then would find the
 * ref locked by a thread it does not have, for ever.  state_fork counts the
 * state changes in progress and has STATE_FORK_PENDING set from the moment
 * a fork() waits for them until it returned; a state change that finds it
 * set waits (futex) until it clears.  Unlike a lock held across fork(),
 * the word is plain memory that each side of the fork just resets.
 *
 * No state change can be cancelled (pthread_cancel()) half-way: a
 * cancelled thread would leave REF_LOCK set and the fork count raised.
 * They run with cancellation disabled, from before they count themselves
 * until after they have unlocked, so the grace-period wait (a sleep, which
 * is a cancellation point) acts on no cancellation request.
 */
#include "ref_state.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STATE_FORK_PENDING (1u << 31)

static uint32_t state_fork;
static pthread_once_t state_fork_once = PTHREAD_ONCE_INIT;

/* syscall(), unlike the libc wrappers of waits, is no cancellation point. */
static void state_fork_wait(uint32_t seen)
{
	syscall(SYS_futex, &state_fork, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void state_fork_wake(void)
{
	syscall(SYS_futex, &state_fork, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Add to state_fork once no fork is pending. */
static void state_fork_add(uint32_t add)
{
	uint32_t w = __atomic_load_n(&state_fork, __ATOMIC_RELAXED);

	for (;;) {
		if (w & STATE_FORK_PENDING)
			state_fork_wait(w);
		else if (__atomic_compare_exchange_n(&state_fork, &w, w + add, true,
						     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		w = __atomic_load_n(&state_fork, __ATOMIC_RELAXED);
	}
}

/* Set pending (one fork at a time), then wait for the count to drain. */
static void state_fork_prepare(void)
{
	uint32_t w;

	state_fork_add(STATE_FORK_PENDING);
	while ((w = __atomic_load_n(&state_fork, __ATOMIC_ACQUIRE)) != STATE_FORK_PENDING)
		state_fork_wait(w);
}

/* Nothing entered while pending was set: the count is 0 on both sides. */
static void state_fork_parent(void)
{
	__atomic_store_n(&state_fork, 0, __ATOMIC_RELEASE);
	state_fork_wake();
}

static void state_fork_child(void)
{
	__atomic_store_n(&state_fork, 0, __ATOMIC_RELAXED);
}

static void state_fork_setup(void)
{
	pthread_atfork(state_fork_prepare, state_fork_parent, state_fork_child);
}

/* Begin a state change: cancellation off (*cancel keeps the caller's
 * state), then counted unless a fork is pending. */
static void state_enter(int *cancel)
{
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, cancel);
	pthread_once(&state_fork_once, state_fork_setup);
	state_fork_add(1);
}

static void state_exit(int cancel)
{
	/* The last one out wakes a fork waiting for it. */
	if (__atomic_sub_fetch(&state_fork, 1, __ATOMIC_RELEASE) == STATE_FORK_PENDING)
		state_fork_wake();
	pthread_setcancelstate(cancel, NULL);
}

int ref_state_init(struct ref *ref, percpu_ref_func_t *release, unsigned flags,
		   int64_t *pcpu)
{
	uint64_t word = 1 | REF_INITIAL;

	if (flags &
	    ~(PERCPU_REF_INIT_ATOMIC | PERCPU_REF_INIT_DEAD | PERCPU_REF_ALLOW_REINIT))
		return -EINVAL;
	/* As in the kernel, a ref made atomic may be reinitialised. */
	if (flags & PERCPU_REF_INIT_ATOMIC)
		word |= REF_ATOMIC | REF_REINIT;
	if (flags & PERCPU_REF_INIT_DEAD)
		word |= REF_DEAD | REF_REINIT;
	if (flags & PERCPU_REF_ALLOW_REINIT)
		word |= REF_REINIT;
	*ref = (struct ref){.magic = DIAG_MAGIC_REF,
			    .shared = 1,
			    .word = word,
			    .pcpu = pcpu,
			    .release = release};
	if (ref_wants_percpu(word))
		ref_mode_percpu(ref);
	return 0;
}

void ref_state_exit(struct ref *ref, int64_t count)
{
	int64_t initial = !!(__atomic_load_n(&ref->word, __ATOMIC_RELAXED) & REF_INITIAL);

	if (count > initial)
		diag_die("percpu_ref_exit", ref_api(ref), "%lld references still held",
			 (long long)(count - initial));
	if (count < 0)
		diag_die("percpu_ref_exit", ref_api(ref),
			 "more puts than gets: the count is %lld", (long long)count);
	/* A NULL pcpu sends the inline paths to calls that report misuse. */
	*ref = (struct ref){0};
}

void ref_shared_get(struct ref *ref, unsigned long nr)
{
	uint64_t old = __atomic_fetch_add(&ref->word, nr, __ATOMIC_RELAXED);

	if (!(old & REF_COUNT) && nr)
		diag_die("percpu_ref_get", ref_api(ref),
			 "reference taken on a released ref");
}

bool ref_shared_tryget_many(struct ref *ref, uint64_t refuse, unsigned long nr)
{
	uint64_t old = __atomic_load_n(&ref->word, __ATOMIC_RELAXED);

	do {
		if ((old & refuse) || !(old & REF_COUNT))
			return false;
	} while (!__atomic_compare_exchange_n(&ref->word, &old, old + nr, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

void ref_shared_put(struct ref *ref, unsigned long nr)
{
	percpu_ref_func_t *release = ref->release;
	uint64_t old = __atomic_fetch_sub(&ref->word, nr, __ATOMIC_ACQ_REL);

	if ((old & REF_COUNT) < nr)
		diag_die("percpu_ref_put", ref_api(ref),
			 "put of %lu takes the count (%llu) below zero", nr,
			 (unsigned long long)(old & REF_COUNT));
	/* nr 0 on a released ref must not release it again. */
	if ((old & REF_COUNT) == nr && nr && release)
		release(ref_api(ref));
}

/* Take REF_LOCK; returns the word as it was locked.  *cancel is for
 * ref_unlock(). */
static uint64_t ref_lock(struct ref *ref, int *cancel)
{
	state_enter(cancel);
	for (;;) {
		uint64_t old = __atomic_fetch_or(&ref->word, REF_LOCK, __ATOMIC_ACQUIRE);

		if (!(old & REF_LOCK))
			return old | REF_LOCK;
		while (__atomic_load_n(&ref->word, __ATOMIC_RELAXED) & REF_LOCK)
			sched_yield();
	}
}

static void ref_unlock(struct ref *ref, int cancel)
{
	__atomic_fetch_and(&ref->word, ~REF_LOCK, __ATOMIC_RELEASE);
	state_exit(cancel);
}

void percpu_ref_kill_and_confirm(struct percpu_ref *r, percpu_ref_func_t *confirm)
{
	struct ref *ref = ref_of(r, "percpu_ref_kill");
	int cancel;

	if (ref_lock(ref, &cancel) & REF_DEAD)
		diag_die("percpu_ref_kill", r, "ref is already dying");
	/*
	 * From here a tryget_live on the shared word fails; one that got
	 * through the per-CPU gate is waited out by the switch, so when
	 * confirm runs none can succeed any more.
	 */
	__atomic_fetch_or(&ref->word, REF_DEAD, __ATOMIC_SEQ_CST);
	ref_mode_shared(ref, "percpu_ref_kill");
	__atomic_fetch_and(&ref->word, ~REF_INITIAL, __ATOMIC_RELAXED);
	ref_unlock(ref, cancel);
	if (confirm)
		confirm(r);
	ref_shared_put(ref, 1);
}

void percpu_ref_kill(struct percpu_ref *r)
{
	percpu_ref_kill_and_confirm(r, NULL);
}

static void ref_switch_to_atomic(struct percpu_ref *r, const char *fn)
{
	struct ref *ref = ref_of(r, fn);
	int cancel;

	ref_lock(ref, &cancel);
	__atomic_fetch_or(&ref->word, REF_ATOMIC, __ATOMIC_RELAXED);
	ref_mode_shared(ref, fn);
	ref_unlock(ref, cancel);
}

void percpu_ref_switch_to_atomic_sync(struct percpu_ref *r)
{
	ref_switch_to_atomic(r, "percpu_ref_switch_to_atomic_sync");
}

/*
 * The kernel's asynchronous form may return before the switch completes
 * and confirm later from RCU; completing it here, then confirming before
 * returning, is one of the orders it allows and needs no thread.
 */
void percpu_ref_switch_to_atomic(struct percpu_ref *r, percpu_ref_func_t *confirm)
{
	ref_switch_to_atomic(r, "percpu_ref_switch_to_atomic");
	if (confirm)
		confirm(r);
}

void percpu_ref_switch_to_percpu(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_switch_to_percpu");
	int cancel;

	/* A dying ref stays shared; resurrect or reinit switches it. */
	if (!(ref_lock(ref, &cancel) & REF_DEAD))
		ref_mode_percpu(ref);
	__atomic_fetch_and(&ref->word, ~REF_ATOMIC, __ATOMIC_RELAXED);
	ref_unlock(ref, cancel);
}

void percpu_ref_resurrect(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_resurrect");
	int cancel;
	uint64_t old = ref_lock(ref, &cancel), new;

	/*
	 * A released ref (count zero) may be resurrected too, as in the
	 * kernel: release ran, but the ref was not exited, so its copies are
	 * still there (blk-mq's unfreeze does this on every cycle).
	 */
	do {
		if (!(old & REF_DEAD))
			diag_die("percpu_ref_resurrect", r, "ref is not dying");
		new = ((old | REF_INITIAL) & ~REF_DEAD) + !(old & REF_INITIAL);
	} while (!__atomic_compare_exchange_n(&ref->word, &old, new, true,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	if (ref_wants_percpu(new))
		ref_mode_percpu(ref);
	ref_unlock(ref, cancel);
}

void percpu_ref_reinit(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_reinit");
	int cancel;
	uint64_t old = ref_lock(ref, &cancel), new;

	if (!(old & REF_REINIT))
		diag_die("percpu_ref_reinit", r,
			 "ref was not initialised with PERCPU_REF_ALLOW_REINIT");
	if (!ref->shared)
		diag_die("percpu_ref_reinit", r, "ref is live");
	if (old & REF_COUNT)
		diag_die("percpu_ref_reinit", r, "%llu references still held",
			 (unsigned long long)(old & REF_COUNT));
	/* Count zero: no one else may touch the word now but misusers. */
	new = (old & (REF_LOCK | REF_ATOMIC | REF_REINIT)) | REF_INITIAL | 1;
	__atomic_store_n(&ref->word, new, __ATOMIC_RELEASE);
	if (ref_wants_percpu(new))
		ref_mode_percpu(ref);
	ref_unlock(ref, cancel);
}

bool percpu_ref_is_zero(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_is_zero");

	if (!__atomic_load_n(&ref->shared, __ATOMIC_ACQUIRE))
		return false;
	return !(__atomic_load_n(&ref->word, __ATOMIC_ACQUIRE) & REF_COUNT);
}

bool percpu_ref_is_dying(struct percpu_ref *r)
{
	return __atomic_load_n(&ref_of(r, "percpu_ref_is_dying")->word,
			       __ATOMIC_RELAXED) &
	       REF_DEAD;
}
