/* SPDX-License-Identifier: MIT */
/*
 * Mode switches under load: 8 threads take and drop references at random
 * while another thread cycles switch_to_atomic_sync / switch_to_percpu.
 * Worker i then keeps exactly i + 1 references, and the count must be exact:
 * after kill, release runs on the last of those puts and not one earlier.
 * Several rounds, each ending with a reinit.  Then fork() while the
 * switches run: the child, alone with the ref, must be able to switch and
 * kill it (a switch in flight in the parent must not leave it locked).
 */
#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../utils/tap.h"

#define NR_WORKERS   8
#define MIN_SWITCHES 100
#define ROUNDS	     6
#define MAX_HELD     40
#define NR_FORKS     40

static struct percpu_ref ref;
static int released, stop, live_failed;
static double round_secs;

static void on_release(struct percpu_ref *r)
{
	(void)r;
	__atomic_fetch_add(&released, 1, __ATOMIC_SEQ_CST);
}

static void *worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	uint64_t rs = 0x51fc + id;
	unsigned long held = 0, want = id + 1;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint64_t r = tap_rand(&rs);
		unsigned long n = 1 + r / 8 % 4;

		switch (r % 8) {
		case 0:
			if (!percpu_ref_tryget_live(&ref))
				__atomic_fetch_add(&live_failed, 1, __ATOMIC_RELAXED);
			held++;
			break;
		case 1:
			if (!percpu_ref_tryget(&ref))
				__atomic_fetch_add(&live_failed, 1, __ATOMIC_RELAXED);
			held++;
			break;
		case 2:
		case 3:
			if (held + n <= MAX_HELD) {
				percpu_ref_get_many(&ref, n);
				held += n;
			}
			break;
		default:
			if (held) {
				n = 1 + r / 8 % held;
				percpu_ref_put_many(&ref, n);
				held -= n;
			}
		}
		if (r % 32 == 0)
			sched_yield();
	}
	if (held > want)
		percpu_ref_put_many(&ref, held - want);
	else if (held < want)
		percpu_ref_get_many(&ref, want - held);
	return NULL;
}

static void *switcher(void *arg)
{
	long *switches = arg;
	double t0 = tap_now();

	for (*switches = 0; *switches < MIN_SWITCHES || tap_now() - t0 < round_secs;
	     ++*switches) {
		percpu_ref_switch_to_atomic_sync(&ref);
		sched_yield();
		percpu_ref_switch_to_percpu(&ref);
		sched_yield();
	}
	return NULL;
}

/* The child of a fork under load: every state change must still work. */
static void forked_child(void)
{
	alarm(10); /* a ref left locked hangs: fail rather than wait */
	percpu_ref_switch_to_atomic_sync(&ref);
	percpu_ref_switch_to_percpu(&ref);
	percpu_ref_get(&ref);
	percpu_ref_put(&ref);
	percpu_ref_kill(&ref);
	_exit(percpu_ref_is_dying(&ref) ? 0 : 1);
}

static void fork_under_switches(void)
{
	pthread_t tid[NR_WORKERS], sw;
	struct timespec gap = {0, 200 * 1000};
	long switches;
	int bad = 0;

	stop = 0;
	for (uintptr_t i = 0; i < NR_WORKERS; i++)
		pthread_create(&tid[i], NULL, worker, (void *)i);
	pthread_create(&sw, NULL, switcher, &switches);
	for (int i = 0; i < NR_FORKS; i++) {
		int status;
		pid_t pid = fork();

		if (pid == 0)
			forked_child();
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			tap_diag("  fork %d: child %s", i,
				 pid < 0	       ? "not started"
				 : WIFSIGNALED(status) ? "killed (hung?)"
						       : "failed");
			bad++;
		}
		nanosleep(&gap, NULL);
	}
	pthread_join(sw, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NR_WORKERS; i++)
		pthread_join(tid[i], NULL);
	is(bad, 0, "%d children forked during switches could switch and kill the ref",
	   NR_FORKS);
}

int main(void)
{
	pthread_t tid[NR_WORKERS], sw;
	unsigned long expect = 0;
	int early = 0, late = 0;

	tap_start();
	round_secs = tap_seconds(0.1);
	for (unsigned long i = 0; i < NR_WORKERS; i++)
		expect += i + 1;
	is(percpu_ref_init(&ref, on_release, PERCPU_REF_ALLOW_REINIT), 0, "init");
	for (int round = 0; round < ROUNDS; round++) {
		long switches;

		stop = 0;
		released = 0;
		for (uintptr_t i = 0; i < NR_WORKERS; i++)
			pthread_create(&tid[i], NULL, worker, (void *)i);
		pthread_create(&sw, NULL, switcher, &switches);
		pthread_join(sw, NULL);
		__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
		for (int i = 0; i < NR_WORKERS; i++)
			pthread_join(tid[i], NULL);
		if (!round)
			tap_diag("%ld switch cycles under load", switches);

		/* Kill in either mode; the count is exact whatever the path. */
		if (round % 2)
			percpu_ref_switch_to_atomic_sync(&ref);
		percpu_ref_kill(&ref);
		for (unsigned long i = 1; i < expect; i++) {
			percpu_ref_put(&ref);
			early += released != 0;
		}
		late += percpu_ref_is_zero(&ref);
		percpu_ref_put(&ref);
		late += released != 1 || !percpu_ref_is_zero(&ref);
		percpu_ref_reinit(&ref);
		if (round % 2)
			percpu_ref_switch_to_percpu(&ref);
	}
	is(live_failed, 0, "tryget and tryget_live always succeeded while live");
	is(early, 0, "release never ran before the last reference went");
	is(late, 0, "the last put released, exactly once, in every round");
	fork_under_switches();
	percpu_ref_kill(&ref);
	for (unsigned long i = 0; i < expect; i++)
		percpu_ref_put(&ref);
	percpu_ref_exit(&ref);
	return tap_done();
}
