/* SPDX-License-Identifier: MIT */
/*
 * Static per-CPU variables of a module loaded with dlopen()
 * (tests/linux/plugin.so, path PCPU_TEST_PLUGIN): its constructor found
 * its own variables and this program's, and both sides of the boundary
 * name the same copies.
 */
#include <dlfcn.h>
#include <pcpu/linux.h>

#include "../utils/tap.h"
#include "plugin.h"
#include "sum.h"

DEFINE_PER_CPU(int64_t, host_events);

int main(void)
{
	int64_t nr = nr_cpu_ids;

	tap_start();
	/* Translate one of ours first: the library has read the modules
	 * loaded so far, the plugin is not among them. */
	this_cpu_add(host_events, 10);

	void *h = dlopen(PCPU_TEST_PLUGIN, RTLD_NOW);
	if (!h)
		tap_bail("dlopen(%s): %s", PCPU_TEST_PLUGIN, dlerror());
	int64_t *events = dlsym(h, "plugin_events");
	int *flags = dlsym(h, "plugin_flags");
	int64_t *ctor_read = dlsym(h, "plugin_ctor_read");
	plugin_sum_fn *sum = (plugin_sum_fn *)dlsym(h, "plugin_events_sum");
	plugin_ptr_fn *ptr = (plugin_ptr_fn *)dlsym(h, "plugin_events_ptr");
	plugin_local_fn *local = (plugin_local_fn *)dlsym(h, "plugin_local_read");
	if (!events || !flags || !ctor_read || !sum || !ptr || !local)
		tap_bail("dlsym: %s", dlerror());

	is(*ctor_read, PLUGIN_EVENTS_INIT + 1,
	   "the plugin's constructor used its variable: init + its own inc");
	is(sum(), nr * PLUGIN_EVENTS_INIT + 1, "its copies: one inc, the others at init");
	is(per_cpu_sum(host_events), 10 + 1,
	   "its constructor's inc of this program's variable is in our copies");
	ok(per_cpu_ptr(events, 0) == ptr(0) &&
	       per_cpu_ptr(events, (int)nr - 1) == ptr((int)nr - 1),
	   "per_cpu_ptr() of its variable here is the plugin's copy");
	ok(per_cpu_ptr(events, 0) != events, "and not the template");
	this_cpu_add(*events, 1000);
	is(sum(), nr * PLUGIN_EVENTS_INIT + 1001, "an add here is in the plugin's sum");
	is(local(), PLUGIN_LOCAL_INIT,
	   "its file-scope static variable starts at its initialiser");
	this_cpu_or(*flags, 4);
	ok(((uintptr_t)this_cpu_ptr(flags) & 63) == 0 && this_cpu_read(*flags) == 4,
	   "its DEFINE_PER_CPU_ALIGNED variable is aligned and usable here");
	return tap_done();
}
