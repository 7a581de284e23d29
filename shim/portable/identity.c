/* SPDX-License-Identifier: MIT */
#include "portable.h"

#include <pcpu.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/rseq.h>

#include "abi.h"
#include "counter_rules.h"
#include "cpus.h"

static int nr_cpus;
static char runtime_name[64];
static pthread_once_t identity_once = PTHREAD_ONCE_INIT;

/*
 * The portable library's inline path (pcpu/abi.h): this-CPU updates are
 * an atomic on the copy of the CPU that glibc's rseq area names, the same
 * CPU sched_getcpu() gives portable_this_cpu(), with no call.  Without an
 * area (glibc.pthread.rseq=0, qemu-user, valgrind) every update calls.
 * Counters, tree counters and refs keep their fields such that their
 * inline adds call here.
 */
static void identity_publish(void)
{
	long index = 0;

	if (__rseq_size)
		index = (long)__rseq_offset + (long)offsetof(struct rseq, cpu_id);
	abi_publish(&(struct pcpu_abi_process){
	    .mode = PCPU_ABI_ATOMIC,
	    .nr_units = (uint32_t)nr_cpus,
	    .stride = portable_stride,
	    .rseq_index = index,
	    .batch = counter_default_batch(nr_cpus),
	});
}

static void identity_init(void)
{
	nr_cpus = cpus_possible();
	identity_publish();
	snprintf(runtime_name, sizeof(runtime_name), "libpcpu-api %s (portable, cpus=%d)",
		 PCPU_VERSION, nr_cpus);
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
