/* SPDX-License-Identifier: MIT */
/*
 * percpu_ref in the portable library: always one shared word, holding the
 * count and the dying bit together so that tryget_live, kill and the last
 * put each decide with one atomic operation.  The per-CPU/shared switch is
 * recorded but changes nothing here.
 */
#include <errno.h>
#include <pcpu.h>

#include "diag.h"

#define REF_DEAD (1ull << 63)
#define REF_COUNT (REF_DEAD - 1)

struct ref {
	uint32_t magic;
	uint32_t flags;   /* init flags that outlive init (ALLOW_REINIT) */
	uint64_t word;    /* REF_DEAD | count */
	percpu_ref_func_t *release;
	uint32_t initial; /* the initial reference is still held */
	uint32_t shared;  /* switched to shared mode (a no-op here) */
};
_Static_assert(sizeof(struct ref) <= sizeof(struct percpu_ref),
	       "struct ref outgrew the ABI");

static struct ref *ref_of(struct percpu_ref *r, const char *fn)
{
	struct ref *ref = (struct ref *)r;

	diag_check(ref->magic, DIAG_MAGIC_REF, fn, r, "percpu_ref");
	return ref;
}

int percpu_ref_init(struct percpu_ref *r, percpu_ref_func_t *release,
		    unsigned flags)
{
	struct ref *ref = (struct ref *)r;
	unsigned known = PERCPU_REF_INIT_ATOMIC | PERCPU_REF_INIT_DEAD |
			 PERCPU_REF_ALLOW_REINIT;

	if (flags & ~known)
		return -EINVAL;
	*ref = (struct ref){
		.magic = DIAG_MAGIC_REF,
		.flags = flags & (PERCPU_REF_ALLOW_REINIT | PERCPU_REF_INIT_DEAD),
		.word = 1 | (flags & PERCPU_REF_INIT_DEAD ? REF_DEAD : 0),
		.release = release,
		.initial = 1,
		.shared = !!(flags & (PERCPU_REF_INIT_ATOMIC | PERCPU_REF_INIT_DEAD)),
	};
	return 0;
}

void percpu_ref_exit(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_exit");
	uint64_t count = __atomic_load_n(&ref->word, __ATOMIC_ACQUIRE) & REF_COUNT;

	if (count > (ref->initial ? 1u : 0u))
		diag_die("percpu_ref_exit", r, "%llu references still held",
			 (unsigned long long)(count - ref->initial));
	ref->magic = 0;
}

void percpu_ref_get_many(struct percpu_ref *r, unsigned long nr)
{
	struct ref *ref = ref_of(r, "percpu_ref_get_many");
	uint64_t old = __atomic_fetch_add(&ref->word, nr, __ATOMIC_RELAXED);

	if (!(old & REF_COUNT))
		diag_die("percpu_ref_get", r, "reference taken on a released ref");
}

void percpu_ref_get(struct percpu_ref *r)
{
	percpu_ref_get_many(r, 1);
}

/* Increment unless the word has any of the bits in refuse or a zero count. */
static bool ref_inc_unless(struct ref *ref, uint64_t refuse)
{
	uint64_t old = __atomic_load_n(&ref->word, __ATOMIC_RELAXED);

	do {
		if ((old & refuse) || !(old & REF_COUNT))
			return false;
	} while (!__atomic_compare_exchange_n(&ref->word, &old, old + 1, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

bool percpu_ref_tryget(struct percpu_ref *r)
{
	return ref_inc_unless(ref_of(r, "percpu_ref_tryget"), 0);
}

bool percpu_ref_tryget_live(struct percpu_ref *r)
{
	return ref_inc_unless(ref_of(r, "percpu_ref_tryget_live"), REF_DEAD);
}

void percpu_ref_put_many(struct percpu_ref *r, unsigned long nr)
{
	struct ref *ref = ref_of(r, "percpu_ref_put_many");
	percpu_ref_func_t *release = ref->release;
	uint64_t old = __atomic_fetch_sub(&ref->word, nr, __ATOMIC_ACQ_REL);

	if ((old & REF_COUNT) < nr)
		diag_die("percpu_ref_put", r, "put of %lu takes the count (%llu) below zero",
			 nr, (unsigned long long)(old & REF_COUNT));
	/* The ref may be freed by release: touch nothing after it. */
	/* nr 0 at zero must not release a second time. */
	if ((old & REF_COUNT) == nr && nr && release)
		release(r);
}

void percpu_ref_put(struct percpu_ref *r)
{
	percpu_ref_put_many(r, 1);
}

void percpu_ref_kill_and_confirm(struct percpu_ref *r, percpu_ref_func_t *confirm)
{
	struct ref *ref = ref_of(r, "percpu_ref_kill");

	if (__atomic_fetch_or(&ref->word, REF_DEAD, __ATOMIC_SEQ_CST) & REF_DEAD)
		diag_die("percpu_ref_kill", r, "ref is already dying");
	ref->shared = 1;
	ref->initial = 0;
	if (confirm)
		confirm(r);
	percpu_ref_put(r);
}

void percpu_ref_kill(struct percpu_ref *r)
{
	percpu_ref_kill_and_confirm(r, NULL);
}

void percpu_ref_switch_to_atomic_sync(struct percpu_ref *r)
{
	ref_of(r, "percpu_ref_switch_to_atomic_sync")->shared = 1;
}

void percpu_ref_switch_to_percpu(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_switch_to_percpu");

	/* A dying ref stays shared until it is resurrected. */
	if (!(__atomic_load_n(&ref->word, __ATOMIC_RELAXED) & REF_DEAD))
		ref->shared = 0;
}

void percpu_ref_resurrect(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_resurrect");
	uint64_t old = __atomic_load_n(&ref->word, __ATOMIC_RELAXED);

	do {
		if (!(old & REF_DEAD))
			diag_die("percpu_ref_resurrect", r, "ref is not dying");
		if (!(old & REF_COUNT))
			diag_die("percpu_ref_resurrect", r,
				 "ref is already released (use percpu_ref_reinit)");
	} while (!__atomic_compare_exchange_n(&ref->word, &old,
					      (old & REF_COUNT) + !ref->initial, true,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	ref->initial = 1;
	ref->shared = 0;
}

void percpu_ref_reinit(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_reinit");
	uint64_t count = __atomic_load_n(&ref->word, __ATOMIC_ACQUIRE) & REF_COUNT;

	if (!(ref->flags & (PERCPU_REF_ALLOW_REINIT | PERCPU_REF_INIT_DEAD)))
		diag_die("percpu_ref_reinit", r,
			 "ref was not initialised with PERCPU_REF_ALLOW_REINIT");
	if (count)
		diag_die("percpu_ref_reinit", r, "%llu references still held",
			 (unsigned long long)count);
	__atomic_store_n(&ref->word, 1, __ATOMIC_RELEASE);
	ref->initial = 1;
	ref->shared = 0;
}

bool percpu_ref_is_zero(struct percpu_ref *r)
{
	return !(__atomic_load_n(&ref_of(r, "percpu_ref_is_zero")->word,
				 __ATOMIC_ACQUIRE) &
		 REF_COUNT);
}

bool percpu_ref_is_dying(struct percpu_ref *r)
{
	return __atomic_load_n(&ref_of(r, "percpu_ref_is_dying")->word,
			       __ATOMIC_RELAXED) &
	       REF_DEAD;
}
