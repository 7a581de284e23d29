/* SPDX-License-Identifier: MIT */
/* inline_calls - see inline_calls.c. */
#ifndef PCPU_TEST_INLINE_CALLS_H
#define PCPU_TEST_INLINE_CALLS_H

/* Calls of the exported hot functions so far, from anywhere. */
extern unsigned long inline_calls;

#endif
