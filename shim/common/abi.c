/* SPDX-License-Identifier: MIT */
/*
 * abi - the data of <pcpu/abi.h>, defined alike by both libraries so that
 * the preloaded runtime's definitions interpose the portable library's.
 *
 * Until a library publishes its descriptor (abi_publish()), the mode is
 * PCPU_ABI_CALL and every thread's slot word is odd, so inline code calls
 * the library for everything: an update before any initialisation, or in
 * a library that publishes nothing, is served correctly, only slower.
 */
#include "abi.h"

#include <stddef.h>

/* The layouts inline code reads are ABI (pcpu/abi.h's policy): these pin
 * them as the README states them (LP64: x86-64 and arm64), so a change
 * that is not an append fails to build. */
_Static_assert(sizeof(struct pcpu_abi_process) == 48 &&
		   offsetof(struct pcpu_abi_process, batch) == 40 &&
		   offsetof(struct pcpu_abi_process, counter_magic) == 44,
	       "pcpu_abi_process: version 3's layout");
_Static_assert(offsetof(struct percpu_counter, __magic) ==
		   offsetof(struct percpu_counter, __batch) + 4,
	       "a counter's __batch and __magic are one word, like the descriptor's");
_Static_assert(sizeof(struct pcpu_abi_thread) == 16 &&
		   offsetof(struct pcpu_abi_thread, gate) == 8,
	       "pcpu_abi_thread: version 3's layout");
_Static_assert(sizeof(struct percpu_counter) == 48 &&
		   sizeof(struct percpu_counter_tree) == 48 &&
		   sizeof(struct percpu_ref) == 32,
	       "the public structs' sizes");

struct pcpu_abi_process pcpu_abi_process = {.version = PCPU_ABI_VERSION,
					    .counter_magic = PCPU_ABI_MAGIC_COUNTER};
PCPU_ABI_THREAD_LOCAL struct pcpu_abi_thread pcpu_abi_thread PCPU_ABI_TLS_MODEL = {
    .slot = ~(uintptr_t)0};

void abi_publish(const struct pcpu_abi_process *d)
{
	struct pcpu_abi_process *to = &pcpu_abi_process;
	uint32_t mode = d->mode;

	/* Everything but the mode first: inline code reads the mode first. */
	to->nr_units = d->nr_units;
	to->flags = d->flags;
	to->stride = d->stride;
	to->rseq_cs = d->rseq_cs;
	to->rseq_index = d->rseq_index;
	to->batch = d->batch;
	__atomic_store_n(&to->mode, mode, __ATOMIC_RELEASE);
}
