/* SPDX-License-Identifier: MIT */
#include "debug/stack.h"

#include <dlfcn.h>
#include <execinfo.h>

#include "diag.h"

#define STACK_LIBUNWIND "libunwind.so.8"

/* unw_backtrace() is exported under that plain name on every architecture,
 * so no libunwind header is needed to call it. */
typedef int stack_unwind_fn(void **pcs, int max);

static stack_unwind_fn *stack_unwind;

void stack_init(void)
{
	void *lib = dlopen(STACK_LIBUNWIND, RTLD_NOW | RTLD_LOCAL);

	if (lib)
		stack_unwind = (stack_unwind_fn *)dlsym(lib, "unw_backtrace");
	if (!stack_unwind)
		diag_warn("PCPU_DEBUG=leaks: cannot use %s (%s); call stacks come from "
			  "glibc's backtrace()",
			  STACK_LIBUNWIND, lib ? "no unw_backtrace" : dlerror());
}

int stack_capture(void **pcs, int max)
{
	return stack_unwind ? stack_unwind(pcs, max) : backtrace(pcs, max);
}
