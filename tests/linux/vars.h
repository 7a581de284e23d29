/* SPDX-License-Identifier: MIT */
/*
 * Static per-CPU variables of tests/linux/libvars.so, a shared library,
 * used from the test program through DECLARE_PER_CPU as kernel code would
 * use another object's, and one of the test program's that the library's
 * constructor uses before the program's constructors ran.
 */
#ifndef PCPU_TESTS_LINUX_VARS_H
#define PCPU_TESTS_LINUX_VARS_H

#include <pcpu/linux.h>

#define LIB_EVENTS_INIT 7
#define EXE_EVENTS_INIT 11

DECLARE_PER_CPU(int64_t, lib_events);
DECLARE_PER_CPU_SHARED_ALIGNED(unsigned int, lib_hits);

/* Declared by hand, not weak: built without PIE, the program then holds
 * a copy of it (a copy relocation) on arm64 too, where GCC reaches weak
 * ones through the GOT. */
#define LIB_PLAIN_INIT 3
extern int64_t lib_plain;

/* The library's own view, from its side of the boundary. */
int64_t lib_events_sum(void);
int64_t *lib_events_ptr(int cpu);
int64_t *lib_plain_ptr(int cpu);
unsigned int lib_hits_sum(void);
void lib_hit(void);
/* this_cpu_read(lib_events) in the library's constructor, after its add. */
extern int64_t lib_ctor_read;

/* The program's, = EXE_EVENTS_INIT; the library's constructor adds 100. */
DECLARE_PER_CPU(int64_t, exe_events);
/* this_cpu_read(exe_events) there, after its add. */
extern int64_t lib_ctor_exe_read;

#endif
