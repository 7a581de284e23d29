/* SPDX-License-Identifier: MIT */
/*
 * thread - the lower layer's hold on thread and process life: one pthread
 * key whose destructor runs when a thread that took per-thread state (a
 * local slot, a gate reader) exits, and one fork-child handler.
 *
 * The hooks are cpu.c's, registered once by cpu_thread_init(): this layer
 * knows no access mode, and the modes and the gate only say "this thread
 * now holds state" (cpu_thread_track()).
 *
 * Invariants: the exit hook runs once per tracked thread, after its last
 * update through the runtime (pthread key destructors run at thread exit);
 * the fork-child hook runs in the child only, before it returns from
 * fork(), in the one thread the child has.
 */
#ifndef PCPU_CPU_THREAD_H
#define PCPU_CPU_THREAD_H

/* Internal: reached directly, never through the GOT. */
#pragma GCC visibility push(hidden)

/* Register the hooks; 0 or -errno. */
int cpu_thread_init(void (*on_exit)(void), void (*on_fork_child)(void));
/* Make sure the exit hook runs when the calling thread exits. */
void cpu_thread_track(void);

#pragma GCC visibility pop

#endif
