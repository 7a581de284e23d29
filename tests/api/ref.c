/* SPDX-License-Identifier: MIT */
/*
 * percpu_ref: the life cycle (init, get/put, kill, release, exit), every
 * flag, mode switches (a switch to per-CPU deferred on a dying ref),
 * resurrect and reinit, and their cycles, misuse with the messages that
 * name the ref, and threads taking and dropping references around a kill
 * against a shared-atomic model.  One suite for both libraries (issue 17
 * merged tests/ref_state.c and tests/ref_misuse.c into it).
 */
#include <errno.h>
#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../utils/tap.h"

/* A ref embedded in the object it counts, as in the kernel. */
struct object {
	struct percpu_ref ref;
	int releases;	    /* atomic */
	int confirms;	    /* atomic */
	long held;	    /* model: references held by threads, atomic */
	bool early_release; /* release ran while the model held references */
	bool confirm_live;  /* tryget_live succeeded inside confirm */
	bool confirm_after_release;
};

static struct object *object_of(struct percpu_ref *ref)
{
	return (struct object *)((char *)ref - offsetof(struct object, ref));
}

static void release(struct percpu_ref *ref)
{
	struct object *o = object_of(ref);

	if (__atomic_load_n(&o->held, __ATOMIC_ACQUIRE) != 0)
		o->early_release = true;
	__atomic_fetch_add(&o->releases, 1, __ATOMIC_RELEASE);
}

static void confirm(struct percpu_ref *ref)
{
	struct object *o = object_of(ref);

	/* The initial reference is still held: the count cannot be zero. */
	if (percpu_ref_tryget_live(ref)) {
		o->confirm_live = true;
		percpu_ref_put(ref);
	}
	if (__atomic_load_n(&o->releases, __ATOMIC_ACQUIRE))
		o->confirm_after_release = true;
	if (!percpu_ref_is_dying(ref))
		o->confirm_live = true;
	__atomic_fetch_add(&o->confirms, 1, __ATOMIC_RELEASE);
}

static int releases(struct object *o)
{
	return __atomic_load_n(&o->releases, __ATOMIC_ACQUIRE);
}

static void test_init_flags(void)
{
	struct object o = {0};
	static const unsigned bad[] = {1u << 3, 1u << 8, 1u << 31,
				       PERCPU_REF_INIT_ATOMIC | 1u << 4, ~0u};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is(percpu_ref_init(&o.ref, release, bad[i]), -EINVAL,
		   "percpu_ref_init with flags %#x is -EINVAL", bad[i]);

	/* An init error path: exit with only the initial reference. */
	is(percpu_ref_init(&o.ref, release, 0), 0, "percpu_ref_init(0)");
	percpu_ref_exit(&o.ref);
	is(releases(&o), 0, "exit right after init releases nothing");
}

/* The basic life cycle, in whatever mode flags start it. */
static void test_lifecycle(unsigned flags, const char *name)
{
	struct object o = {0};

	if (!is(percpu_ref_init(&o.ref, release, flags), 0, "%s: init", name))
		return;
	ok(!percpu_ref_is_dying(&o.ref), "%s: a new ref is live", name);
	ok(!percpu_ref_is_zero(&o.ref), "%s: a new ref is not zero", name);
	percpu_ref_get(&o.ref);
	percpu_ref_get_many(&o.ref, 1000);
	ok(percpu_ref_tryget(&o.ref), "%s: tryget on a live ref", name);
	ok(percpu_ref_tryget_live(&o.ref), "%s: tryget_live on a live ref", name);
	percpu_ref_put_many(&o.ref, 1000);
	percpu_ref_put_many(&o.ref, 2);
	percpu_ref_put(&o.ref);
	ok(!percpu_ref_is_zero(&o.ref) && releases(&o) == 0,
	   "%s: balanced gets and puts release nothing", name);
	percpu_ref_get_many(&o.ref, 0);
	percpu_ref_put_many(&o.ref, 0);
	percpu_ref_get_many(&o.ref, 3);
	percpu_ref_kill(&o.ref);
	ok(percpu_ref_is_dying(&o.ref), "%s: killed: dying", name);
	ok(!percpu_ref_tryget_live(&o.ref), "%s: tryget_live fails once killed", name);
	ok(percpu_ref_tryget(&o.ref), "%s: tryget succeeds while references remain",
	   name);
	ok(!percpu_ref_is_zero(&o.ref) && releases(&o) == 0,
	   "%s: killed with 4 references held: not released", name);
	percpu_ref_put_many(&o.ref, 2);
	percpu_ref_put(&o.ref);
	is(releases(&o), 0, "%s: one reference left: not released", name);
	percpu_ref_put(&o.ref);
	is(releases(&o), 1, "%s: the last put releases, once", name);
	ok(percpu_ref_is_zero(&o.ref), "%s: released ref is zero", name);
	percpu_ref_put_many(&o.ref, 0);
	is(releases(&o), 1, "%s: put_many(0) of a released ref does nothing", name);
	ok(!percpu_ref_tryget(&o.ref), "%s: tryget fails at zero", name);
	ok(!percpu_ref_tryget_live(&o.ref), "%s: tryget_live fails at zero", name);
	is(releases(&o), 1, "%s: still released once", name);
	percpu_ref_exit(&o.ref);
}

