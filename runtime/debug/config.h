/* SPDX-License-Identifier: MIT */
/*
 * config - the runtime's settings, read once from the environment.
 *
 * Every variable is optional.  A malformed value gets one warning on stderr
 * and the default; nothing here can fail or abort.  Values are copied: the
 * program may change its environment after start-up.
 */
#ifndef PCPU_CONFIG_H
#define PCPU_CONFIG_H

#include <stdbool.h>

enum config_mode {
	CONFIG_MODE_AUTO,
	CONFIG_MODE_RSEQ,
	CONFIG_MODE_ATOMIC,
	CONFIG_MODE_LOCAL,
};

struct config {
	enum config_mode mode; /* PCPU_MODE=auto|rseq|atomic|local */
	int nr_cpus;	       /* PCPU_NR_CPUS, 0 if unset */
	int nr_slots;	       /* PCPU_NR_SLOTS, 0 if unset */
	const char *stats;     /* PCPU_STATS=stderr|<path>, NULL if unset */
	bool debug_leaks;      /* PCPU_DEBUG=leaks */
	bool verbose;	       /* PCPU_VERBOSE=1 */
};

/* Upper bound accepted for PCPU_NR_CPUS and PCPU_NR_SLOTS. */
#define CONFIG_MAX_CPUS 65536
/* Longest PCPU_STATS path kept. */
#define CONFIG_PATH_MAX 4096

extern struct config config;

/* Read the environment into config; called once by runtime_init(). */
void config_read(void);

#endif
