/* SPDX-License-Identifier: MIT */
/* runtime - start-up and exit of the engine (see runtime.h). */
#include "runtime.h"

#include <errno.h>
#include <pcpu.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "abi.h"
#include "arena/arena.h"
#include "debug/config.h"
#include "counter_rules.h"
#include "cpu/cpu.h"
#include "diag.h"
#include "debug/exit_stats.h"
#include "debug/leaks.h"
#include "memory_ops.h"

/*
 * The private jemalloc's options, which it reads in its own constructor
 * (that one runs even in a program that never calls the API): no thread
 * caches.  Every allocation the runtime makes is a slow path (chunks,
 * their metadata, reports) and the hot ones bypass the caches already;
 * with them on, jemalloc's start-up alone maps 6 MB more.
 */
const char *malloc_conf = "tcache:false";

int runtime_ready;
static int runtime_error;
static pthread_once_t runtime_once = PTHREAD_ONCE_INIT;
static pthread_once_t config_once = PTHREAD_ONCE_INIT;
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
	    .flags = (cpu_local_rseq ? PCPU_ABI_LOCAL_RSEQ : 0) |
		     (cpu_gate_fenced ? PCPU_ABI_GATE_FENCE : 0),
	    .stride = arena_unit_size,
	    .rseq_cs = cpu_rseq_cs_off,
	    .rseq_index = cpu_rseq_index_off,
	    .batch = counter_default_batch(cpu_nr_units),
	});
}

static void runtime_setup(void)
{
	pthread_once(&config_once, config_read);
	if (cpu_init() || arena_init(cpu_nr_units)) {
		runtime_error = -ENOMEM;
		return;
	}
	if (config.debug_leaks)
		leaks_init();
	runtime_publish();
	snprintf(runtime_name, sizeof(runtime_name), "libpcpu %s (mode=%s, cpus=%d%s)",
		 PCPU_VERSION, cpu_mode_name(), cpu_nr_units,
		 cpu_mode != CPU_MODE_LOCAL ? ""
		 : cpu_local_rseq	    ? ", grace=rseq"
					    : ", grace=readers");
	if (config.verbose)
		fprintf(stderr, "libpcpu: %s\n", runtime_name);
	__atomic_store_n(&runtime_ready, 1, __ATOMIC_RELEASE);
}

int runtime_init_slow(void)
{
	int cancel;

	/* Set-up reads files (cancellation points) and cannot run twice: a
	 * thread cancelled half-way would leave it to be redone on top. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	pthread_once(&runtime_once, runtime_setup);
	pthread_setcancelstate(cancel, NULL);
	return runtime_error;
}

void runtime_init_or_die(void)
{
	if (runtime_init_slow())
		diag_die("init", NULL,
			 "cannot set up the per-CPU runtime (out of memory)");
}

__attribute__((constructor)) static void runtime_constructor(void)
{
	pthread_once(&config_once, config_read);
	if (config.verbose)
		runtime_init_slow();
}

/*
 * Reports only: nothing is torn down.  The destructors of libraries
 * initialised before ours run afterwards, other threads may still be
 * running, and any of them may still use counters and per-CPU memory.
 */
__attribute__((destructor)) static void runtime_destructor(void)
{
	exit_stats_print();
	/* Never set up: nothing was allocated, nothing leaked. */
	if (config.debug_leaks && __atomic_load_n(&runtime_ready, __ATOMIC_ACQUIRE))
		leaks_report(stderr);
}

const char *runtime_describe(void)
{
	runtime_init();
	return runtime_name;
}

int runtime_stats_print(FILE *f)
{
	struct pcpu_stats now;
	int err;

	arena_stats(&now);
	err = memory_stats_print_summary(f, runtime_name, &now);
	return err ? err : arena_stats_print(f);
}
