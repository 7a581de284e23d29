/* SPDX-License-Identifier: MIT */
#include "early_lib.h"

#include <pcpu.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct early_result early_result;
int64_t *early_obj;
static struct percpu_counter early_counter;

/* Each thread's first API calls; ok if its own counter and object agree. */
static void *early_thread(void *arg)
{
	struct percpu_counter mine;
	int64_t *obj = pcpu_alloc(sizeof(*obj), 0);
	int good = obj != NULL && !percpu_counter_init(&mine, 0);

	(void)arg;
	for (int i = 0; good && i < EARLY_ADDS; i++) {
		percpu_counter_inc(&early_counter);
		percpu_counter_inc(&mine);
		pcpu_this_add(obj, 2);
		pcpu_this_add(early_obj, 1);
	}
	if (good) {
		good = percpu_counter_sum(&mine) == EARLY_ADDS &&
		       pcpu_sum(obj) == 2 * EARLY_ADDS;
		percpu_counter_destroy(&mine);
	}
	pcpu_free(obj);
	if (good)
		__atomic_fetch_add(&early_result.threads_ok, 1, __ATOMIC_RELAXED);
	return NULL;
}

__attribute__((constructor)) static void early_init(void)
{
	pthread_t t[EARLY_THREADS];
	int n = 0;

	/* The threads race to be first into the runtime. */
	early_obj = pcpu_alloc(sizeof(*early_obj), 0);
	early_result.alloc_ok = early_obj != NULL;
	if (!early_obj || percpu_counter_init(&early_counter, 0))
		return;
	while (n < EARLY_THREADS && !pthread_create(&t[n], NULL, early_thread, NULL))
		n++;
	while (n > 0)
		pthread_join(t[--n], NULL);
	snprintf(early_result.runtime, sizeof(early_result.runtime), "%s",
		 pcpu_runtime());
	early_result.nr_cpus = pcpu_nr_cpus();
	early_result.sum = percpu_counter_sum(&early_counter);
	early_result.obj_sum = pcpu_sum(early_obj);
}

static void early_say(const char *msg)
{
	if (write(STDERR_FILENO, msg, strlen(msg)) < 0)
		_exit(3);
}

/*
 * After the runtime's destructor when libpcpu.so is preloaded: the
 * counters and the arena must still work.  A failure exits with status 3,
 * which the test harness sees.
 */
__attribute__((destructor)) static void early_fini(void)
{
	int64_t *obj;

	if (!early_obj)
		return;
	percpu_counter_add(&early_counter, 5);
	pcpu_this_add(early_obj, 5);
	obj = pcpu_alloc(64, 0);
	if (!obj) {
		early_say(
		    "early_lib: destructor: pcpu_alloc() failed after exit began\n");
		_exit(3);
	}
	if (percpu_counter_sum(&early_counter) != early_result.sum + 5 ||
	    pcpu_sum(early_obj) != early_result.obj_sum + 5) {
		early_say("early_lib: destructor: counters wrong after exit began\n");
		_exit(3);
	}
	pcpu_free(obj);
	pcpu_free(early_obj);
	percpu_counter_destroy(&early_counter);
	early_say("early_lib: destructor ok\n");
}
