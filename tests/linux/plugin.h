/* SPDX-License-Identifier: MIT */
/*
 * The interface between tests/linux/plugin.so, a module that
 * tests/linux/dlopen loads with dlopen(), and that program.  The plugin's
 * functions are reached through dlsym(); the program's variable through
 * DECLARE_PER_CPU (the program exports its symbols).
 */
#ifndef PCPU_TESTS_LINUX_PLUGIN_H
#define PCPU_TESTS_LINUX_PLUGIN_H

#include <pcpu/linux.h>

#define PLUGIN_EVENTS_INIT 5
#define PLUGIN_LOCAL_INIT  9

/* The program's; the plugin's constructor adds 1 to it. */
DECLARE_PER_CPU(int64_t, host_events);

/* The plugin's: plugin_events = PLUGIN_EVENTS_INIT, which its constructor
 * increments; plugin_flags, cache-line aligned. */
DECLARE_PER_CPU(int64_t, plugin_events);
DECLARE_PER_CPU_ALIGNED(int, plugin_flags);

/* What the plugin's functions do, from its side: the sum of its copies of
 * plugin_events, the address of one, this_cpu_read() of its file-scope
 * static variable (PLUGIN_LOCAL_INIT), and this_cpu_read(plugin_events)
 * in its constructor after the increment. */
typedef int64_t plugin_sum_fn(void);
typedef int64_t *plugin_ptr_fn(int cpu);
typedef short plugin_local_fn(void);
plugin_sum_fn plugin_events_sum;
plugin_ptr_fn plugin_events_ptr;
plugin_local_fn plugin_local_read;
extern int64_t plugin_ctor_read;

#endif
