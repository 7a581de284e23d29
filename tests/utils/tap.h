/* SPDX-License-Identifier: MIT */
/*
 * tap - a small Test Anything Protocol producer for the test programs.
 *
 * Every test program calls tap_start() first: it prints which library
 * serves the API and bails out if that is not the one the harness asked for
 * (PCPU_TEST_EXPECT, set by tests/utils/run-test), so a preload that silently did
 * not take effect fails instead of testing the wrong library.
 */
#ifndef PCPU_TAP_H
#define PCPU_TAP_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void tap_start(void);
/* Print the plan (if none was given) and return the exit status. */
int tap_done(void);

bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_skip(const char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tap_bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

bool tap_is_i64(int64_t got, int64_t want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ok(cond, ...)	   tap_ok(!!(cond), __VA_ARGS__)
#define is(got, want, ...) tap_is_i64((int64_t)(got), (int64_t)(want), __VA_ARGS__)

/*
 * Run fn(arg) in a child process; pass if the child is killed by SIGABRT
 * and its stderr contains want, where '*' in want matches any text (so
 * "libpcpu: percpu_ref_*(0x1234): " names the object, whichever function
 * noticed).
 */
bool tap_aborts(void (*fn)(void *), void *arg, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Seconds a stress test should run: PCPU_TEST_SECONDS, else dflt. */
double tap_seconds(double dflt);

/* Seconds since an arbitrary point, monotonic. */
double tap_now(void);

/* A small, fast, seedable random generator (xorshift64*). */
uint64_t tap_rand(uint64_t *state);

/*
 * Whether the program runs under an emulator (tests/utils/run-test exports
 * PCPU_TEST_EMULATOR): then the kernel it sees has no rseq, it cannot exec
 * a program of its own architecture, and the emulator's memory (qemu-user
 * keeps some for every thread that ever ran) counts in its resident set.
 */
bool tap_emulated(void);

/*
 * execv() for a test program that runs another copy of itself (or another
 * test program): under an emulator, through that emulator, since the kernel
 * cannot run the program itself; path may be "/proc/self/exe".  The
 * environment carries over either way.  Returns only on failure, as
 * execv() does.
 */
int tap_execv(const char *path, char *const argv[]);

/*
 * Whether the program runs under ASan or TSan (.ci/sanitize-check.sh
 * exports PCPU_TEST_SANITIZER): their runtime is then the process's malloc
 * (and operator new, and _Unwind_*), reserves terabytes of address space,
 * keeps freed memory and thread stacks in quarantine, and adds to the
 * static TLS block.  Tests of those things check what still holds.
 */
bool tap_heap_sanitized(void);

/* The access mode the harness asked for ("api", "rseq", "atomic" or
 * "local"), or "api" when run by hand. */
const char *tap_variant(void);

/* Format into a static buffer (one of a few, rotating), for patterns. */
const char *tap_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif
