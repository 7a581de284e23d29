/* SPDX-License-Identifier: MIT */
/*
 * rseq_area - finding and registering the thread's rseq area, and the
 * membarrier that restarts sequences (see rseq_area.h).
 *
 * glibc 2.35 and later register an area for every thread they create and
 * export where it is (__rseq_offset, __rseq_size); that area is used.
 * Where such a glibc registered none (GLIBC_TUNABLES=glibc.pthread.rseq=0,
 * or a kernel, emulator or seccomp filter that refuses the system call) the
 * rseq mode is refused: registering our own would override the user's
 * choice in the first case and fail again in the others.
 *
 * An older glibc knows nothing of rseq.  Then each thread registers
 * cpu_rseq_own, a static-TLS area (the same offset from the thread pointer
 * in every thread), the first time a sequence finds its index unset: the
 * area starts with cpu_id and mm_cid at ~0, which no range check passes,
 * so an unregistered thread always reaches the fold path, registers there
 * and retries.  Areas are never unregistered: the kernel writes one only
 * when its thread returns to user space, and a dead thread never does
 * (glibc frees a thread's static TLS only after it died).  A fork child
 * inherits the registration of the forking thread.
 */
#include "cpu/rseq_area.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <stddef.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "diag.h"

#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#endif

/* Offsets in struct rseq (linux/rseq.h; older headers lack mm_cid). */
#define RSEQ_CPU_ID	4
#define RSEQ_CS		8
#define RSEQ_MM_CID	24
#define RSEQ_MM_CID_END 28

/* Weak: absent from glibc before 2.35, whose threads then have no area. */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

long cpu_rseq_index_off;
long cpu_rseq_cs_off;

struct cpu_rseq_area {
	uint32_t cpu_id_start;
	uint32_t cpu_id;
	uint64_t rseq_cs;
	uint32_t flags;
	uint32_t node_id;
	uint32_t mm_cid;
	uint32_t pad;
} __attribute__((aligned(32)));

static __thread struct cpu_rseq_area cpu_rseq_own
    __attribute__((tls_model("initial-exec"))) = {
	.cpu_id = UINT32_MAX,
	.mm_cid = UINT32_MAX,
};
/* The areas are ours (cpu_rseq_own), registered thread by thread. */
static bool cpu_rseq_self;

#if defined(CPU_RSEQ_IGNORE_GLIBC)
/* Tests: behave as with a glibc that has no rseq support. */
#define cpu_rseq_glibc_knows() false
#else
#define cpu_rseq_glibc_knows() (&__rseq_offset && &__rseq_size)
#endif

static int32_t cpu_rseq_field(ptrdiff_t off)
{
	return __atomic_load_n((int32_t *)((char *)__builtin_thread_pointer() + off),
			       __ATOMIC_RELAXED);
}

/* Register the calling thread's own area; true if it is registered.
 * Only where sequences run: the signature is the one their abort
 * handlers carry. */
static bool cpu_rseq_register_own(void)
{
	if (!PCPU_ARCH_RSEQ)
		return false;
	if (syscall(__NR_rseq, &cpu_rseq_own, sizeof(cpu_rseq_own), 0,
		    PCPU_ARCH_RSEQ_SIG) &&
	    errno != EBUSY) /* EBUSY: a signal handler registered it meanwhile */
		return false;
	return (int32_t)__atomic_load_n(&cpu_rseq_own.cpu_id, __ATOMIC_RELAXED) >= 0;
}

/* Use the area at offset area from the thread pointer. */
static bool cpu_rseq_use(ptrdiff_t area)
{
	long field = RSEQ_CPU_ID;

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

bool cpu_rseq_detect(void)
{
	if (cpu_rseq_index_off)
		return true;
	if (cpu_rseq_glibc_knows())
		return __rseq_size && cpu_rseq_use(__rseq_offset);
	if (!cpu_rseq_register_own())
		return false;
	cpu_rseq_self = true;
	return cpu_rseq_use((char *)&cpu_rseq_own - (char *)__builtin_thread_pointer());
}

bool cpu_rseq_registers_all(void)
{
	return cpu_rseq_index_off && !cpu_rseq_self;
}

bool cpu_rseq_thread_unregistered(void)
{
	return cpu_rseq_self &&
	       (int32_t)__atomic_load_n(&cpu_rseq_own.cpu_id, __ATOMIC_RELAXED) < 0 &&
	       cpu_rseq_register_own();
}

static int cpu_rseq_membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0) ? -errno : 0;
}

int cpu_rseq_init(void)
{
	if (!PCPU_ARCH_RSEQ || !cpu_rseq_detect())
		return -ENOSYS;
	return cpu_rseq_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ);
}

void cpu_rseq_fence(void)
{
	if (cpu_rseq_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ))
		diag_die("cpu_rseq_fence", NULL, "membarrier failed after it worked");
}

void cpu_rseq_atfork_child(void)
{
	/* Harmless if the child inherited the registration. */
	cpu_rseq_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ);
}
