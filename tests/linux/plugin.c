/* SPDX-License-Identifier: MIT */
/*
 * A plugin: a module loaded with dlopen() after the program started,
 * defining static per-CPU variables (exported, and one static to this
 * file) and using them, and one of the program's, from its constructor.
 */
#include "plugin.h"
#include "sum.h"

DEFINE_PER_CPU(int64_t, plugin_events) = PLUGIN_EVENTS_INIT;
DEFINE_PER_CPU_ALIGNED(int, plugin_flags);
static DEFINE_PER_CPU(short, plugin_local) = PLUGIN_LOCAL_INIT;

int64_t plugin_ctor_read;

__attribute__((constructor)) static void plugin_start(void)
{
	this_cpu_inc(plugin_events);
	plugin_ctor_read = this_cpu_read(plugin_events);
	this_cpu_inc(host_events);
}

int64_t plugin_events_sum(void)
{
	return per_cpu_sum(plugin_events);
}

int64_t *plugin_events_ptr(int cpu)
{
	return per_cpu_ptr(&plugin_events, cpu);
}

short plugin_local_read(void)
{
	return this_cpu_read(plugin_local);
}