static void test_kill_and_confirm(void)
{
	struct object o = {0};

	percpu_ref_init(&o.ref, release, 0);
	percpu_ref_kill_and_confirm(&o.ref, confirm);
	ok(o.confirms == 1 && !o.confirm_live && !o.confirm_after_release,
	   "confirm runs once, dying, before the initial reference is dropped");
	is(releases(&o), 1, "kill_and_confirm with no other reference releases");
	percpu_ref_exit(&o.ref);

	memset(&o, 0, sizeof(o));
	percpu_ref_init(&o.ref, release, PERCPU_REF_INIT_ATOMIC);
	percpu_ref_get(&o.ref);
	percpu_ref_kill_and_confirm(&o.ref, NULL);
	ok(percpu_ref_is_dying(&o.ref) && releases(&o) == 0,
	   "kill_and_confirm(NULL) with a reference held: dying, not released");
	percpu_ref_put(&o.ref);
	is(releases(&o), 1, "the last put releases");
	percpu_ref_exit(&o.ref);

	/* A NULL release is allowed. */
	struct percpu_ref bare;
	percpu_ref_init(&bare, NULL, 0);
	percpu_ref_get(&bare);
	percpu_ref_kill(&bare);
	percpu_ref_put(&bare);
	ok(percpu_ref_is_zero(&bare), "a ref without release reaches zero");
	percpu_ref_exit(&bare);
}

static void test_switching(void)
{
	struct object o = {0};

	percpu_ref_init(&o.ref, release, 0);
	percpu_ref_get_many(&o.ref, 10);
	percpu_ref_switch_to_atomic_sync(&o.ref);
	ok(!percpu_ref_is_zero(&o.ref) && !percpu_ref_is_dying(&o.ref),
	   "switched to atomic: live, not zero");
	percpu_ref_put_many(&o.ref, 5);
	percpu_ref_get(&o.ref);
	percpu_ref_switch_to_percpu(&o.ref);
	percpu_ref_put_many(&o.ref, 3);
	percpu_ref_switch_to_atomic_sync(&o.ref);
	percpu_ref_switch_to_atomic_sync(&o.ref);
	percpu_ref_put_many(&o.ref, 2);
	percpu_ref_switch_to_percpu(&o.ref);
	percpu_ref_switch_to_percpu(&o.ref);
	ok(percpu_ref_tryget_live(&o.ref), "after switching back and forth: tryget_live");
	percpu_ref_put(&o.ref);
	is(releases(&o), 0, "balanced across switches: nothing released");
	/* 10 + 1 - 5 - 3 - 2 = 1 reference besides the initial one. */
	percpu_ref_kill(&o.ref);
	is(releases(&o), 0, "killed with one reference left: not released");
	percpu_ref_switch_to_percpu(&o.ref);
	ok(percpu_ref_is_dying(&o.ref) && !percpu_ref_tryget_live(&o.ref),
	   "switch_to_percpu of a dying ref leaves it dying");
	percpu_ref_put(&o.ref);
	is(releases(&o), 1, "the last reference, counted across modes, releases");
	percpu_ref_exit(&o.ref);
}

