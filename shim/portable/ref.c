/* SPDX-License-Identifier: MIT */
/*
 * percpu_ref in the portable library: no per-CPU copies, every reference is
 * counted in the shared word of ref_state (->shared stays 1), so the mode
 * switches change nothing and get, put and tryget are its shared-count
 * paths.
 */
#include <pcpu.h>

#include "ref_state.h"

int percpu_ref_init(struct percpu_ref *r, percpu_ref_func_t *release, unsigned flags)
{
	return ref_state_init((struct ref *)r, release, flags, NULL);
}

void percpu_ref_exit(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_exit");

	ref_state_exit(
	    ref, (int64_t)(__atomic_load_n(&ref->word, __ATOMIC_ACQUIRE) & REF_COUNT));
}

void percpu_ref_get_many(struct percpu_ref *r, unsigned long nr)
{
	ref_shared_get(ref_many_of(r, "percpu_ref_get_many", nr), nr);
}

void percpu_ref_get(struct percpu_ref *r)
{
	ref_shared_get(ref_of(r, "percpu_ref_get"), 1);
}

bool percpu_ref_tryget(struct percpu_ref *r)
{
	return ref_shared_tryget(ref_of(r, "percpu_ref_tryget"), 0);
}

bool percpu_ref_tryget_many(struct percpu_ref *r, unsigned long nr)
{
	return ref_shared_tryget_many(ref_of(r, "percpu_ref_tryget_many"), 0, nr);
}

bool percpu_ref_tryget_live(struct percpu_ref *r)
{
	return ref_shared_tryget(ref_of(r, "percpu_ref_tryget_live"), REF_DEAD);
}

void percpu_ref_put_many(struct percpu_ref *r, unsigned long nr)
{
	ref_shared_put(ref_many_of(r, "percpu_ref_put_many", nr), nr);
}

void percpu_ref_put(struct percpu_ref *r)
{
	ref_shared_put(ref_of(r, "percpu_ref_put"), 1);
}

void ref_mode_shared(struct ref *ref, const char *fn)
{
	(void)ref;
	(void)fn;
}

void ref_mode_percpu(struct ref *ref)
{
	(void)ref;
}
