/* SPDX-License-Identifier: MIT */
/*
 * futex_lock - a mutex that is one int: 0 free, 1 held, 2 held with
 * waiters (the classic three-state futex mutex).  Taking it free is one
 * compare-and-swap and dropping it with no waiter one exchange, cheaper
 * than a pthread mutex's bookkeeping for short critical sections.  Being a
 * plain word, it may be reset to 0 by a fork() child that inherited it
 * held by the prefork handler (a pthread lock may not be re-initialised
 * while held).
 */
#ifndef PCPU_FUTEX_LOCK_H
#define PCPU_FUTEX_LOCK_H

#include <linux/futex.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void futex_lock(int *l)
{
	int seen = 0;

	if (__atomic_compare_exchange_n(l, &seen, 1, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return;
	if (seen != 2)
		seen = __atomic_exchange_n(l, 2, __ATOMIC_ACQUIRE);
	while (seen) {
		syscall(SYS_futex, l, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
		seen = __atomic_exchange_n(l, 2, __ATOMIC_ACQUIRE);
	}
}

static inline void futex_unlock(int *l)
{
	if (__atomic_exchange_n(l, 0, __ATOMIC_RELEASE) == 2)
		syscall(SYS_futex, l, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* In a fork() child, the lock its parent held across the fork: no thread
 * of the child waits on it. */
static inline void futex_lock_reset(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELAXED);
}

#endif
