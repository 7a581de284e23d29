/* SPDX-License-Identifier: MIT */
#include "portable.h"

#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "cpus.h"

static int nr_cpus;
static char runtime_name[64];
static pthread_once_t identity_once = PTHREAD_ONCE_INIT;

static void identity_init(void)
{
	nr_cpus = cpus_possible();
	snprintf(runtime_name, sizeof(runtime_name),
		 "libpcpu-api %s (portable, cpus=%d)", PCPU_VERSION, nr_cpus);
}

int pcpu_nr_cpus(void)
{
	pthread_once(&identity_once, identity_init);
	return nr_cpus;
}

const char *pcpu_runtime(void)
{
	pthread_once(&identity_once, identity_init);
	return runtime_name;
}

int portable_this_cpu(void)
{
	int cpu = sched_getcpu();

	/* A CPU hot-added beyond the possible count folds onto an existing
	 * copy, and a failure lands on copy 0: locality may suffer, never
	 * correctness, since every update of a copy is atomic. */
	return cpu < 0 ? 0 : cpu % pcpu_nr_cpus();
}