static void test_resurrect_reinit(void)
{
	struct object o = {0};

	/* Resurrect a dying ref that still has a reference. */
	percpu_ref_init(&o.ref, release, 0);
	percpu_ref_get(&o.ref);
	percpu_ref_kill(&o.ref);
	percpu_ref_resurrect(&o.ref);
	ok(!percpu_ref_is_dying(&o.ref) && percpu_ref_tryget_live(&o.ref),
	   "resurrect makes a dying ref live");
	percpu_ref_put(&o.ref);
	percpu_ref_put(&o.ref);
	is(releases(&o), 0, "resurrect took the initial reference back");
	percpu_ref_kill(&o.ref);
	is(releases(&o), 1, "killed again: released once");
	percpu_ref_exit(&o.ref);

	/* Reinit after release. */
	memset(&o, 0, sizeof(o));
	percpu_ref_init(&o.ref, release, PERCPU_REF_ALLOW_REINIT);
	percpu_ref_kill(&o.ref);
	is(releases(&o), 1, "ALLOW_REINIT: killed and released");
	percpu_ref_reinit(&o.ref);
	ok(!percpu_ref_is_dying(&o.ref) && !percpu_ref_is_zero(&o.ref),
	   "reinit: live with its initial reference");
	percpu_ref_get_many(&o.ref, 7);
	percpu_ref_put_many(&o.ref, 7);
	is(releases(&o), 1, "reinit: gets and puts release nothing");
	percpu_ref_kill(&o.ref);
	is(releases(&o), 2, "reinit: killed again, released again");
	percpu_ref_reinit(&o.ref);
	percpu_ref_switch_to_atomic_sync(&o.ref);
	percpu_ref_kill(&o.ref);
	is(releases(&o), 3, "reinit, atomic, kill: released a third time");
	percpu_ref_exit(&o.ref);

	/* INIT_DEAD: dying from the start, resurrected to live. */
	memset(&o, 0, sizeof(o));
	percpu_ref_init(&o.ref, release, PERCPU_REF_INIT_DEAD);
	ok(percpu_ref_is_dying(&o.ref) && !percpu_ref_is_zero(&o.ref),
	   "INIT_DEAD: dying, holding the initial reference");
	ok(!percpu_ref_tryget_live(&o.ref), "INIT_DEAD: tryget_live fails");
	ok(percpu_ref_tryget(&o.ref), "INIT_DEAD: tryget succeeds");
	percpu_ref_put(&o.ref);
	percpu_ref_resurrect(&o.ref);
	ok(!percpu_ref_is_dying(&o.ref) && percpu_ref_tryget_live(&o.ref),
	   "INIT_DEAD then resurrect: live");
	percpu_ref_put(&o.ref);
	percpu_ref_kill(&o.ref);
	is(releases(&o), 1, "INIT_DEAD, resurrect, kill: released");
	percpu_ref_reinit(&o.ref);
	ok(!percpu_ref_is_dying(&o.ref), "INIT_DEAD implies ALLOW_REINIT");
	percpu_ref_kill(&o.ref);
	is(releases(&o), 2, "and the reinitialised ref releases again");
	percpu_ref_exit(&o.ref);

	/* INIT_DEAD, then the initial reference dropped by a put. */
	memset(&o, 0, sizeof(o));
	percpu_ref_init(&o.ref, release, PERCPU_REF_INIT_DEAD);
	percpu_ref_put(&o.ref);
	ok(percpu_ref_is_zero(&o.ref) && releases(&o) == 1,
	   "INIT_DEAD: putting the initial reference releases");
	percpu_ref_reinit(&o.ref);
	ok(!percpu_ref_is_dying(&o.ref) && !percpu_ref_is_zero(&o.ref),
	   "and reinit revives it");
	percpu_ref_kill(&o.ref);
	is(releases(&o), 2, "killed: released again");
	percpu_ref_exit(&o.ref);
}

/*
 * One thread through the states with a plain release counter: whether the
 * count is exact is seen through when release runs, never before the last
 * reference goes, exactly once when it does.
 */
static int nr_released;
static struct percpu_ref *last_released;

static void on_release(struct percpu_ref *r)
{
	nr_released++;
	last_released = r;
}

static void test_init_null_release(void)
{
	struct percpu_ref ref;

	is(percpu_ref_init(&ref, on_release, 1u << 3), -EINVAL,
	   "init: unknown flag is EINVAL");
	is(percpu_ref_init(&ref, on_release, ~0u), -EINVAL, "init: all flags is EINVAL");
	is(percpu_ref_init(&ref, NULL, 0), 0, "init with a NULL release");
	percpu_ref_kill(&ref);
	ok(percpu_ref_is_zero(&ref),
	   "a NULL release: kill still takes the count to zero");
	percpu_ref_exit(&ref);
}

/* Start live with the initial reference, check get/put/tryget keep it so. */
static void check_live(struct percpu_ref *ref, const char *how)
{
	int before = nr_released;

	ok(!percpu_ref_is_dying(ref), "%s: live", how);
	ok(!percpu_ref_is_zero(ref), "%s: not zero", how);
	ok(percpu_ref_tryget(ref), "%s: tryget succeeds", how);
	ok(percpu_ref_tryget_live(ref), "%s: tryget_live succeeds", how);
	percpu_ref_get(ref);
	percpu_ref_get_many(ref, 5);
	percpu_ref_put_many(ref, 5);
	percpu_ref_put(ref);
	percpu_ref_put(ref);
	percpu_ref_put(ref);
	is(nr_released, before, "%s: balanced gets and puts never release", how);
}

static void test_kill(unsigned flags, const char *how)
{
	struct percpu_ref ref;

	nr_released = 0;
	last_released = NULL;
	is(percpu_ref_init(&ref, on_release, flags), 0, "%s: init", how);
	check_live(&ref, how);
	percpu_ref_kill(&ref);
	is(nr_released, 1, "%s: kill with no other reference releases", how);
	ok(last_released == &ref, "%s: release gets the ref", how);
	ok(percpu_ref_is_dying(&ref), "%s: dying after kill", how);
	ok(percpu_ref_is_zero(&ref), "%s: zero after release", how);
	ok(!percpu_ref_tryget(&ref), "%s: tryget fails once released", how);
	ok(!percpu_ref_tryget_live(&ref), "%s: tryget_live fails once released", how);
	percpu_ref_put_many(&ref, 0);
	is(nr_released, 1, "%s: put_many(0) on a released ref does not release again",
	   how);
	percpu_ref_exit(&ref);
}

