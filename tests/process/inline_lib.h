/* SPDX-License-Identifier: MIT */
/* inline_lib - see inline_lib.c. */
#ifndef PCPU_TEST_INLINE_LIB_H
#define PCPU_TEST_INLINE_LIB_H

#include <pcpu.h>

/* n times: one pcpu_this_add(p, 1), percpu_counter_inc(c) and a
 * percpu_ref get+put on r.  INLINE_LIB_ENTRY names the function: the
 * linked library's and the plugin's must not be one symbol. */
typedef void inline_lib_fn(int64_t *p, struct percpu_counter *c, struct percpu_ref *r,
			   long n);
inline_lib_fn inline_linked_run, inline_plugin_run;
#define INLINE_PLUGIN_ENTRY "inline_plugin_run"

#endif
