/* SPDX-License-Identifier: MIT */
/*
 * percpu_ref's states, one thread: init flags, get/put/tryget, kill and
 * kill_and_confirm, the mode switches, resurrect and reinit cycles, exit.
 * Whether the count is exact is seen through when release runs: never
 * before the last reference goes, exactly once when it does.
 */
#include <errno.h>
#include <pcpu.h>

#include "../utils/tap.h"

static int released;
static struct percpu_ref *released_ref;

static void on_release(struct percpu_ref *r)
{
	released++;
	released_ref = r;
}

static void test_init_flags(void)
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
	int before = released;

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
	is(released, before, "%s: balanced gets and puts never release", how);
}

static void test_kill(unsigned flags, const char *how)
{
	struct percpu_ref ref;

	released = 0;
	released_ref = NULL;
	is(percpu_ref_init(&ref, on_release, flags), 0, "%s: init", how);
	check_live(&ref, how);
	percpu_ref_kill(&ref);
	is(released, 1, "%s: kill with no other reference releases", how);
	ok(released_ref == &ref, "%s: release gets the ref", how);
	ok(percpu_ref_is_dying(&ref), "%s: dying after kill", how);
	ok(percpu_ref_is_zero(&ref), "%s: zero after release", how);
	ok(!percpu_ref_tryget(&ref), "%s: tryget fails once released", how);
	ok(!percpu_ref_tryget_live(&ref), "%s: tryget_live fails once released", how);
	percpu_ref_put_many(&ref, 0);
	is(released, 1, "%s: put_many(0) on a released ref does not release again", how);
	percpu_ref_exit(&ref);
}

static void test_kill_held(void)
{
	struct percpu_ref ref;

	released = 0;
	percpu_ref_init(&ref, on_release, 0);
	percpu_ref_get_many(&ref, 3);
	percpu_ref_kill(&ref);
	is(released, 0, "kill with 3 references held does not release");
	ok(percpu_ref_is_dying(&ref), "dying");
	ok(!percpu_ref_is_zero(&ref), "not zero while held");
	ok(!percpu_ref_tryget_live(&ref), "tryget_live fails after kill");
	ok(percpu_ref_tryget(&ref), "tryget succeeds after kill while held");
	percpu_ref_get(&ref);
	percpu_ref_put_many(&ref, 2);
	percpu_ref_put(&ref);
	percpu_ref_put(&ref);
	is(released, 0, "not released while one reference is held");
	ok(!percpu_ref_is_zero(&ref), "not zero while one reference is held");
	percpu_ref_put(&ref);
	is(released, 1, "the last put releases, once");
	ok(percpu_ref_is_zero(&ref), "zero after the last put");
	percpu_ref_exit(&ref);
}

static int confirmed, confirm_ok;

static void on_confirm(struct percpu_ref *r)
{
	confirmed++;
	confirm_ok = percpu_ref_is_dying(r) && !percpu_ref_tryget_live(r) && !released &&
		     !percpu_ref_is_zero(r);
}

static void test_kill_and_confirm(void)
{
	struct percpu_ref ref;

	released = 0;
	percpu_ref_init(&ref, on_release, 0);
	percpu_ref_get(&ref);
	percpu_ref_kill_and_confirm(&ref, on_confirm);
	is(confirmed, 1, "kill_and_confirm calls confirm once");
	ok(confirm_ok, "confirm: dying, tryget_live fails, not released yet");
	is(released, 0, "released only when the held reference goes");
	percpu_ref_put(&ref);
	is(released, 1, "released by the last put");
	percpu_ref_exit(&ref);

	released = confirmed = 0;
	percpu_ref_init(&ref, on_release, 0);
	percpu_ref_kill_and_confirm(&ref, NULL);
	is(released, 1, "kill_and_confirm with a NULL confirm releases");
	percpu_ref_exit(&ref);
}

