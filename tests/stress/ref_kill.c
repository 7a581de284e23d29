/* SPDX-License-Identifier: MIT */
/*
 * Kill under load: 16 threads take and drop references at random (each
 * balanced) while another thread kills the ref at a random moment.  Release
 * poisons a canary; every thread checks it whenever it holds a reference,
 * so a release before the last put is seen, and after each round release
 * has run exactly once.  At least 1,000 rounds, more if PCPU_TEST_SECONDS
 * asks for longer.
 *
 * Then kill against a loader parked at a random point of its get/put loop
 * (a signal handler that waits): in the rseq and atomic modes, and in the
 * local mode where its gated adds are restartable sequences (grace=rseq),
 * no get or put in flight holds up the switch, so kill must return while
 * the loader is still parked.  The local mode's other kill (grace=readers)
 * waits for a reader parked inside its gated add, so it is not asked.
 */
#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../utils/tap.h"

#define NR_WORKERS 16
#define OPS	   64 /* per worker per round: rounds stay short */
#define MIN_ROUNDS 1000
#define ALIVE	   0x600dcafeu
#define POISON	   0xdeadbeefu

static struct percpu_ref ref;
static unsigned *canary;
static int released;
static long ops_done, kill_at;
static int use_confirm, confirmed, stop;
static uint64_t round_seed;
static pthread_t killer_tid;
static int released_by_worker;
static pthread_barrier_t start, done;

/* Per-round failures, summed by main. */
static int early, confirm_bad, live_after_kill, live_after_confirm;

static void on_release(struct percpu_ref *r)
{
	(void)r;
	__atomic_fetch_add(&released, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(canary, POISON, __ATOMIC_SEQ_CST);
	if (!pthread_equal(pthread_self(), killer_tid))
		released_by_worker++;
}

static void on_confirm(struct percpu_ref *r)
{
	if (percpu_ref_tryget_live(r) || !percpu_ref_is_dying(r) ||
	    __atomic_load_n(&released, __ATOMIC_SEQ_CST))
		__atomic_fetch_add(&confirm_bad, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&confirmed, 1, __ATOMIC_SEQ_CST);
}

/* Holding a reference: the release must not have run. */
static void check_held(void)
{
	if (__atomic_load_n(canary, __ATOMIC_SEQ_CST) != ALIVE ||
	    __atomic_load_n(&released, __ATOMIC_SEQ_CST))
		__atomic_fetch_add(&early, 1, __ATOMIC_RELAXED);
}

static void work(uint64_t seed)
{
	uint64_t rs = seed;
	unsigned long held = 0;

	for (int i = 0; i < OPS; i++) {
		uint64_t r = tap_rand(&rs);

		if (!held) {
			/* The ref's memory outlives the round: trying is safe. */
			int after = __atomic_load_n(&confirmed, __ATOMIC_SEQ_CST);

			if (percpu_ref_tryget_live(&ref)) {
				/* One that starts after confirm must fail. */
				if (after)
					__atomic_fetch_add(&live_after_confirm, 1,
							   __ATOMIC_RELAXED);
				held = 1;
			} else if (percpu_ref_tryget(&ref)) {
				held = 1;
			}
		} else if (r % 8 < 3) {
			unsigned long n = 1 + r / 8 % 3;

			if (n == 1)
				percpu_ref_get(&ref);
			else
				percpu_ref_get_many(&ref, n);
			held += n;
		} else {
			unsigned long n = 1 + r / 8 % held;

			check_held();
			if (n == 1)
				percpu_ref_put(&ref);
			else
				percpu_ref_put_many(&ref, n);
			held -= n;
		}
		if (held)
			check_held();
		__atomic_fetch_add(&ops_done, 1, __ATOMIC_RELAXED);
		if (r % 16 == 0)
			sched_yield();
	}
	if (held) {
		check_held();
		percpu_ref_put_many(&ref, held);
	}
}

static void *worker(void *arg)
{
	uint64_t id = (uintptr_t)arg;

	for (;;) {
		pthread_barrier_wait(&start);
		if (__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
			return NULL;
		work(round_seed * (2 * id + 1) + id);
		pthread_barrier_wait(&done);
	}
}

static void *killer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_barrier_wait(&start);
		if (__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
			return NULL;
		while (__atomic_load_n(&ops_done, __ATOMIC_RELAXED) < kill_at)
			sched_yield();
		if (use_confirm)
			percpu_ref_kill_and_confirm(&ref, on_confirm);
		else
			percpu_ref_kill(&ref);
		if (percpu_ref_tryget_live(&ref))
			__atomic_fetch_add(&live_after_kill, 1, __ATOMIC_RELAXED);
		pthread_barrier_wait(&done);
	}
}

#define PARK_ROUNDS	200
#define PARK_PATIENCE_S 2.0

static struct percpu_ref park_ref;
static int park_held, park_parked, park_go, park_stop, park_released, park_killed;

static void park_release(struct percpu_ref *r)
{
	(void)r;
	__atomic_fetch_add(&park_released, 1, __ATOMIC_SEQ_CST);
}

static void park_handler(int sig)
{
	static const struct timespec nap = {0, 100 * 1000};

	(void)sig;
	__atomic_store_n(&park_parked, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&park_go, __ATOMIC_SEQ_CST))
		nanosleep(&nap, NULL);
}

