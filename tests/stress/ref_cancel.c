/* SPDX-License-Identifier: MIT */
/*
 * pthread_cancel() against percpu_ref's state changes (issue 15, item 2).
 *
 * Loader threads take and drop references while a victim thread kills,
 * resurrects and switches the ref without end, with a cancellation point
 * of its own between the calls; main cancels the victim at a random
 * moment, then forks and waits for the child, again and again.  Where the
 * switch waits for readers (atomic mode, local mode without rseq) it
 * sleeps, and a sleep is a cancellation point: a victim cancelled there
 * would leave the ref locked and fork() waiting for it.  So every fork and
 * the final kill must complete: a watchdog (alarm) fails the test if one
 * does not.
 */
#include <pcpu.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../utils/tap.h"

#define NR_LOADERS 3

static struct percpu_ref ref;
static int stop, released;
static const char *stage = "start";

static void on_release(struct percpu_ref *r)
{
	(void)r;
	__atomic_fetch_add(&released, 1, __ATOMIC_SEQ_CST);
}

static void on_alarm(int sig)
{
	char msg[160];
	int n =
	    snprintf(msg, sizeof(msg), "not ok - wedged at %s (signal %d)\n", stage, sig);

	if (write(STDOUT_FILENO, msg, (size_t)n) < 0)
		_exit(2);
	_exit(1);
}

static void *loader(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		percpu_ref_get(&ref);
		percpu_ref_put(&ref);
	}
	return NULL;
}

static void *victim(void *arg)
{
	(void)arg;
	for (;;) {
		percpu_ref_kill(&ref);
		percpu_ref_resurrect(&ref);
		pthread_testcancel();
		percpu_ref_switch_to_atomic_sync(&ref);
		percpu_ref_switch_to_percpu(&ref);
		pthread_testcancel();
	}
	return NULL;
}

int main(void)
{
	pthread_t loaders[NR_LOADERS], v;
	uint64_t seed = (uint64_t)time(NULL);
	double end;
	int rounds = 0, forks_ok = 0;

	tap_start();
	signal(SIGALRM, on_alarm);
	ok(!percpu_ref_init(&ref, on_release, 0), "init");
	/* Main's own reference: resurrect always finds the ref unreleased. */
	percpu_ref_get(&ref);
	for (int i = 0; i < NR_LOADERS; i++)
		pthread_create(&loaders[i], NULL, loader, NULL);
	end = tap_now() + tap_seconds(1.0);
	do {
		struct timespec nap = {0, (long)(tap_rand(&seed) % 2000000)};
		pid_t pid;
		int status;

		alarm(10);
		stage = "the cancelled victim's join";
		pthread_create(&v, NULL, victim, NULL);
		nanosleep(&nap, NULL);
		pthread_cancel(v);
		pthread_join(v, NULL);
		stage = "fork()";
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			forks_ok++;
		rounds++;
	} while (tap_now() < end);
	is(forks_ok, rounds, "fork() after cancelling a thread in kill/switch, %d rounds",
	   rounds);
	stage = "the final kill";
	/* The victim may have been cancelled between kill and resurrect. */
	if (percpu_ref_is_dying(&ref))
		percpu_ref_resurrect(&ref);
	percpu_ref_kill(&ref);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NR_LOADERS; i++)
		pthread_join(loaders[i], NULL);
	alarm(0);
	ok(!__atomic_load_n(&released, __ATOMIC_SEQ_CST), "main's reference holds it");
	percpu_ref_put(&ref);
	is(__atomic_load_n(&released, __ATOMIC_SEQ_CST), 1,
	   "released once, by the last put");
	percpu_ref_exit(&ref);
	return tap_done();
}
