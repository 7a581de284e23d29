/* SPDX-License-Identifier: MIT */
/*
 * fork() while other threads update per-CPU data: the child (which has
 * only the forking thread) and the parent both keep updating, from the
 * main thread and from new threads, and both sum exactly.  In local mode the
 * child must get back the slots of the threads it does not have: with
 * PCPU_NR_SLOTS slots it can still run that many - 1 threads on owned slots
 * (checked by the internal test; here the sums must hold either way).
 */
#include <pcpu.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../utils/cpu_test.h"
#include "../utils/tap.h"

#define NR_BUSY		 3
#define NR_CHILD_THREADS 8
#define ADDS		 20000

static int64_t *busy_obj, *obj;
static int stop, started;

static void *busy(void *arg)
{
	uint64_t rng = (uintptr_t)arg;
	int64_t *done = arg;

	__atomic_fetch_add(&started, 1, __ATOMIC_RELAXED);
	*done = 0;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		pcpu_this_add(busy_obj, 3);
		*done += 3;
		if (!(*done & 1023))
			ct_hop(&rng);
	}
	return NULL;
}

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < ADDS; i++)
		pcpu_this_add(obj, 1);
	return NULL;
}

/* Main thread and NR_CHILD_THREADS threads add to obj; 0 if it sums. */
static int updates_sum(int64_t base)
{
	for (int i = 0; i < ADDS; i++)
		pcpu_this_add_return(obj, 1);
	ct_threads(NR_CHILD_THREADS, adder, NULL, 0);
	return pcpu_sum(obj) == base + (int64_t)(NR_CHILD_THREADS + 1) * ADDS;
}

int main(void)
{
	pthread_t t[NR_BUSY];
	int64_t done[NR_BUSY], want = 0;
	int status;
	pid_t pid;

	tap_start();
	if (!(busy_obj = pcpu_alloc(8, 0)) || !(obj = pcpu_alloc(8, 0)))
		tap_bail("pcpu_alloc failed");
	pcpu_this_add(obj, 5);
	for (int i = 0; i < NR_BUSY; i++)
		pthread_create(&t[i], NULL, busy, &done[i]);
	while (__atomic_load_n(&started, __ATOMIC_RELAXED) < NR_BUSY)
		;

	pid = fork();
	if (pid < 0)
		tap_bail("fork failed");
	if (pid == 0)
		_exit(updates_sum(5) ? 0 : 1);
	ok(updates_sum(5), "parent: adds after fork sum exactly");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "child: adds from its main thread and new threads sum exactly");

	/* A second generation forks from a child that has threads of its own. */
	pid = fork();
	if (pid == 0) {
		pid_t grandchild;

		if (!updates_sum(5 + (int64_t)(NR_CHILD_THREADS + 1) * ADDS))
			_exit(1);
		grandchild = fork();
		if (grandchild == 0)
			_exit(updates_sum(5 + 2 * (int64_t)(NR_CHILD_THREADS + 1) * ADDS)
				  ? 0
				  : 1);
		waitpid(grandchild, &status, 0);
		_exit(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 2);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "grandchild: forked from a child, still sums exactly");

	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NR_BUSY; i++) {
		pthread_join(t[i], NULL);
		want += done[i];
	}
	is(pcpu_sum(busy_obj), want,
	   "parent: threads running across the forks lost nothing");
	return tap_done();
}
