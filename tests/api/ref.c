/* SPDX-License-Identifier: MIT */
/*
 * percpu_ref: the life cycle (init, get/put, kill, release, exit), every
 * flag, mode switches, resurrect and reinit, misuse, and threads taking and
 * dropping references around a kill against a shared-atomic model.
 */
#include <errno.h>
#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../utils/tap.h"

/* A ref embedded in the object it counts, as in the kernel. */
struct object {
	struct percpu_ref ref;
	int releases;       /* atomic */
	int confirms;       /* atomic */
	long held;          /* model: references held by threads, atomic */
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
	struct object o = { 0 };
	static const unsigned bad[] = { 1u << 3, 1u << 8, 1u << 31,
					PERCPU_REF_INIT_ATOMIC | 1u << 4, ~0u };

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
	struct object o = { 0 };

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
	struct object o = { 0 };

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
	struct object o = { 0 };

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
	struct object o = { 0 };

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

/* Misuse. */
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

static void put_below_zero(void *r)
{
	percpu_ref_init(r, NULL, 0);
	percpu_ref_kill(r);
	percpu_ref_put(r);
}

static void put_too_many(void *r)
{
	percpu_ref_init(r, NULL, PERCPU_REF_INIT_ATOMIC);
	percpu_ref_get_many(r, 2);
	percpu_ref_kill(r);
	percpu_ref_put_many(r, 3);
}

static void kill_twice(void *r)
{
	percpu_ref_init(r, NULL, 0);
	percpu_ref_get(r);
	percpu_ref_kill(r);
	percpu_ref_kill(r);
}

static void exit_held(void *r)
{
	percpu_ref_init(r, NULL, 0);
	percpu_ref_get(r);
	percpu_ref_exit(r);
}

static void reinit_not_allowed(void *r)
{
	percpu_ref_init(r, NULL, 0);
	percpu_ref_kill(r);
	percpu_ref_reinit(r);
}

static void reinit_live(void *r)
{
	percpu_ref_init(r, NULL, PERCPU_REF_ALLOW_REINIT);
	percpu_ref_reinit(r);
}

static void test_misuse(void)
{
	static const struct {
		void (*fn)(void *);
		const char *name;
	} uses[] = {
		{ use_get, "get" },	    { use_put, "put" },
		{ use_tryget_live, "tryget_live" }, { use_kill, "kill" },
		{ use_exit, "exit" },	    { use_is_zero, "is_zero" },
		{ use_switch, "switch_to_atomic_sync" },
	};
	const char *want = tap_fmt("libpcpu: percpu_ref_*(%p): ", (void *)&victim);

	memset(&victim, 0, sizeof(victim));
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		tap_aborts(uses[i].fn, &victim, want, "%s of a zeroed ref aborts",
			   uses[i].name);
	percpu_ref_init(&victim, NULL, 0);
	percpu_ref_exit(&victim);
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		tap_aborts(uses[i].fn, &victim, want, "%s of an exited ref aborts",
			   uses[i].name);

	tap_aborts(put_below_zero, &victim, want, "a put below zero aborts");
	tap_aborts(put_too_many, &victim, want, "put_many below zero aborts");
	tap_aborts(kill_twice, &victim, want, "killing a dying ref aborts");
	tap_aborts(exit_held, &victim, want, "exit with references held aborts");
	tap_aborts(reinit_not_allowed, &victim, want,
		   "reinit without ALLOW_REINIT aborts");
	tap_aborts(reinit_live, &victim, want, "reinit of a live ref aborts");

	memset(&victim, 0, sizeof(victim));
	is(percpu_ref_init(&victim, NULL, 1u << 9), -EINVAL,
	   "init with a bad flag fails");
	tap_aborts(use_get, &victim, want, "a failed init initialised nothing");
}

/* Threads take and drop references while the main thread switches modes,
 * then kills the ref; the model counts the references threads hold. */
struct shared {
	struct object o;
	int killed;   /* set after kill returned: tryget_live must now fail */
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
	test_misuse();
	test_threads(0, "per-CPU");
	test_threads(PERCPU_REF_INIT_ATOMIC | PERCPU_REF_ALLOW_REINIT, "INIT_ATOMIC");
	test_lives();
	return tap_done();
}
