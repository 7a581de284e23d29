/* SPDX-License-Identifier: MIT */
/*
 * stack - call stacks of the calling thread, for PCPU_DEBUG=leaks.
 *
 * The unwinder is libunwind, loaded by stack_init() with
 * dlopen(RTLD_LOCAL) and only when a debug feature asks for it: Debian's
 * libunwind.so.8 exports the C++ unwinder's _Unwind_* symbols (and
 * backtrace), so it must never enter the global scope, where it would
 * take over the application's exceptions.  When libunwind cannot be loaded
 * glibc's backtrace() serves instead (it unwinds with libgcc_s, which it
 * also loads privately), after one warning.  Captures are serialised,
 * and none is in flight across a fork() (stack.c says why).
 */
#ifndef PCPU_STACK_H
#define PCPU_STACK_H

/* Load the unwinder; called once, before the first stack_capture(). */
void stack_init(void);

/* Store up to max return addresses of the caller's stack, innermost
 * first, in pcs; returns how many. */
int stack_capture(void **pcs, int max);

#endif
