/* SPDX-License-Identifier: MIT */
/*
 * refkill - how long percpu_ref_kill() takes while pinned threads hammer
 * the ref with get+put: one loader on each of max_threads CPUs, then four
 * on each (oversubscribed: a loader is preempted mid-get or mid-put far
 * more often, and a kill that waits for it waits for the scheduler).  Each
 * loader holds one reference of its own for the whole run, so the count
 * cannot reach zero under it; the release must then run exactly once,
 * after the last loader's put.
 */
#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"
#include "threads.h"

struct kill_run {
	struct percpu_ref ref;
	int stop;
	int started; /* loaders running, for their CPU numbers */
	int holding; /* loaders holding their own reference */
	int released;
	pthread_t *loader;
	int nr_loaders;
	int nr_cpus; /* loaders are spread over the first nr_cpus CPUs */
};

static struct kill_run *run_of(struct percpu_ref *ref)
{
	return (struct kill_run *)ref;
}

static void kill_release(struct percpu_ref *ref)
{
	__atomic_fetch_add(&run_of(ref)->released, 1, __ATOMIC_RELAXED);
}

static void *loader_main(void *arg)
{
	struct kill_run *k = arg;
	int me = __atomic_fetch_add(&k->started, 1, __ATOMIC_RELAXED);

	threads_pin(me % k->nr_cpus);
	percpu_ref_get(&k->ref);
	__atomic_fetch_add(&k->holding, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&k->stop, __ATOMIC_RELAXED)) {
		for (int i = 0; i < 64; i++) {
			percpu_ref_get(&k->ref);
			percpu_ref_put(&k->ref);
		}
	}
	percpu_ref_put(&k->ref);
	return NULL;
}

static double time_kill(void *arg)
{
	struct kill_run *k = arg;
	struct timespec settle = {0, 5 * 1000 * 1000};
	uint64_t t0, t1;

	k->stop = k->started = k->holding = k->released = 0;
	if (percpu_ref_init(&k->ref, kill_release, 0))
		return -1;
	for (int i = 0; i < k->nr_loaders; i++)
		if (pthread_create(&k->loader[i], NULL, loader_main, k))
			abort();
	/* kill only once every loader holds its reference, else its first
	 * get could come after the release */
	while (__atomic_load_n(&k->holding, __ATOMIC_ACQUIRE) < k->nr_loaders)
		sched_yield();
	nanosleep(&settle, NULL);
	t0 = stats_now_ns();
	percpu_ref_kill(&k->ref);
	t1 = stats_now_ns();
	__atomic_store_n(&k->stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < k->nr_loaders; i++)
		pthread_join(k->loader[i], NULL);
	if (k->released != 1)
		fprintf(stderr, "pcpu-bench: WARNING: release ran %d times\n",
			k->released);
	percpu_ref_exit(&k->ref);
	return (double)(t1 - t0) / 1e3;
}

static void kill_row(struct bench *b, struct kill_run *k, int per_cpu)
{
	char param[REPORT_STR];
	struct sample s;

	k->nr_loaders = per_cpu * k->nr_cpus;
	snprintf(param, sizeof(param), "%d loaders", k->nr_loaders);
	stats_repeat(time_kill, k, 1, b->reps, &s);
	bench_record(b, "ref-kill", "percpu_ref_kill", "libpcpu", k->nr_cpus, param, "us",
		     s, NULL);
}

void bench_ref_kill(struct bench *b)
{
	struct kill_run *k = calloc(1, sizeof(*k));

	if (!k)
		exit(1);
	k->nr_cpus = b->max_threads;
	k->loader = calloc(4 * (size_t)k->nr_cpus, sizeof(*k->loader));
	if (!k->loader)
		exit(1);
	/* every CPU busy with a loader: the killer competes for one of them */
	kill_row(b, k, 1);
	kill_row(b, k, 4);
	free(k->loader);
	free(k);
}