static void test_kill_held(void)
{
	struct percpu_ref ref;

	nr_released = 0;
	percpu_ref_init(&ref, on_release, 0);
	percpu_ref_get_many(&ref, 3);
	percpu_ref_kill(&ref);
	is(nr_released, 0, "kill with 3 references held does not release");
	ok(percpu_ref_is_dying(&ref), "dying");
	ok(!percpu_ref_is_zero(&ref), "not zero while held");
	ok(!percpu_ref_tryget_live(&ref), "tryget_live fails after kill");
	ok(percpu_ref_tryget(&ref), "tryget succeeds after kill while held");
	percpu_ref_get(&ref);
	percpu_ref_put_many(&ref, 2);
	percpu_ref_put(&ref);
	percpu_ref_put(&ref);
	is(nr_released, 0, "not released while one reference is held");
	ok(!percpu_ref_is_zero(&ref), "not zero while one reference is held");
	percpu_ref_put(&ref);
	is(nr_released, 1, "the last put releases, once");
	ok(percpu_ref_is_zero(&ref), "zero after the last put");
	percpu_ref_exit(&ref);
}

static int confirmed, confirm_ok;

static void on_confirm(struct percpu_ref *r)
{
	confirmed++;
	confirm_ok = percpu_ref_is_dying(r) && !percpu_ref_tryget_live(r) &&
		     !nr_released && !percpu_ref_is_zero(r);
}

static void test_confirm_order(void)
{
	struct percpu_ref ref;

	nr_released = 0;
	percpu_ref_init(&ref, on_release, 0);
	percpu_ref_get(&ref);
	percpu_ref_kill_and_confirm(&ref, on_confirm);
	is(confirmed, 1, "kill_and_confirm calls confirm once");
	ok(confirm_ok, "confirm: dying, tryget_live fails, not released yet");
	is(nr_released, 0, "released only when the held reference goes");
	percpu_ref_put(&ref);
	is(nr_released, 1, "released by the last put");
	percpu_ref_exit(&ref);

	nr_released = confirmed = 0;
	percpu_ref_init(&ref, on_release, 0);
	percpu_ref_kill_and_confirm(&ref, NULL);
	is(nr_released, 1, "kill_and_confirm with a NULL confirm releases");
	percpu_ref_exit(&ref);
}

static void test_switches(void)
{
	struct percpu_ref ref;

	nr_released = 0;
	percpu_ref_init(&ref, on_release, 0);
	percpu_ref_get_many(&ref, 10);
	percpu_ref_switch_to_atomic_sync(&ref);
	check_live(&ref, "after switch_to_atomic_sync");
	percpu_ref_put_many(&ref, 4);
	percpu_ref_switch_to_atomic_sync(&ref);
	percpu_ref_switch_to_percpu(&ref);
	check_live(&ref, "after switch_to_percpu");
	percpu_ref_put_many(&ref, 4);
	percpu_ref_switch_to_percpu(&ref);
	percpu_ref_switch_to_atomic_sync(&ref);
	percpu_ref_put(&ref);
	percpu_ref_kill(&ref);
	is(nr_released, 0, "one reference left across the switches");
	percpu_ref_put(&ref);
	is(nr_released, 1, "count exact across the switches");
	percpu_ref_exit(&ref);

	/* switch_to_percpu on a dying ref waits for resurrect. */
	nr_released = 0;
	percpu_ref_init(&ref, on_release, PERCPU_REF_INIT_ATOMIC);
	percpu_ref_get(&ref);
	percpu_ref_kill(&ref);
	percpu_ref_switch_to_percpu(&ref);
	ok(percpu_ref_is_dying(&ref), "switch_to_percpu leaves a dying ref dying");
	ok(!percpu_ref_is_zero(&ref), "and counted");
	ok(!percpu_ref_tryget_live(&ref), "tryget_live still fails");
	percpu_ref_resurrect(&ref);
	check_live(&ref, "resurrected after a deferred switch_to_percpu");
	percpu_ref_put(&ref);
	percpu_ref_kill(&ref);
	is(nr_released, 1, "count exact after the deferred switch");
	percpu_ref_exit(&ref);
}

