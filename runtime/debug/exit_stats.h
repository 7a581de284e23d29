/* SPDX-License-Identifier: MIT */
/*
 * exit_stats - PCPU_STATS=stderr|<path>: pcpu_stats_print() at exit.
 *
 * A path is opened for appending, so the processes of one run (fork
 * children, the commands of a script run under pcpu-run) add their reports
 * one after the other; "%p" in it becomes the process id.  Each report
 * starts with a line naming the process; a process that never allocated
 * per-CPU memory gets that line only.  Only a regular file is written: a
 * symbolic link as the last component, a FIFO or a device is refused with
 * a warning, and opening never blocks.
 */
#ifndef PCPU_EXIT_STATS_H
#define PCPU_EXIT_STATS_H

/* Print the report where config.stats says; nothing if it is unset. */
void exit_stats_print(void);

#endif
