/* SPDX-License-Identifier: MIT */
/*
 * Kernel-style percpu_ref code compiled against <pcpu/linux.h>: a block
 * queue's freeze and unfreeze as blk-mq writes them (kill, wait for zero,
 * resurrect after the release), 1,000 cycles with submitters entering the
 * queue through tryget_live all along; INIT_ATOMIC then reinit; and the
 * kernel names tryget_many, tryget_live_rcu and the asynchronous
 * switch_to_atomic.
 */
#include <pcpu/linux.h>
#include <pthread.h>
#include <sched.h>

#include "../utils/tap.h"

/* ---- the "queue", as it would read in the kernel */

struct request_queue {
	struct percpu_ref q_usage_counter;
	int released; /* times the usage counter reached zero */
	int inside;   /* submitters between enter and exit */
	long entries; /* successful enters so far */
	int stop;
};

static void queue_usage_release(struct percpu_ref *ref)
{
	struct request_queue *q =
	    (struct request_queue *)((char *)ref -
				     offsetof(struct request_queue, q_usage_counter));

	__atomic_fetch_add(&q->released, 1, __ATOMIC_RELEASE);
}

static bool queue_enter(struct request_queue *q)
{
	if (!percpu_ref_tryget_live(&q->q_usage_counter))
		return false;
	__atomic_fetch_add(&q->inside, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&q->entries, 1, __ATOMIC_RELAXED);
	return true;
}

static void queue_exit(struct request_queue *q)
{
	__atomic_fetch_sub(&q->inside, 1, __ATOMIC_RELAXED);
	percpu_ref_put(&q->q_usage_counter);
}

/* The release wakes the freezer in blk-mq; here the freezer watches for
 * it (the count is zero a moment before the release runs). */
static void queue_freeze(struct request_queue *q, int freezes)
{
	percpu_ref_kill(&q->q_usage_counter);
	while (__atomic_load_n(&q->released, __ATOMIC_ACQUIRE) < freezes)
		sched_yield();
}

static void queue_unfreeze(struct request_queue *q)
{
	percpu_ref_resurrect(&q->q_usage_counter);
}

/* ---- the tests */

static void *submitter(void *arg)
{
	struct request_queue *q = arg;

	while (!__atomic_load_n(&q->stop, __ATOMIC_RELAXED))
		if (queue_enter(q))
			queue_exit(q);
	return NULL;
}

/* Until a submitter got in since the last look (or a while passed). */
static void wait_for_entry(struct request_queue *q, long *seen)
{
	for (int spins = 0; spins < 100000; spins++) {
		long now = __atomic_load_n(&q->entries, __ATOMIC_RELAXED);

		if (now != *seen) {
			*seen = now;
			return;
		}
		sched_yield();
	}
}

#define CYCLES 1000

static void test_freeze_cycles(void)
{
	struct request_queue q = {0};
	pthread_t t[2];
	int bad_inside = 0, bad_release = 0, bad_get = 0;
	long seen = 0;

	is(percpu_ref_init(&q.q_usage_counter, queue_usage_release,
			   PERCPU_REF_ALLOW_REINIT, GFP_KERNEL),
	   0, "queue: percpu_ref_init with gfp");
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, submitter, &q);
	for (int cycle = 1; cycle <= CYCLES; cycle++) {
		wait_for_entry(&q, &seen);
		queue_freeze(&q, cycle);
		/* Released: every submitter that entered has left, and none
		 * gets in while frozen. */
		bad_inside += __atomic_load_n(&q.inside, __ATOMIC_RELAXED) != 0 ||
			      !percpu_ref_is_zero(&q.q_usage_counter);
		bad_release += __atomic_load_n(&q.released, __ATOMIC_ACQUIRE) != cycle;
		queue_unfreeze(&q);
		/* Live again: the owner takes and drops a reference. */
		percpu_ref_get(&q.q_usage_counter);
		bad_get += percpu_ref_is_dying(&q.q_usage_counter) ||
			   percpu_ref_is_zero(&q.q_usage_counter);
		percpu_ref_put(&q.q_usage_counter);
	}
	__atomic_store_n(&q.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	is(bad_inside, 0, "%d freezes: nobody inside once the count is zero", CYCLES);
	is(bad_release, 0, "%d freezes: release ran once per freeze", CYCLES);
	is(bad_get, 0, "%d unfreezes: resurrect after release makes the queue live",
	   CYCLES);
	ok(q.entries >= CYCLES, "submitters entered between the freezes (%ld times)",
	   q.entries);
	queue_freeze(&q, CYCLES + 1);
	is(q.released, CYCLES + 1, "a last freeze releases once more");
	percpu_ref_exit(&q.q_usage_counter);
}

static int releases;

static void count_release(struct percpu_ref *ref)
{
	(void)ref;
	releases++;
}

static void test_init_atomic_reinit(void)
{
	struct percpu_ref r;

	releases = 0;
	percpu_ref_init(&r, count_release, PERCPU_REF_INIT_ATOMIC, GFP_KERNEL);
	percpu_ref_kill(&r);
	is(releases, 1, "INIT_ATOMIC: kill releases");
	percpu_ref_reinit(&r);
	ok(!percpu_ref_is_dying(&r) && !percpu_ref_is_zero(&r),
	   "INIT_ATOMIC implies ALLOW_REINIT: reinit makes it live");
	percpu_ref_switch_to_percpu(&r);
	percpu_ref_get(&r);
	percpu_ref_put(&r);
	percpu_ref_kill(&r);
	is(releases, 2, "INIT_ATOMIC: reinit, per-CPU, kill releases again");
	percpu_ref_exit(&r);
}

static struct percpu_ref *confirmed;
static int confirmed_calls;

static void confirm_atomic(struct percpu_ref *ref)
{
	confirmed = ref;
	confirmed_calls++;
}

static void test_names(void)
{
	struct percpu_ref r;

	releases = 0;
	percpu_ref_init(&r, count_release, 0, GFP_KERNEL);
	ok(percpu_ref_tryget_many(&r, 3), "tryget_many on a live ref");
	ok(percpu_ref_tryget_live_rcu(&r), "tryget_live_rcu on a live ref");
	percpu_ref_put_many(&r, 4);
	percpu_ref_switch_to_atomic(&r, confirm_atomic);
	ok(confirmed == &r && confirmed_calls == 1,
	   "switch_to_atomic calls confirm once, with the ref");
	percpu_ref_switch_to_atomic(&r, NULL);
	ok(percpu_ref_tryget_many(&r, 2), "tryget_many in atomic mode");
	percpu_ref_put_many(&r, 2);
	percpu_ref_switch_to_percpu(&r);
	percpu_ref_kill(&r);
	ok(!percpu_ref_tryget_live_rcu(&r), "tryget_live_rcu fails once killed");
	is(releases, 1, "the killed ref is released");
	ok(!percpu_ref_tryget_many(&r, 2), "tryget_many fails at zero");
	percpu_ref_exit(&r);
}

int main(void)
{
	tap_start();
	test_freeze_cycles();
	test_init_atomic_reinit();
	test_names();
	return tap_done();
}
