/* SPDX-License-Identifier: MIT */
/*
 * demo - a small "server" instrumented with libpcpu, the program `make demo`
 * runs twice: linked with libpcpu-api as built, then with libpcpu.so
 * preloaded.  The application is the same binary both times; only the
 * library that answers changes.
 *
 * Eight worker threads serve a fixed, seeded stream of requests from
 * several tenants.  They count requests and bytes in percpu_counters, each
 * tenant's usage in a percpu_counter_tree (the heaviest tenant is found
 * with select_max), keep a per-CPU latency histogram made with pcpu_alloc,
 * enforce a quota with percpu_counter_limited_add, and hold a percpu_ref on
 * the configuration object they read, which the main thread replaces
 * while they run.
 *
 * Lines starting with "result:" depend only on the request stream, so they
 * must be identical whichever library serves the API; the others show what
 * changed (the runtime, the copies, the time).
 */
#include <inttypes.h>
#include <pcpu.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { WORKERS = 8, TENANTS = 6, BUCKETS = 8, BYTES_BATCH = 1 << 16 };

struct config {
	struct percpu_ref ref;
	int generation;
};

static struct percpu_counter requests, bytes, quota;
static struct percpu_counter_tree usage[TENANTS];
static int64_t *histogram; /* per-CPU: BUCKETS int64_t */
static struct config *current;
static pthread_rwlock_t current_lock = PTHREAD_RWLOCK_INITIALIZER;
static int64_t configs_released;
static long per_worker = 200000;

static void config_release(struct percpu_ref *ref)
{
	struct config *cfg = (struct config *)ref;

	__atomic_fetch_add(&configs_released, 1, __ATOMIC_RELAXED);
	percpu_ref_exit(&cfg->ref);
	free(cfg);
}

static struct config *config_new(int generation)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg || percpu_ref_init(&cfg->ref, config_release, 0)) {
		perror("demo: config");
		exit(1);
	}
	cfg->generation = generation;
	return cfg;
}

/* The reader side: a reference on whatever configuration is current. */
static struct config *config_get(void)
{
	struct config *cfg;

	pthread_rwlock_rdlock(&current_lock);
	cfg = current;
	percpu_ref_get(&cfg->ref);
	pthread_rwlock_unlock(&current_lock);
	return cfg;
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *worker(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1);
	struct config *cfg = config_get();

	for (long i = 0; i < per_worker; i++) {
		uint64_t r = next_rand(&seed);
		unsigned tenant = (unsigned)(r % TENANTS);
		int64_t size = 64 + (int64_t)((r >> 8) % 1400) * (tenant + 1);
		unsigned bucket = (unsigned)((r >> 24) % BUCKETS);

		if (i % 4096 == 0) {
			percpu_ref_put(&cfg->ref);
			cfg = config_get();
		}
		percpu_counter_inc(&requests);
		/* Byte counts take a batch their sizes fit in, as the
		 * kernel's byte counters do (a request is 64 to 8,500
		 * bytes: with the default batch every add would fold). */
		percpu_counter_add_batch(&bytes, size, BYTES_BATCH);
		percpu_counter_tree_add(&usage[tenant], size);
		pcpu_this_add(&histogram[bucket], 1);
		/* A quota of one million "credits": refused requests are not
		 * charged, and the total can never pass it. */
		percpu_counter_limited_add(&quota, 1000000, (int64_t)(r >> 40) % 8 + 1);
	}
	percpu_ref_put(&cfg->ref);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	pthread_t tid[WORKERS];
	struct percpu_counter_tree *list[TENANTS];
	struct pcpu_stats st;
	int generation = 0;

	if (argc > 1)
		per_worker = atol(argv[1]);
	printf("runtime:   %s\n", pcpu_runtime());
	printf("copies:    %d per-CPU copies of every object\n", pcpu_nr_cpus());

	if (percpu_counter_init(&requests, 0) || percpu_counter_init(&bytes, 0) ||
	    percpu_counter_init(&quota, 0) ||
	    percpu_counter_tree_init_many(usage, TENANTS, BYTES_BATCH)) {
		perror("demo: counters");
		return 1;
	}
	histogram = pcpu_alloc(BUCKETS * sizeof(int64_t), 64);
	if (!histogram) {
		perror("demo: pcpu_alloc");
		return 1;
	}
	current = config_new(++generation);
	printf("layout:    histogram copies at cpu0=%p cpu1=%p\n", pcpu_ptr(histogram, 0),
	       pcpu_ptr(histogram, 1));

	double start = now();
	for (uintptr_t i = 0; i < WORKERS; i++)
		pthread_create(&tid[i], NULL, worker, (void *)i);
	/* Replace the configuration while the workers read it: the old one
	 * is released once the last worker drops it. */
	for (int k = 0; k < 20; k++) {
		struct config *old, *cfg = config_new(++generation);

		pthread_rwlock_wrlock(&current_lock);
		old = current;
		current = cfg;
		pthread_rwlock_unlock(&current_lock);
		percpu_ref_kill(&old->ref);
		nanosleep(&(struct timespec){0, 2000000}, NULL);
	}
	for (int i = 0; i < WORKERS; i++)
		pthread_join(tid[i], NULL);
	double elapsed = now() - start;

	for (int t = 0; t < TENANTS; t++)
		list[t] = &usage[t];
	unsigned nr_precise;
	int heaviest = percpu_counter_tree_select_max(list, TENANTS, &nr_precise);

	printf("result:    requests %" PRId64 ", bytes %" PRId64 "\n",
	       percpu_counter_sum(&requests), percpu_counter_sum(&bytes));
	printf("result:    quota charged %" PRId64 " of 1000000\n",
	       percpu_counter_sum(&quota));
	for (int t = 0; t < TENANTS; t++)
		printf("result:    tenant %d used %ld bytes\n", t,
		       percpu_counter_tree_precise_sum(&usage[t]));
	printf("result:    heaviest tenant %d\n", heaviest);
	printf("result:    histogram");
	for (int b = 0; b < BUCKETS; b++)
		printf(" %" PRId64, pcpu_sum(&histogram[b]));
	printf("\n");
	printf("result:    configurations released while running: %" PRId64 " of %d\n",
	       __atomic_load_n(&configs_released, __ATOMIC_RELAXED), generation - 1);

	unsigned long under = 0, over = 0;

	percpu_counter_tree_approximate_accuracy_range(&usage[heaviest], &under, &over);
	printf("accuracy:  fast read of requests %" PRId64 "; tenant %d approximate %ld "
	       "(exact within -%lu/+%lu); select_max took %u precise sums\n",
	       percpu_counter_read(&requests), heaviest,
	       percpu_counter_tree_approximate_sum(&usage[heaviest]), over, under,
	       nr_precise);
	pcpu_stats(&st, sizeof(st));
	printf("memory:    %" PRIu64 " live objects, %" PRIu64 " bytes per CPU, %" PRIu64
	       " bytes reserved, %" PRIu64 " chunks\n",
	       st.nr_alloc, st.bytes_used, st.bytes_reserved, st.nr_chunks);
	printf("time:      %.3f s for %ld requests on %d threads\n", elapsed,
	       per_worker * WORKERS, WORKERS);

	percpu_ref_kill(&current->ref);
	pcpu_free(histogram);
	percpu_counter_tree_destroy_many(usage, TENANTS);
	percpu_counter_destroy(&quota);
	percpu_counter_destroy(&bytes);
	percpu_counter_destroy(&requests);
	return 0;
}
