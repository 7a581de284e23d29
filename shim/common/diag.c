/* SPDX-License-Identifier: MIT */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void diag_write(const char *prefix, const char *fn, const void *ptr,
		       const char *fmt, va_list ap)
{
	char buf[512];
	int n;

	if (fn)
		n = snprintf(buf, sizeof(buf), "libpcpu: %s%s(%p): ", prefix, fn, ptr);
	else
		n = snprintf(buf, sizeof(buf), "libpcpu: %s", prefix);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* Best effort: nothing useful can be done if stderr is gone. */
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

void diag_die(const char *fn, const void *ptr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_write("", fn, ptr, fmt, ap);
	va_end(ap);
	abort();
}

void diag_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_write("warning: ", NULL, NULL, fmt, ap);
	va_end(ap);
}

void diag_bad_object(const char *fn, const void *obj, const char *what)
{
	diag_die(
	    fn, obj,
	    "not an initialised %s (never initialised, already destroyed or corrupted)",
	    what);
}