static void *park_loader(void *arg)
{
	(void)arg;
	percpu_ref_get(&park_ref);
	__atomic_store_n(&park_held, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&park_stop, __ATOMIC_RELAXED)) {
		percpu_ref_get(&park_ref);
		percpu_ref_put(&park_ref);
	}
	percpu_ref_put(&park_ref);
	return NULL;
}

static void *park_killer(void *arg)
{
	(void)arg;
	percpu_ref_kill(&park_ref);
	__atomic_store_n(&park_killed, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Rounds in which kill returned while the loader was parked; stops at the
 * first that waited PARK_PATIENCE_S for it.  *bad counts wrong releases. */
static int park_rounds(int *bad)
{
	struct sigaction sa = {.sa_handler = park_handler};
	pthread_t loader, killer;
	int rounds;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		tap_bail("sigaction");
	for (rounds = 0; rounds < PARK_ROUNDS; rounds++) {
		double t0;
		bool waited;

		park_held = park_parked = park_go = park_stop = 0;
		park_released = park_killed = 0;
		if (percpu_ref_init(&park_ref, park_release, 0))
			tap_bail("percpu_ref_init");
		pthread_create(&loader, NULL, park_loader, NULL);
		while (!__atomic_load_n(&park_held, __ATOMIC_SEQ_CST))
			sched_yield();
		pthread_kill(loader, SIGUSR1);
		while (!__atomic_load_n(&park_parked, __ATOMIC_SEQ_CST))
			sched_yield();
		pthread_create(&killer, NULL, park_killer, NULL);
		for (t0 = tap_now(); !__atomic_load_n(&park_killed, __ATOMIC_SEQ_CST) &&
				     tap_now() - t0 < PARK_PATIENCE_S;)
			sched_yield();
		waited = !__atomic_load_n(&park_killed, __ATOMIC_SEQ_CST);
		/* The loader still holds its reference. */
		*bad += __atomic_load_n(&park_released, __ATOMIC_SEQ_CST) != 0;
		__atomic_store_n(&park_go, 1, __ATOMIC_SEQ_CST);
		pthread_join(killer, NULL);
		__atomic_store_n(&park_stop, 1, __ATOMIC_SEQ_CST);
		pthread_join(loader, NULL);
		*bad += park_released != 1;
		percpu_ref_exit(&park_ref);
		if (waited)
			break;
	}
	return rounds;
}

int main(void)
{
	pthread_t tid[NR_WORKERS + 1];
	uint64_t rs = 0x5eed;
	int rounds = 0, bad_release = 0, bad_init = 0, bad_end = 0;
	double secs = tap_seconds(0), t0 = tap_now();

	tap_start();
	canary = malloc(sizeof(*canary));
	if (!canary)
		tap_bail("out of memory");
	pthread_barrier_init(&start, NULL, NR_WORKERS + 2);
	pthread_barrier_init(&done, NULL, NR_WORKERS + 2);
	for (uintptr_t i = 0; i < NR_WORKERS; i++)
		pthread_create(&tid[i], NULL, worker, (void *)i);
	pthread_create(&tid[NR_WORKERS], NULL, killer, NULL);
	killer_tid = tid[NR_WORKERS];

	while (rounds < MIN_ROUNDS || tap_now() - t0 < secs) {
		unsigned flags = rounds % 7 == 3 ? PERCPU_REF_INIT_ATOMIC : 0;

		*canary = ALIVE;
		released = 0;
		ops_done = 0;
		round_seed = tap_rand(&rs);
		/* Sometimes before any work, sometimes after all of it. */
		kill_at = (long)(tap_rand(&rs) % (NR_WORKERS * OPS + 1));
		use_confirm = rounds % 2;
		confirmed = 0;
		bad_init += percpu_ref_init(&ref, on_release, flags) != 0;
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
		bad_release += released != 1;
		bad_end += *canary != POISON || !percpu_ref_is_zero(&ref) ||
			   !percpu_ref_is_dying(&ref);
		percpu_ref_exit(&ref);
		rounds++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_barrier_wait(&start);
	for (int i = 0; i <= NR_WORKERS; i++)
		pthread_join(tid[i], NULL);
	tap_diag("%d rounds of %d workers x %d ops in %.2f s; the last put was a "
		 "worker's in %d",
		 rounds, NR_WORKERS, OPS, tap_now() - t0, released_by_worker);

	ok(rounds >= MIN_ROUNDS, "%d rounds", rounds);
	is(bad_init, 0, "every init succeeded");
	is(early, 0, "release never ran while a reference was held");
	is(bad_release, 0, "release ran exactly once in every round");
	is(bad_end, 0, "every round ended poisoned, zero and dying");
	is(confirm_bad, 0, "confirm ran with tryget_live failing, before release");
	is(live_after_kill, 0, "tryget_live after kill failed");
	is(live_after_confirm, 0, "no tryget_live started after confirm succeeded");

	if (strstr(pcpu_runtime(), "grace=readers")) {
		tap_skip("this kill waits for a parked reader (grace=readers)",
			 "kill returns while a loader is parked mid-loop");
	} else {
		int bad_park = 0, parked = park_rounds(&bad_park);

		is(parked, PARK_ROUNDS,
		   "kill returned while a loader was parked mid-loop, %d rounds",
		   PARK_ROUNDS);
		is(bad_park, 0, "release ran once, on the parked loader's last put");
	}
	free(canary);
	return tap_done();
}
