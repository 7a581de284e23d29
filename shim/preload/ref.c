/* SPDX-License-Identifier: MIT */
/*
 * percpu_ref in libpcpu.so: the API's entry points, each the argument
 * checks of ref_state (the struct percpu_ref to struct ref mapping,
 * the magic word) around runtime/ref's engine, and the copies' life in
 * the arena.  The state changes (kill, switches, resurrect, reinit) are
 * ref_state's, shared with the portable library.
 */
#include <errno.h>
#include <pcpu.h>

#include "arena/arena.h"
#include "ref/ref.h"
#include "ref_state.h"
#include "runtime.h"

int percpu_ref_init(struct percpu_ref *r, percpu_ref_func_t *release, unsigned flags)
{
	int64_t *pcpu;
	int err;

	err = runtime_try_init();
	if (err)
		return err;
	pcpu = arena_alloc(sizeof(*pcpu), sizeof(*pcpu));
	if (!pcpu)
		return -errno;
	err = ref_state_init((struct ref *)r, release, flags, pcpu);
	if (err)
		arena_free(pcpu);
	return err;
}

void percpu_ref_exit(struct percpu_ref *r)
{
	struct ref *ref = ref_of(r, "percpu_ref_exit");
	int64_t *pcpu = ref->pcpu;

	ref_state_exit(ref, ref_count(ref));
	arena_free(pcpu);
}

REF_ENTRY void percpu_ref_get_many(struct percpu_ref *r, unsigned long nr)
{
	ref_get(ref_many_of(r, "percpu_ref_get_many", nr), nr);
}

REF_ENTRY void percpu_ref_get(struct percpu_ref *r)
{
	ref_get(ref_of(r, "percpu_ref_get"), 1);
}

REF_ENTRY void percpu_ref_put_many(struct percpu_ref *r, unsigned long nr)
{
	ref_put(ref_many_of(r, "percpu_ref_put_many", nr), nr);
}

REF_ENTRY void percpu_ref_put(struct percpu_ref *r)
{
	ref_put(ref_of(r, "percpu_ref_put"), 1);
}

REF_ENTRY bool percpu_ref_tryget(struct percpu_ref *r)
{
	return ref_tryget(ref_of(r, "percpu_ref_tryget"), 0);
}

bool percpu_ref_tryget_many(struct percpu_ref *r, unsigned long nr)
{
	return ref_tryget_many(ref_of(r, "percpu_ref_tryget_many"), 0, nr);
}

REF_ENTRY bool percpu_ref_tryget_live(struct percpu_ref *r)
{
	return ref_tryget(ref_of(r, "percpu_ref_tryget_live"), REF_DEAD);
}
