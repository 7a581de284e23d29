/* SPDX-License-Identifier: MIT */
/*
 * cpu_rseq - finding the thread's rseq area, and the membarrier that is
 * the rseq mode's grace period (see cpu_rseq.h for the sequences).
 *
 * Only glibc's registration is used (glibc 2.35 and later register an area
 * for every thread they create and export where it is).  Where glibc did
 * not register one (GLIBC_TUNABLES=glibc.pthread.rseq=0, a kernel, emulator
 * or seccomp filter that refuses the system call) the process has no area
 * and the rseq mode is refused; registering one of our own would override
 * the user's choice in the first case and fail again in the others.
 */
#include "cpu_rseq.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <stddef.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpu.h"
#include "diag.h"

#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#endif

/* Offsets in struct rseq (linux/rseq.h; older headers lack mm_cid). */
#define RSEQ_CPU_ID 4
#define RSEQ_CS 8
#define RSEQ_MM_CID 24
#define RSEQ_MM_CID_END 28

/* Weak: absent from glibc before 2.35, whose threads then have no area. */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

long cpu_rseq_index_off;
long cpu_rseq_cs_off;

static int32_t cpu_rseq_field(ptrdiff_t off)
{
	return __atomic_load_n((int32_t *)((char *)__builtin_thread_pointer() + off),
			       __ATOMIC_RELAXED);
}

bool cpu_rseq_detect(void)
{
	ptrdiff_t area;
	long field = RSEQ_CPU_ID;

	if (!&__rseq_offset || !&__rseq_size || !__rseq_size)
		return false;
	area = __rseq_offset;
	/* Registered areas hold a CPU number; failed ones a negative code. */
	if (cpu_rseq_field(area + RSEQ_CPU_ID) < 0)
		return false;
	if (getauxval(AT_RSEQ_FEATURE_SIZE) >= RSEQ_MM_CID_END &&
	    cpu_rseq_field(area + RSEQ_MM_CID) >= 0)
		field = RSEQ_MM_CID;
	cpu_rseq_cs_off = area + RSEQ_CS;
	cpu_rseq_index_off = area + field;
	return true;
}

static int cpu_rseq_membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0) ? -errno : 0;
}

int cpu_rseq_init(void)
{
#if defined(__x86_64__)
	if (!cpu_rseq_detect())
		return -ENOSYS;
	return cpu_rseq_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ);
#else
	return -ENOSYS;
#endif
}

void cpu_rseq_sync(void)
{
	if (cpu_rseq_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ))
		diag_die("cpu_gate_sync", NULL, "membarrier failed after it worked");
	cpu_gate_wait_readers(true);
}

void cpu_rseq_atfork_child(void)
{
	/* Harmless if the child inherited the registration. */
	cpu_rseq_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ);
}