static void test_init_dead(void)
{
	struct percpu_ref ref;

	nr_released = 0;
	is(percpu_ref_init(&ref, on_release, PERCPU_REF_INIT_DEAD), 0, "init dead");
	ok(percpu_ref_is_dying(&ref), "INIT_DEAD: dying");
	ok(!percpu_ref_is_zero(&ref), "INIT_DEAD: holds the initial reference");
	ok(!percpu_ref_tryget_live(&ref), "INIT_DEAD: tryget_live fails");
	ok(percpu_ref_tryget(&ref), "INIT_DEAD: tryget succeeds");
	percpu_ref_put(&ref);
	percpu_ref_resurrect(&ref);
	check_live(&ref, "INIT_DEAD resurrected");
	percpu_ref_kill(&ref);
	is(nr_released, 1, "INIT_DEAD: resurrect did not add a reference");
	percpu_ref_reinit(&ref);
	check_live(&ref, "INIT_DEAD reinitialised (implies ALLOW_REINIT)");
	percpu_ref_kill(&ref);
	is(nr_released, 2, "INIT_DEAD: released again after reinit");
	percpu_ref_exit(&ref);

	/* exit straight after INIT_DEAD: only the initial reference. */
	percpu_ref_init(&ref, on_release, PERCPU_REF_INIT_DEAD);
	percpu_ref_exit(&ref);
	ok(1, "exit of an INIT_DEAD ref never resurrected");
}

static void test_resurrect_cycles(void)
{
	struct percpu_ref ref;
	int bad = 0;

	nr_released = 0;
	percpu_ref_init(&ref, on_release, 0);
	for (int i = 0; i < 100; i++) {
		percpu_ref_get(&ref);
		percpu_ref_kill(&ref);
		bad += nr_released != 0 || !percpu_ref_is_dying(&ref) ||
		       percpu_ref_tryget_live(&ref);
		if (i % 3 == 1)
			percpu_ref_switch_to_percpu(&ref);
		percpu_ref_resurrect(&ref);
		bad += percpu_ref_is_dying(&ref) || !percpu_ref_tryget_live(&ref);
		if (i % 4 == 2)
			percpu_ref_switch_to_atomic_sync(&ref);
		if (i % 4 == 3)
			percpu_ref_switch_to_percpu(&ref);
		percpu_ref_put(&ref);
		percpu_ref_put(&ref);
	}
	is(bad, 0, "100 get/kill/resurrect/put cycles behave");
	is(nr_released, 0, "resurrect cycles never release");
	percpu_ref_kill(&ref);
	is(nr_released, 1, "count exact after 100 resurrect cycles");
	percpu_ref_exit(&ref);
}

static void test_reinit_cycles(unsigned flags, const char *how)
{
	struct percpu_ref ref;
	int bad = 0;

	nr_released = 0;
	percpu_ref_init(&ref, on_release, PERCPU_REF_ALLOW_REINIT | flags);
	for (int i = 0; i < 100; i++) {
		percpu_ref_get_many(&ref, 3);
		percpu_ref_put_many(&ref, 2);
		percpu_ref_kill(&ref);
		bad += nr_released != i;
		percpu_ref_put(&ref);
		bad += nr_released != i + 1 || !percpu_ref_is_zero(&ref);
		percpu_ref_reinit(&ref);
		bad += percpu_ref_is_dying(&ref) || percpu_ref_is_zero(&ref) ||
		       !percpu_ref_tryget_live(&ref);
		percpu_ref_put(&ref);
	}
	is(bad, 0, "%s: 100 kill/release/reinit cycles behave", how);
	is(nr_released, 100, "%s: each cycle released once", how);
	percpu_ref_exit(&ref);
	ok(1, "%s: exit of a live reinitialised ref", how);
}

static void test_exit_reuse(void)
{
	struct percpu_ref ref;

	nr_released = 0;
	for (int i = 0; i < 1000; i++) {
		if (percpu_ref_init(&ref, on_release, 0))
			break;
		percpu_ref_get(&ref);
		percpu_ref_put(&ref);
		percpu_ref_exit(&ref);
	}
	is(nr_released, 0, "1000 init/exit without kill never release");
}

/*
 * Misuse aborts, in a child, with a message naming the ref: uses of a ref
 * that is zeroed, garbage or exited, puts below zero, kill twice, exit
 * with references held, resurrect and reinit out of turn.  Each case
 * starts from victim as it finds it.
 */
static struct percpu_ref victim;

static void use_get(void *r)
{
	percpu_ref_get(r);
}

static void use_put(void *r)
{
	percpu_ref_put(r);
}

static void use_tryget_live(void *r)
{
	percpu_ref_tryget_live(r);
}

static void use_kill(void *r)
{
	percpu_ref_kill(r);
}

static void use_exit(void *r)
{
	percpu_ref_exit(r);
}

static void use_is_zero(void *r)
{
	percpu_ref_is_zero(r);
}

static void use_switch(void *r)
{
	percpu_ref_switch_to_atomic_sync(r);
}

