/* SPDX-License-Identifier: MIT */
#include "threads.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

static cpu_set_t initial_mask;
static int nr_mask_cpus;
static pthread_once_t mask_once = PTHREAD_ONCE_INIT;

static void mask_read(void)
{
	if (sched_getaffinity(0, sizeof(initial_mask), &initial_mask)) {
		CPU_ZERO(&initial_mask);
		CPU_SET(0, &initial_mask);
	}
	nr_mask_cpus = CPU_COUNT(&initial_mask);
}

int threads_cpus(void)
{
	pthread_once(&mask_once, mask_read);
	return nr_mask_cpus;
}

static int mask_cpu(int i)
{
	int want = i % threads_cpus();

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &initial_mask) && want-- == 0)
			return cpu;
	return 0;
}

void threads_pin(int i)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(mask_cpu(i), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

struct run {
	pthread_barrier_t start;
	thread_body *body;
	void *arg;
	uint64_t iters;
};

struct worker {
	struct run *run;
	int tid;
	uint64_t start, end; /* taken by the worker: the main thread may be
			      * scheduled out when the barrier opens */
};

static void *worker_main(void *p)
{
	struct worker *w = p;

	threads_pin(w->tid);
	pthread_barrier_wait(&w->run->start);
	w->start = stats_now_ns();
	w->run->body(w->run->arg, w->tid, w->run->iters);
	w->end = stats_now_ns();
	return NULL;
}

double threads_run(int n, thread_body *body, void *arg, uint64_t iters)
{
	struct run run = {.body = body, .arg = arg, .iters = iters};
	pthread_t *tid = calloc((size_t)n, sizeof(*tid));
	struct worker *w = calloc((size_t)n, sizeof(*w));
	double sum = 0;
	int started = 0;

	if (!tid || !w)
		goto fail;
	pthread_barrier_init(&run.start, NULL, (unsigned)n + 1);
	for (; started < n; started++) {
		w[started] = (struct worker){.run = &run, .tid = started};
		if (pthread_create(&tid[started], NULL, worker_main, &w[started]))
			abort(); /* the barrier would wait forever */
	}
	pthread_barrier_wait(&run.start);
	for (int i = 0; i < n; i++) {
		pthread_join(tid[i], NULL);
		sum += (double)(w[i].end - w[i].start);
	}
	pthread_barrier_destroy(&run.start);
	free(tid);
	free(w);
	return sum / n;
fail:
	free(tid);
	free(w);
	return -1;
}

struct measure {
	int n;
	thread_body *body;
	void *arg;
	uint64_t iters;
	uint64_t *total;
};

static double measure_once(void *p)
{
	struct measure *m = p;
	double ns = threads_run(m->n, m->body, m->arg, m->iters);

	if (m->total)
		*m->total += m->iters * (uint64_t)m->n;
	return ns < 0 ? -1 : ns / (double)m->iters;
}

/* Warm-up: grow the run until it lasts about target_ms.  0, or -1. */
static int measure_warm(struct measure *m, double target_ms)
{
	double target_ns = target_ms * 1e6;

	for (int i = 0; i < 30; i++) {
		double ns = measure_once(m) * (double)m->iters;

		if (ns < 0)
			return -1;
		if (ns >= target_ns / 2)
			break;
		double grow = ns > 0 ? target_ns / ns : 100;
		m->iters = (uint64_t)((double)m->iters * (grow > 100 ? 100 : grow)) + 1;
	}
	return 0;
}

int threads_measure(int n, thread_body *body, void *arg, double target_ms, unsigned reps,
		    struct sample *out, uint64_t *total_ops)
{
	struct measure m = {n, body, arg, 1000, total_ops};

	if (measure_warm(&m, target_ms))
		return -1;
	return stats_repeat(measure_once, &m, 1, reps, out);
}

int threads_measure_rounds(const struct threads_job *jobs, unsigned k, double target_ms,
			   unsigned reps, struct sample *out, uint64_t *totals)
{
	struct measure *m = calloc(k ? k : 1, sizeof(*m));
	void **mp = calloc(k ? k : 1, sizeof(*mp));
	int err = !m || !mp ? -1 : 0;

	for (unsigned i = 0; !err && i < k; i++) {
		m[i] = (struct measure){jobs[i].n, jobs[i].body, jobs[i].arg, 1000,
					&totals[i]};
		mp[i] = &m[i];
		err = measure_warm(&m[i], target_ms);
	}
	if (!err)
		err = stats_repeat_rounds(measure_once, mp, k, 1, reps, out);
	free(mp);
	free(m);
	return err;
}
