/* SPDX-License-Identifier: MIT */
/*
 * inline_lib - code that uses the inline API from inside a shared object:
 * built twice, as a library the test links (tests/process/libinline_linked.la) and
 * as a plugin it dlopen()s (tests/process/inline_plugin.la).  Shared objects reach
 * the thread-local block of pcpu/abi.h with the general-dynamic TLS model.
 */
#include <pcpu.h>

#include "inline_lib.h"

void INLINE_LIB_ENTRY(int64_t *p, struct percpu_counter *c, struct percpu_ref *r, long n)
{
	for (long i = 0; i < n; i++) {
		pcpu_this_add(p, 1);
		percpu_counter_inc(c);
		percpu_ref_get(r);
		percpu_ref_put(r);
	}
}
