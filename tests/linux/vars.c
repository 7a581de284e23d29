/* SPDX-License-Identifier: MIT */
/*
 * A shared library defining static per-CPU variables, and using one from
 * its constructor: the earliest a module can.  The constructor also uses
 * one its executable defines: ELF runs it before any of the executable's
 * constructors, so before the executable registered its section.
 */
#include "vars.h"

#include "sum.h"

DEFINE_PER_CPU(int64_t, lib_events) = LIB_EVENTS_INIT;
DEFINE_PER_CPU_SHARED_ALIGNED(unsigned int, lib_hits);
DEFINE_PER_CPU(int64_t, lib_plain) = LIB_PLAIN_INIT;

int64_t lib_ctor_read, lib_ctor_exe_read;

__attribute__((constructor)) static void lib_start(void)
{
	this_cpu_inc(lib_events);
	lib_ctor_read = this_cpu_read(lib_events);
	this_cpu_add(exe_events, 100);
	lib_ctor_exe_read = this_cpu_read(exe_events);
}

int64_t lib_events_sum(void)
{
	return per_cpu_sum(lib_events);
}

int64_t *lib_events_ptr(int cpu)
{
	return per_cpu_ptr(&lib_events, cpu);
}

int64_t *lib_plain_ptr(int cpu)
{
	return per_cpu_ptr(&lib_plain, cpu);
}

unsigned int lib_hits_sum(void)
{
	return per_cpu_sum(lib_hits);
}

void lib_hit(void)
{
	__this_cpu_inc(lib_hits);
}