static const struct use {
	void (*fn)(void *);
	const char *name; /* the function, as the message names it */
} uses[] = {
    {use_get, "percpu_ref_get"},
    {use_put, "percpu_ref_put"},
    {use_tryget_live, "percpu_ref_tryget_live"},
    {use_kill, "percpu_ref_kill"},
    {use_exit, "percpu_ref_exit"},
    {use_is_zero, "percpu_ref_is_zero"},
    {use_switch, "percpu_ref_switch_to_atomic_sync"},
};

static void use_garbage(void *u)
{
	memset(&victim, 0xa5, sizeof(victim));
	((const struct use *)u)->fn(&victim);
}

static void use_after_exit(void *u)
{
	percpu_ref_init(&victim, NULL, 0);
	percpu_ref_exit(&victim);
	((const struct use *)u)->fn(&victim);
}

static void put_after_release(void *flags)
{
	percpu_ref_init(&victim, NULL, *(unsigned *)flags);
	percpu_ref_kill(&victim);
	percpu_ref_put(&victim);
}

static void put_too_many(void *r)
{
	percpu_ref_init(r, NULL, PERCPU_REF_INIT_ATOMIC);
	percpu_ref_get_many(r, 2);
	percpu_ref_kill(r);
	percpu_ref_put_many(r, 3);
}

/* Puts below zero on a live ref: in per-CPU mode seen when kill folds. */
static void put_initial_then_kill(void *flags)
{
	percpu_ref_init(&victim, NULL, *(unsigned *)flags);
	percpu_ref_get(&victim);
	percpu_ref_put_many(&victim, 3);
	percpu_ref_kill(&victim);
}

static void put_below_zero_then_switch(void *arg)
{
	(void)arg;
	percpu_ref_init(&victim, NULL, 0);
	percpu_ref_put(&victim);
	percpu_ref_put(&victim);
	percpu_ref_switch_to_atomic_sync(&victim);
	percpu_ref_kill(&victim);
}

static void get_after_release(void *arg)
{
	(void)arg;
	percpu_ref_init(&victim, NULL, 0);
	percpu_ref_kill(&victim);
	percpu_ref_get(&victim);
}

static void kill_twice(void *flags)
{
	percpu_ref_init(&victim, NULL, *(unsigned *)flags);
	percpu_ref_get(&victim);
	percpu_ref_kill(&victim);
	percpu_ref_kill(&victim);
}

static void kill_init_dead(void *arg)
{
	(void)arg;
	percpu_ref_init(&victim, NULL, PERCPU_REF_INIT_DEAD);
	percpu_ref_kill_and_confirm(&victim, NULL);
}

static void exit_held(void *flags)
{
	percpu_ref_init(&victim, NULL, *(unsigned *)flags);
	percpu_ref_get_many(&victim, 2);
	percpu_ref_exit(&victim);
}

static void exit_killed_held(void *arg)
{
	(void)arg;
	percpu_ref_init(&victim, NULL, 0);
	percpu_ref_get(&victim);
	percpu_ref_kill(&victim);
	percpu_ref_exit(&victim);
}

static void resurrect_live(void *arg)
{
	(void)arg;
	percpu_ref_init(&victim, NULL, 0);
	percpu_ref_resurrect(&victim);
}

static void reinit_not_allowed(void *arg)
{
	(void)arg;
	percpu_ref_init(&victim, NULL, 0);
	percpu_ref_kill(&victim);
	percpu_ref_reinit(&victim);
}

static void reinit_held(void *arg)
{
	(void)arg;
	percpu_ref_init(&victim, NULL, PERCPU_REF_ALLOW_REINIT);
	percpu_ref_get(&victim);
	percpu_ref_kill(&victim);
	percpu_ref_reinit(&victim);
}

static void reinit_live(void *arg)
{
	(void)arg;
	percpu_ref_init(&victim, NULL, PERCPU_REF_ALLOW_REINIT);
	percpu_ref_reinit(&victim);
}

/* "libpcpu: fn(&victim): reason" */
static const char *msg(const char *fn, const char *reason)
{
	return tap_fmt("libpcpu: %s(%p): %s", fn, (void *)&victim, reason);
}

