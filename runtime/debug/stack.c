/* SPDX-License-Identifier: MIT */
#include "debug/stack.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>

#include "diag.h"

#define STACK_LIBUNWIND "libunwind.so.8"

/* unw_backtrace() is exported under that plain name on every architecture,
 * so no libunwind header is needed to call it. */
typedef int stack_unwind_fn(void **pcs, int max);

static stack_unwind_fn *stack_unwind;

/*
 * Captures take turns, and fork() holds the turn across (pthread_atfork):
 * the unwinder takes locks of its own (libunwind's caches, with every
 * signal blocked while it holds them), and a child forked while another
 * thread held one would inherit it held for ever, hanging the child's
 * first capture where not even a signal can end it.
 */
static pthread_mutex_t stack_lock = PTHREAD_MUTEX_INITIALIZER;

static void stack_lock_take(void)
{
	pthread_mutex_lock(&stack_lock);
}

static void stack_lock_drop(void)
{
	pthread_mutex_unlock(&stack_lock);
}

void stack_init(void)
{
	void *lib = dlopen(STACK_LIBUNWIND, RTLD_NOW | RTLD_LOCAL);

	if (lib)
		stack_unwind = (stack_unwind_fn *)dlsym(lib, "unw_backtrace");
	if (!stack_unwind)
		diag_warn("PCPU_DEBUG=leaks: cannot use %s (%s); call stacks come from "
			  "glibc's backtrace()",
			  STACK_LIBUNWIND, lib ? "no unw_backtrace" : dlerror());
	pthread_atfork(stack_lock_take, stack_lock_drop, stack_lock_drop);
}

int stack_capture(void **pcs, int max)
{
	int n;

	stack_lock_take();
	n = stack_unwind ? stack_unwind(pcs, max) : backtrace(pcs, max);
	stack_lock_drop();
	return n;
}