static void test_switches(void)
{
	struct percpu_ref ref;

	released = 0;
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
	is(released, 0, "one reference left across the switches");
	percpu_ref_put(&ref);
	is(released, 1, "count exact across the switches");
	percpu_ref_exit(&ref);

	/* switch_to_percpu on a dying ref waits for resurrect. */
	released = 0;
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
	is(released, 1, "count exact after the deferred switch");
	percpu_ref_exit(&ref);
}

static void test_init_dead(void)
{
	struct percpu_ref ref;

	released = 0;
	is(percpu_ref_init(&ref, on_release, PERCPU_REF_INIT_DEAD), 0, "init dead");
	ok(percpu_ref_is_dying(&ref), "INIT_DEAD: dying");
	ok(!percpu_ref_is_zero(&ref), "INIT_DEAD: holds the initial reference");
	ok(!percpu_ref_tryget_live(&ref), "INIT_DEAD: tryget_live fails");
	ok(percpu_ref_tryget(&ref), "INIT_DEAD: tryget succeeds");
	percpu_ref_put(&ref);
	percpu_ref_resurrect(&ref);
	check_live(&ref, "INIT_DEAD resurrected");
	percpu_ref_kill(&ref);
	is(released, 1, "INIT_DEAD: resurrect did not add a reference");
	percpu_ref_reinit(&ref);
	check_live(&ref, "INIT_DEAD reinitialised (implies ALLOW_REINIT)");
	percpu_ref_kill(&ref);
	is(released, 2, "INIT_DEAD: released again after reinit");
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

	released = 0;
	percpu_ref_init(&ref, on_release, 0);
	for (int i = 0; i < 100; i++) {
		percpu_ref_get(&ref);
		percpu_ref_kill(&ref);
		bad += released != 0 || !percpu_ref_is_dying(&ref) ||
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
	is(released, 0, "resurrect cycles never release");
	percpu_ref_kill(&ref);
	is(released, 1, "count exact after 100 resurrect cycles");
	percpu_ref_exit(&ref);
}

static void test_reinit_cycles(unsigned flags, const char *how)
{
	struct percpu_ref ref;
	int bad = 0;

	released = 0;
	percpu_ref_init(&ref, on_release, PERCPU_REF_ALLOW_REINIT | flags);
	for (int i = 0; i < 100; i++) {
		percpu_ref_get_many(&ref, 3);
		percpu_ref_put_many(&ref, 2);
		percpu_ref_kill(&ref);
		bad += released != i;
		percpu_ref_put(&ref);
		bad += released != i + 1 || !percpu_ref_is_zero(&ref);
		percpu_ref_reinit(&ref);
		bad += percpu_ref_is_dying(&ref) || percpu_ref_is_zero(&ref) ||
		       !percpu_ref_tryget_live(&ref);
		percpu_ref_put(&ref);
	}
	is(bad, 0, "%s: 100 kill/release/reinit cycles behave", how);
	is(released, 100, "%s: each cycle released once", how);
	percpu_ref_exit(&ref);
	ok(1, "%s: exit of a live reinitialised ref", how);
}

static void test_exit_reuse(void)
{
	struct percpu_ref ref;

	released = 0;
	for (int i = 0; i < 1000; i++) {
		if (percpu_ref_init(&ref, on_release, 0))
			break;
		percpu_ref_get(&ref);
		percpu_ref_put(&ref);
		percpu_ref_exit(&ref);
	}
	is(released, 0, "1000 init/exit without kill never release");
}

int main(void)
{
	tap_start();
	test_init_flags();
	test_kill(0, "per-CPU");
	test_kill(PERCPU_REF_INIT_ATOMIC, "INIT_ATOMIC");
	test_kill(PERCPU_REF_ALLOW_REINIT, "ALLOW_REINIT");
	test_kill_held();
	test_kill_and_confirm();
	test_switches();
	test_init_dead();
	test_resurrect_cycles();
	test_reinit_cycles(0, "per-CPU");
	test_reinit_cycles(PERCPU_REF_INIT_ATOMIC, "INIT_ATOMIC");
	test_exit_reuse();
	return tap_done();
}