static void test_misuse(void)
{
	static const struct mode {
		unsigned flags;
		const char *name;
	} modes[] = {{0, "per-CPU"}, {PERCPU_REF_INIT_ATOMIC, "atomic"}};
	unsigned per_cpu = 0;
	const char *uninit = "not an initialised percpu_ref";
	char want[64]; /* not tap_fmt's: msg() reuses its buffers */

	snprintf(want, sizeof(want), "libpcpu: percpu_ref_*(%p): ", (void *)&victim);

	memset(&victim, 0, sizeof(victim));
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
		tap_aborts(uses[i].fn, &victim, want, "%s of a zeroed ref aborts",
			   uses[i].name + strlen("percpu_ref_"));
		tap_aborts(uses[i].fn, &victim, msg(uses[i].name, uninit),
			   "%s on a zeroed ref aborts", uses[i].name);
		tap_aborts(use_garbage, (void *)&uses[i], msg(uses[i].name, uninit),
			   "%s on garbage aborts", uses[i].name);
		tap_aborts(use_after_exit, (void *)&uses[i], msg(uses[i].name, uninit),
			   "%s after exit aborts", uses[i].name);
	}
	percpu_ref_init(&victim, NULL, 0);
	percpu_ref_exit(&victim);
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		tap_aborts(uses[i].fn, &victim, want, "%s of an exited ref aborts",
			   uses[i].name + strlen("percpu_ref_"));

	tap_aborts(put_after_release, &per_cpu, want, "a put below zero aborts");
	tap_aborts(put_too_many, &victim, want, "put_many below zero aborts");
	tap_aborts(kill_twice, &per_cpu, want, "killing a dying ref aborts");
	tap_aborts(exit_held, &per_cpu, want, "exit with references held aborts");
	tap_aborts(reinit_not_allowed, NULL, want, "reinit without ALLOW_REINIT aborts");
	tap_aborts(reinit_live, NULL, want, "reinit of a live ref aborts");
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
		   "reinit without ALLOW_REINIT aborts naming the flag");
	tap_aborts(reinit_held, NULL, msg("percpu_ref_reinit", "1 references still held"),
		   "reinit with a reference held aborts");
	tap_aborts(reinit_live, NULL, msg("percpu_ref_reinit", ""),
		   "reinit of a live ref aborts naming the ref");

	memset(&victim, 0, sizeof(victim));
	is(percpu_ref_init(&victim, NULL, 1u << 9), -EINVAL,
	   "init with a bad flag fails");
	tap_aborts(use_get, &victim, want, "a failed init initialised nothing");
}

/* Threads take and drop references while the main thread switches modes,
 * then kills the ref; the model counts the references threads hold. */
struct shared {
	struct object o;
	int killed; /* set after kill returned: tryget_live must now fail */
	int stop;
	int bad_live; /* a tryget_live succeeded after kill returned */
	int bad_dead; /* a tryget succeeded after release */
	long gets;    /* successful gets, for the diagnostics */
};

static struct shared sh;

static void *ref_thread(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;

	while (!__atomic_load_n(&sh.stop, __ATOMIC_ACQUIRE)) {
		uint64_t r = tap_rand(&seed);
		unsigned long n = 1 + (r >> 8) % 4;
		bool killed = __atomic_load_n(&sh.killed, __ATOMIC_ACQUIRE);
		bool released = __atomic_load_n(&sh.o.releases, __ATOMIC_ACQUIRE);
		bool got;

		if (r % 2) {
			got = percpu_ref_tryget_live(&sh.o.ref);
			if (got && killed)
				__atomic_store_n(&sh.bad_live, 1, __ATOMIC_RELAXED);
		} else {
			got = percpu_ref_tryget(&sh.o.ref);
		}
		if (got && released)
			__atomic_store_n(&sh.bad_dead, 1, __ATOMIC_RELAXED);
		if (!got)
			continue;
		__atomic_fetch_add(&sh.o.held, 1 + (long)n, __ATOMIC_RELAXED);
		percpu_ref_get_many(&sh.o.ref, n);
		__atomic_fetch_add(&sh.gets, 1, __ATOMIC_RELAXED);
		/* Drop every reference; the model first, so release can
		 * check that nobody still holds one. */
		__atomic_fetch_sub(&sh.o.held, 1 + (long)n, __ATOMIC_RELEASE);
		if (r & 4) {
			percpu_ref_put_many(&sh.o.ref, n);
		} else {
			for (unsigned long i = 0; i < n; i++)
				percpu_ref_put(&sh.o.ref);
		}
		percpu_ref_put(&sh.o.ref);
	}
	return NULL;
}

