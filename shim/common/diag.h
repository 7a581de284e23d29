/* SPDX-License-Identifier: MIT */
/*
 * diag - how both libraries report misuse and doubtful configuration.
 *
 * Messages are formatted on the stack and written with one write(2), so they
 * work from any state the process is in (inside a failing allocator, a
 * signal handler, before constructors ran) and never allocate.
 */
#ifndef PCPU_DIAG_H
#define PCPU_DIAG_H

#include <pcpu.h>
#include <stdint.h>

/* "libpcpu: fn(ptr): reason..." on stderr, then abort(). */
_Noreturn void diag_die(const char *fn, const void *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), cold));

/* "libpcpu: warning: ..." on stderr. */
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2), cold));

/* Magic values at the start of every opaque object while it is live. */
/* The inline fast paths check the same values (pcpu/abi.h). */
#define DIAG_MAGIC_COUNTER PCPU_ABI_MAGIC_COUNTER
#define DIAG_MAGIC_TREE	   PCPU_ABI_MAGIC_TREE
#define DIAG_MAGIC_REF	   PCPU_ABI_MAGIC_REF

_Noreturn void diag_bad_object(const char *fn, const void *obj, const char *what)
    __attribute__((cold));

/* Abort unless magic marks a live object of the expected kind.  Callers
 * pass 0 for a NULL object, which is then reported like any other. */
static inline void diag_check(uint32_t magic, uint32_t want, const char *fn,
			      const void *obj, const char *what)
{
	if (__builtin_expect(magic != want, 0))
		diag_bad_object(fn, obj, what);
}

#endif
