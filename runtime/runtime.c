/* SPDX-License-Identifier: MIT */
#include "runtime.h"

#include <pcpu.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "abi.h"
#include "arena.h"
#include "config.h"
#include "counter_rules.h"
#include "cpu.h"
#include "diag.h"
#include "exit_stats.h"
#include "leaks.h"

int runtime_ready;
static pthread_once_t runtime_once = PTHREAD_ONCE_INIT;
static char runtime_name[96];

/* What the inline paths of <pcpu.h> need to reach this runtime's units. */
static void runtime_publish(void)
{
	static const uint32_t modes[] = {
	    [CPU_MODE_RSEQ] = PCPU_ABI_RSEQ,
	    [CPU_MODE_ATOMIC] = PCPU_ABI_ATOMIC,
	    [CPU_MODE_LOCAL] = PCPU_ABI_LOCAL,
	};

	abi_publish(&(struct pcpu_abi_process){
	    .mode = modes[cpu_mode],
	    .nr_units = (uint32_t)cpu_nr_units,
	    .flags = cpu_local_rseq ? PCPU_ABI_LOCAL_RSEQ : 0,
	    .stride = arena_unit_size,
	    .rseq_cs = cpu_rseq_cs_off,
	    .rseq_index = cpu_rseq_index_off,
	    .batch = counter_default_batch(cpu_nr_units),
	});
}

static void runtime_setup(void)
{
	config_read();
	if (cpu_init() || arena_init(cpu_nr_units))
		diag_die("init", NULL, "cannot set up the per-CPU runtime");
	if (config.debug_leaks)
		leaks_init();
	runtime_publish();
	snprintf(runtime_name, sizeof(runtime_name), "libpcpu %s (mode=%s, cpus=%d%s)",
		 PCPU_VERSION, cpu_mode_name(), cpu_nr_units,
		 cpu_mode != CPU_MODE_LOCAL ? "" :
		 cpu_local_rseq ? ", grace=rseq" : ", grace=readers");
	if (config.verbose)
		fprintf(stderr, "libpcpu: %s\n", runtime_name);
	__atomic_store_n(&runtime_ready, 1, __ATOMIC_RELEASE);
}

void runtime_init_slow(void)
{
	pthread_once(&runtime_once, runtime_setup);
}

__attribute__((constructor)) static void runtime_constructor(void)
{
	runtime_init();
}

/*
 * Reports only: nothing is torn down.  The destructors of libraries
 * initialised before ours run afterwards, other threads may still be
 * running, and any of them may still use counters and per-CPU memory.
 */
__attribute__((destructor)) static void runtime_destructor(void)
{
	if (!__atomic_load_n(&runtime_ready, __ATOMIC_ACQUIRE))
		return;
	exit_stats_print();
	if (config.debug_leaks)
		leaks_report(stderr);
}

const char *pcpu_runtime(void)
{
	runtime_init();
	return runtime_name;
}

int pcpu_nr_cpus(void)
{
	runtime_init();
	return cpu_nr_units;
}