static void test_threads(unsigned flags, const char *name)
{
	enum { THREADS = 8 };
	pthread_t tid[THREADS];
	double secs = tap_seconds(0.4) / 2, end;

	memset(&sh, 0, sizeof(sh));
	percpu_ref_init(&sh.o.ref, release, flags);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&tid[i], NULL, ref_thread, (void *)(uintptr_t)(i + 1));

	/* Live phase: mode switches race with the gets and puts. */
	end = tap_now() + secs / 2;
	for (int i = 0; tap_now() < end; i++) {
		if (i % 2)
			percpu_ref_switch_to_percpu(&sh.o.ref);
		else
			percpu_ref_switch_to_atomic_sync(&sh.o.ref);
	}
	if (flags & PERCPU_REF_INIT_ATOMIC)
		percpu_ref_switch_to_atomic_sync(&sh.o.ref);
	else
		percpu_ref_switch_to_percpu(&sh.o.ref);
	usleep((useconds_t)(secs / 4 * 1e6));
	int early = releases(&sh.o);

	percpu_ref_kill_and_confirm(&sh.o.ref, confirm);
	__atomic_store_n(&sh.killed, 1, __ATOMIC_RELEASE);
	/* Dying phase: trygets go on until the last reference goes. */
	end = tap_now() + secs / 4;
	while (tap_now() < end && !releases(&sh.o))
		usleep(1000);
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);

	tap_diag("%s: %ld successful trygets", name, sh.gets);
	is(early, 0, "%s: %d threads: nothing released while live", name, THREADS);
	ok(sh.o.confirms == 1 && !sh.o.confirm_live,
	   "%s: confirm ran once, the ref dying", name);
	ok(!sh.bad_live, "%s: no tryget_live succeeded after kill returned", name);
	ok(!sh.bad_dead, "%s: no tryget succeeded after release", name);
	is(releases(&sh.o), 1, "%s: released exactly once after the last put", name);
	ok(!sh.o.early_release, "%s: release ran only once no thread held a reference",
	   name);
	ok(percpu_ref_is_zero(&sh.o.ref), "%s: the ref ends at zero", name);
	percpu_ref_exit(&sh.o.ref);
}

/*
 * Many short lives of one ref (ALLOW_REINIT): threads keep taking
 * references with tryget_live and dropping them while the main thread
 * kills the ref, waits for its release and reinitialises it, round after
 * round.  Every life must end with exactly one release, run when no thread
 * held a reference: a tryget_live that slipped past a kill, or a put that
 * released early, shows up as a second release or an early one.
 */
struct lives {
	struct object o;
	long gets; /* successful trygets, atomic */
	int stop;
};

static void *life_thread(void *arg)
{
	struct lives *lv = arg;

	while (!__atomic_load_n(&lv->stop, __ATOMIC_RELAXED)) {
		if (!percpu_ref_tryget_live(&lv->o.ref)) {
			sched_yield(); /* dying: let the holders finish */
			continue;
		}
		__atomic_fetch_add(&lv->o.held, 2, __ATOMIC_RELAXED);
		percpu_ref_get(&lv->o.ref);
		__atomic_fetch_add(&lv->gets, 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&lv->o.held, 2, __ATOMIC_RELEASE);
		percpu_ref_put(&lv->o.ref);
		percpu_ref_put(&lv->o.ref);
	}
	return NULL;
}

static void test_lives(void)
{
	enum { THREADS = 8 };
	static struct lives lv;
	pthread_t tid[THREADS];
	int rounds = 0;
	bool once = true;
	double end = tap_now() + tap_seconds(0.3);

	percpu_ref_init(&lv.o.ref, release, PERCPU_REF_ALLOW_REINIT);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&tid[i], NULL, life_thread, &lv);
	while (rounds < 10 || (tap_now() < end && rounds < 100000)) {
		long gets = __atomic_load_n(&lv.gets, __ATOMIC_RELAXED);

		if (rounds++)
			percpu_ref_reinit(&lv.o.ref);
		while (__atomic_load_n(&lv.gets, __ATOMIC_RELAXED) < gets + 1)
			sched_yield();
		percpu_ref_kill(&lv.o.ref);
		while (releases(&lv.o) < rounds)
			sched_yield();
		once &= releases(&lv.o) == rounds;
	}
	__atomic_store_n(&lv.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	ok(once && releases(&lv.o) == rounds,
	   "%d lives of a ref among %d threads: each released exactly once", rounds,
	   THREADS);
	ok(!lv.o.early_release, "no release while a thread held a reference");
	ok(percpu_ref_is_zero(&lv.o.ref), "the ref ends at zero");
	percpu_ref_exit(&lv.o.ref);
}

int main(void)
{
	tap_start();
	test_init_flags();
	test_lifecycle(0, "per-CPU");
	test_lifecycle(PERCPU_REF_INIT_ATOMIC, "INIT_ATOMIC");
	test_lifecycle(PERCPU_REF_ALLOW_REINIT, "ALLOW_REINIT");
	test_kill_and_confirm();
	test_switching();
	test_resurrect_reinit();
	test_init_null_release();
	test_kill(0, "per-CPU");
	test_kill(PERCPU_REF_INIT_ATOMIC, "INIT_ATOMIC");
	test_kill(PERCPU_REF_ALLOW_REINIT, "ALLOW_REINIT");
	test_kill_held();
	test_confirm_order();
	test_switches();
	test_init_dead();
	test_resurrect_cycles();
	test_reinit_cycles(0, "per-CPU");
	test_reinit_cycles(PERCPU_REF_INIT_ATOMIC, "INIT_ATOMIC");
	test_exit_reuse();
	test_misuse();
	test_threads(0, "per-CPU");
	test_threads(PERCPU_REF_INIT_ATOMIC | PERCPU_REF_ALLOW_REINIT, "INIT_ATOMIC");
	test_lives();
	return tap_done();
}
