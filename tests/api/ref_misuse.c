/* SPDX-License-Identifier: MIT */
/*
 * percpu_ref misuse aborts, in a child, with a message naming the ref:
 * puts below zero, kill twice, exit with references held, use of a ref
 * that is not initialised, resurrect and reinit out of turn.
 */
#include <pcpu.h>
#include <stdio.h>
#include <string.h>

#include "../utils/tap.h"

static struct percpu_ref ref;

static void put_after_release(void *flags)
{
	percpu_ref_init(&ref, NULL, *(unsigned *)flags);
	percpu_ref_kill(&ref);
	percpu_ref_put(&ref);
}

/* Puts below zero on a live ref: in per-CPU mode seen when kill folds. */
static void put_initial_then_kill(void *flags)
{
	percpu_ref_init(&ref, NULL, *(unsigned *)flags);
	percpu_ref_get(&ref);
	percpu_ref_put_many(&ref, 3);
	percpu_ref_kill(&ref);
}

static void put_below_zero_then_switch(void *arg)
{
	(void)arg;
	percpu_ref_init(&ref, NULL, 0);
	percpu_ref_put(&ref);
	percpu_ref_put(&ref);
	percpu_ref_switch_to_atomic_sync(&ref);
	percpu_ref_kill(&ref);
}

static void get_after_release(void *arg)
{
	(void)arg;
	percpu_ref_init(&ref, NULL, 0);
	percpu_ref_kill(&ref);
	percpu_ref_get(&ref);
}

static void kill_twice(void *flags)
{
	percpu_ref_init(&ref, NULL, *(unsigned *)flags);
	percpu_ref_get(&ref);
	percpu_ref_kill(&ref);
	percpu_ref_kill(&ref);
}

static void kill_init_dead(void *arg)
{
	(void)arg;
	percpu_ref_init(&ref, NULL, PERCPU_REF_INIT_DEAD);
	percpu_ref_kill_and_confirm(&ref, NULL);
}

static void exit_held(void *flags)
{
	percpu_ref_init(&ref, NULL, *(unsigned *)flags);
	percpu_ref_get_many(&ref, 2);
	percpu_ref_exit(&ref);
}

static void exit_killed_held(void *arg)
{
	(void)arg;
	percpu_ref_init(&ref, NULL, 0);
	percpu_ref_get(&ref);
	percpu_ref_kill(&ref);
	percpu_ref_exit(&ref);
}

static void resurrect_live(void *arg)
{
	(void)arg;
	percpu_ref_init(&ref, NULL, 0);
	percpu_ref_resurrect(&ref);
}

static void reinit_not_allowed(void *arg)
{
	(void)arg;
	percpu_ref_init(&ref, NULL, 0);
	percpu_ref_kill(&ref);
	percpu_ref_reinit(&ref);
}

static void reinit_held(void *arg)
{
	(void)arg;
	percpu_ref_init(&ref, NULL, PERCPU_REF_ALLOW_REINIT);
	percpu_ref_get(&ref);
	percpu_ref_kill(&ref);
	percpu_ref_reinit(&ref);
}

static void reinit_live(void *arg)
{
	(void)arg;
	percpu_ref_init(&ref, NULL, PERCPU_REF_ALLOW_REINIT);
	percpu_ref_reinit(&ref);
}

typedef void use_fn(struct percpu_ref *);

static void use_get(struct percpu_ref *r)
{
	percpu_ref_get(r);
}

static void use_put(struct percpu_ref *r)
{
	percpu_ref_put(r);
}

static void use_tryget_live(struct percpu_ref *r)
{
	percpu_ref_tryget_live(r);
}

static void use_kill(struct percpu_ref *r)
{
	percpu_ref_kill(r);
}

static void use_exit(struct percpu_ref *r)
{
	percpu_ref_exit(r);
}

static void use_is_zero(struct percpu_ref *r)
{
	percpu_ref_is_zero(r);
}

