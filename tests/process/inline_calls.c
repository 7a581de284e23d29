/* SPDX-License-Identifier: MIT */
/*
 * inline_calls - for tests/process/inline: the program's own definitions of the
 * exported hot functions, which interpose both libraries' (the program is
 * linked with -export-dynamic).  Each counts the call, then forwards it to
 * the library's definition (RTLD_NEXT).  Compiled with PCPU_NO_INLINE: the
 * definitions are the functions themselves.  So every call the inline code
 * makes, in the program and in the shared objects it loads, is counted.
 */
#define PCPU_NO_INLINE
#include <dlfcn.h>
#include <pcpu.h>

#include "inline_calls.h"

unsigned long inline_calls;

/* The library's definition of name, the call counted. */
#define NEXT(name)                                                                       \
	(__atomic_fetch_add(&inline_calls, 1, __ATOMIC_RELAXED),                         \
	 (__typeof__(&name))dlsym(RTLD_NEXT, #name))
#define FORWARD(ret, name, params, args)                                                 \
	ret name params                                                                  \
	{                                                                                \
		return NEXT(name) args;                                                  \
	}
#define FORWARD_VOID(name, params, args)                                                 \
	void name params                                                                 \
	{                                                                                \
		NEXT(name) args;                                                         \
	}

FORWARD_VOID(pcpu_this_add, (int64_t * p, int64_t v), (p, v))
FORWARD(int64_t, pcpu_this_add_return, (int64_t * p, int64_t v), (p, v))
FORWARD(void *, pcpu_this_ptr, (void *p), (p))
FORWARD_VOID(percpu_counter_add, (struct percpu_counter * c, int64_t v), (c, v))
FORWARD_VOID(percpu_counter_add_batch,
	     (struct percpu_counter * c, int64_t v, int32_t batch), (c, v, batch))
FORWARD(int64_t, percpu_counter_read, (struct percpu_counter * c), (c))
FORWARD(bool, percpu_counter_limited_add,
	(struct percpu_counter * c, int64_t limit, int64_t v), (c, limit, v))
FORWARD_VOID(percpu_counter_tree_add, (struct percpu_counter_tree * c, long v), (c, v))
FORWARD(long, percpu_counter_tree_approximate_sum, (struct percpu_counter_tree * c), (c))
FORWARD_VOID(percpu_ref_get, (struct percpu_ref * r), (r))
FORWARD_VOID(percpu_ref_put, (struct percpu_ref * r), (r))
FORWARD(bool, percpu_ref_tryget, (struct percpu_ref * r), (r))
