/* SPDX-License-Identifier: MIT */
/*
 * this-CPU adds under migration: 16 threads add random amounts to a few
 * per-CPU objects with pcpu_this_add() and pcpu_this_add_return() while
 * sched_setaffinity() moves them between CPUs; every sum must then equal
 * the model exactly.  Runs for PCPU_TEST_SECONDS (default 2 s).
 */
#include <pcpu.h>
#include <stdlib.h>

#include "../utils/cpu_test.h"
#include "../utils/tap.h"

#define NR_THREADS 16
#define NR_OBJECTS 4

static int64_t *objects[NR_OBJECTS];
static double stop_at;

struct worker {
	uint64_t rng;
	int64_t model[NR_OBJECTS];
	uint64_t ops;
};

static void *worker(void *arg)
{
	struct worker *w = arg;

	/* At least one round each, however late the thread starts. */
	do {
		for (int i = 0; i < 256; i++) {
			uint64_t r = tap_rand(&w->rng);
			int obj = (int)(r % NR_OBJECTS);
			int64_t v = (int64_t)((r >> 8) % 2001) - 1000;

			if (r & (1u << 30))
				pcpu_this_add_return(objects[obj], v);
			else
				pcpu_this_add(objects[obj], v);
			w->model[obj] += v;
		}
		w->ops += 256;
		ct_hop(&w->rng);
	} while (tap_now() < stop_at);
	return NULL;
}

/* Single thread, no other writer: the value add_return reports is the
 * value of one copy right after. */
static void add_return_names_a_copy(void)
{
	int64_t *p = pcpu_alloc(sizeof(*p), 0);
	uint64_t rng = 7;
	int bad = 0;

	for (int i = 0; i < 1000; i++) {
		int64_t r = pcpu_this_add_return(p, (int64_t)(tap_rand(&rng) % 100) + 1);
		bool found = false;

		for (int cpu = 0; cpu < pcpu_nr_cpus(); cpu++)
			found |= *(int64_t *)pcpu_ptr(p, cpu) == r;
		bad += !found;
		if (i % 100 == 99)
			ct_hop(&rng);
	}
	is(bad, 0, "pcpu_this_add_return() returns the new value of a copy");
	pcpu_free(p);
}

int main(void)
{
	struct worker w[NR_THREADS] = {0};
	uint64_t ops = 0;

	tap_start();
	add_return_names_a_copy();

	for (int i = 0; i < NR_OBJECTS; i++)
		if (!(objects[i] = pcpu_alloc(sizeof(int64_t), 0)))
			tap_bail("pcpu_alloc failed");
	for (int i = 0; i < NR_THREADS; i++)
		w[i].rng = 0x1234567ull * (uint64_t)(i + 1);
	stop_at = tap_now() + tap_seconds(2.0);
	ct_threads(NR_THREADS, worker, w, sizeof(w[0]));

	for (int obj = 0; obj < NR_OBJECTS; obj++) {
		int64_t want = 0;

		for (int i = 0; i < NR_THREADS; i++)
			want += w[i].model[obj];
		is(pcpu_sum(objects[obj]), want, "object %d: sum equals the model", obj);
	}
	for (int i = 0; i < NR_THREADS; i++)
		ops += w[i].ops;
	tap_diag("%llu adds by %d threads", (unsigned long long)ops, NR_THREADS);
	for (int i = 0; i < NR_OBJECTS; i++)
		pcpu_free(objects[i]);
	return tap_done();
}