static void use_switch(struct percpu_ref *r)
{
	percpu_ref_switch_to_atomic_sync(r);
}

static const struct use {
	const char *fn;
	use_fn *use;
} uses[] = {
    {"percpu_ref_get", use_get},
    {"percpu_ref_put", use_put},
    {"percpu_ref_tryget_live", use_tryget_live},
    {"percpu_ref_kill", use_kill},
    {"percpu_ref_exit", use_exit},
    {"percpu_ref_is_zero", use_is_zero},
    {"percpu_ref_switch_to_atomic_sync", use_switch},
};

static void use_zeroed(void *u)
{
	memset(&ref, 0, sizeof(ref));
	((const struct use *)u)->use(&ref);
}

static void use_garbage(void *u)
{
	memset(&ref, 0xa5, sizeof(ref));
	((const struct use *)u)->use(&ref);
}

static void use_after_exit(void *u)
{
	percpu_ref_init(&ref, NULL, 0);
	percpu_ref_exit(&ref);
	((const struct use *)u)->use(&ref);
}

/* "libpcpu: fn(&ref): reason" */
static const char *msg(const char *fn, const char *reason)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "libpcpu: %s(%p): %s", fn, (void *)&ref, reason);
	return buf;
}

int main(void)
{
	static const struct mode {
		unsigned flags;
		const char *name;
	} modes[] = {{0, "per-CPU"}, {PERCPU_REF_INIT_ATOMIC, "atomic"}};

	tap_start();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		unsigned flags = modes[i].flags;
		const char *name = modes[i].name;

		tap_aborts(put_after_release, &flags, "below zero",
			   "%s: put on a released ref aborts", name);
		tap_aborts(put_initial_then_kill, &flags, "below zero",
			   "%s: more puts than gets aborts", name);
		tap_aborts(kill_twice, &flags,
			   msg("percpu_ref_kill", "ref is already dying"),
			   "%s: kill twice aborts naming the ref", name);
		tap_aborts(exit_held, &flags,
			   msg("percpu_ref_exit", "2 references still held"),
			   "%s: exit with 2 references held aborts", name);
	}
	tap_aborts(put_below_zero_then_switch, NULL, "below zero",
		   "puts below zero abort by switch_to_atomic_sync at the latest");
	tap_aborts(get_after_release, NULL, "released", "get on a released ref aborts");
	tap_aborts(kill_init_dead, NULL, msg("percpu_ref_kill", "ref is already dying"),
		   "kill of an INIT_DEAD ref aborts");
	tap_aborts(exit_killed_held, NULL,
		   msg("percpu_ref_exit", "1 references still held"),
		   "exit of a killed ref still held aborts");
	tap_aborts(resurrect_live, NULL, msg("percpu_ref_resurrect", "ref is not dying"),
		   "resurrect of a live ref aborts");
	tap_aborts(reinit_not_allowed, NULL,
		   msg("percpu_ref_reinit",
		       "ref was not initialised with PERCPU_REF_ALLOW_REINIT"),
		   "reinit without ALLOW_REINIT aborts");
	tap_aborts(reinit_held, NULL, msg("percpu_ref_reinit", "1 references still held"),
		   "reinit with a reference held aborts");
	tap_aborts(reinit_live, NULL, msg("percpu_ref_reinit", ""),
		   "reinit of a live ref aborts");
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
		const struct use *u = &uses[i];

		tap_aborts(use_zeroed, (void *)u,
			   msg(u->fn, "not an initialised percpu_ref"),
			   "%s on a zeroed ref aborts", u->fn);
		tap_aborts(use_garbage, (void *)u,
			   msg(u->fn, "not an initialised percpu_ref"),
			   "%s on garbage aborts", u->fn);
		tap_aborts(use_after_exit, (void *)u,
			   msg(u->fn, "not an initialised percpu_ref"),
			   "%s after exit aborts", u->fn);
	}
	return tap_done();
}
