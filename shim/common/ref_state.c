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
 * fork() waits for every state change in progress (state_fork_lock): a
 * switch holds REF_LOCK across a grace period, and a child forked then
 * would find the ref locked by a thread it does not have, for ever.
 */
#include "ref_state.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>

/* Read-held by each state change, write-held across fork(). */
static pthread_rwlock_t state_fork_lock;
static pthread_once_t state_fork_once = PTHREAD_ONCE_INIT;

static void state_fork_prepare(void)
{
	pthread_rwlock_wrlock(&state_fork_lock);
}

static void state_fork_parent(void)
{
	pthread_rwlock_unlock(&state_fork_lock);
}

static void state_fork_lock_init(void)
{
	pthread_rwlockattr_t attr;

	/* A steady stream of switches must not hold fork() off for ever. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&state_fork_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

static void state_fork_setup(void)
{
	state_fork_lock_init();
	/* In the child the lock still counts the parent's waiting threads,
	 * which the child does not have: start it afresh, don't unlock it. */
	pthread_atfork(state_fork_prepare, state_fork_parent, state_fork_lock_init);
}

int ref_state_init(struct ref *ref, percpu_ref_func_t *release, unsigned flags,
		   int64_t *pcpu)
{
	uint64_t word = 1 | REF_INITIAL;

	if (flags &
	    ~(PERCPU_REF_INIT_ATOMIC | PERCPU_REF_INIT_DEAD | PERCPU_REF_ALLOW_REINIT))
		return -EINVAL;
	if (flags & PERCPU_REF_INIT_ATOMIC)
		word |= REF_ATOMIC;
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
	*ref = (struct ref){ 0 };
}

void ref_shared_get(struct ref *ref, unsigned long nr)
{
	uint64_t old = __atomic_fetch_add(&ref->word, nr, __ATOMIC_RELAXED);

	if (!(old & REF_COUNT) && nr)
		diag_die("percpu_ref_get", ref_api(ref),
			 "reference taken on a released ref");
}

bool ref_shared_tryget(struct ref *ref, uint64_t refuse)
{
	uint64_t old = __atomic_load_n(&ref->word, __ATOMIC_RELAXED);

	do {
		if ((old & refuse) || !(old & REF_COUNT))
			return false;
	} while (!__atomic_compare_exchange_n(&ref->word, &old, old + 1, true,
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

/* Take REF_LOCK; returns the word as it was locked. */
static uint64_t ref_lock(struct ref *ref)
{
	pthread_once(&state_fork_once, state_fork_setup);
	pthread_rwlock_rdlock(&state_fork_lock);
	for (;;) {
		uint64_t old = __atomic_fetch_or(&ref->word, REF_LOCK, __ATOMIC_ACQUIRE);

		if (!(old & REF_LOCK))
			return old | REF_LOCK;
		while (__atomic_load_n(&ref->word, __ATOMIC_RELAXED) & REF_LOCK)
			sched_yield();
	}
}

static void ref_unlock(struct ref *ref)
{
	__atomic_fetch_and(&ref->word, ~REF_LOCK, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&state_fork_lock);
}

void percpu_ref_kill_and_confirm(struct percpu_ref *r, percpu_ref_func_t *confirm)
{
	struct ref *ref = ref_of(r, "percpu_ref_kill");

	if (ref_lock(ref) & REF_DEAD)
		diag_die("percpu_ref_kill", r, "ref is already dying");
	/*
	 * From here a tryget_live on the shared word fails; one that got
	 * through the per-CPU gate is waited out by the switch, so when
	 * confirm runs none can succeed any more.
	 */
	__atomic_fetch_or(&ref->word, REF_DEAD, __ATOMIC_SEQ_CST);
	ref_mode_shared(ref, "percpu_ref_kill");
	__atomic_fetch_and(&ref->word, ~REF_INITIAL, __ATOMIC_RELAXED);
	ref_unlock(ref);
	if (confirm)
		confirm(r);
	ref_shared_put(ref, 1);
}

void percpu_ref_kill(struct percpu_ref *r)
{
	percpu_ref_kill_and_confirm(r, NULL);
}

void percpu_ref_switch_to_atomic_sync(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_switch_to_atomic_sync");

	ref_lock(ref);
	__atomic_fetch_or(&ref->word, REF_ATOMIC, __ATOMIC_RELAXED);
	ref_mode_shared(ref, "percpu_ref_switch_to_atomic_sync");
	ref_unlock(ref);
}

void percpu_ref_switch_to_percpu(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_switch_to_percpu");

	/* A dying ref stays shared; resurrect or reinit switches it. */
	if (!(ref_lock(ref) & REF_DEAD))
		ref_mode_percpu(ref);
	__atomic_fetch_and(&ref->word, ~REF_ATOMIC, __ATOMIC_RELAXED);
	ref_unlock(ref);
}

void percpu_ref_resurrect(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_resurrect");
	uint64_t old = ref_lock(ref), new;

	do {
		if (!(old & REF_DEAD))
			diag_die("percpu_ref_resurrect", r, "ref is not dying");
		if (!(old & REF_COUNT))
			diag_die("percpu_ref_resurrect", r,
				 "ref is already released (use percpu_ref_reinit)");
		new = ((old | REF_INITIAL) & ~REF_DEAD) + !(old & REF_INITIAL);
	} while (!__atomic_compare_exchange_n(&ref->word, &old, new, true,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	if (ref_wants_percpu(new))
		ref_mode_percpu(ref);
	ref_unlock(ref);
}

void percpu_ref_reinit(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_reinit");
	uint64_t old = ref_lock(ref), new;

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
	ref_unlock(ref);
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
