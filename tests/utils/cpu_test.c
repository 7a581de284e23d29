/* SPDX-License-Identifier: MIT */
#include "cpu_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "tap.h"

static cpu_set_t ct_allowed;
static int ct_nr_allowed = -1;
static pthread_once_t ct_once = PTHREAD_ONCE_INIT;

static void ct_read_allowed(void)
{
	if (sched_getaffinity(0, sizeof(ct_allowed), &ct_allowed))
		CPU_ZERO(&ct_allowed);
	ct_nr_allowed = CPU_COUNT(&ct_allowed);
}

void ct_hop(uint64_t *rng)
{
	cpu_set_t one;
	int pick;

	pthread_once(&ct_once, ct_read_allowed);
	if (ct_nr_allowed < 2)
		return;
	pick = (int)(tap_rand(rng) % (uint64_t)ct_nr_allowed);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &ct_allowed) && pick-- == 0) {
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			sched_setaffinity(0, sizeof(one), &one);
			return;
		}
}

void ct_threads(int n, void *(*fn)(void *), void *arg, size_t size)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));

	if (!t)
		tap_bail("out of memory");
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, (char *)arg + (size_t)i * size))
			tap_bail("pthread_create failed");
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
}

long ct_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}
