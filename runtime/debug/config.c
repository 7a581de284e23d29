/* SPDX-License-Identifier: MIT */
#include "debug/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

struct config config;
static char config_stats[CONFIG_PATH_MAX];

/* A decimal integer in [1, CONFIG_MAX_CPUS], or 0 with a warning. */
static int config_count(const char *name, const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > CONFIG_MAX_CPUS) {
		diag_warn("%s=%s is not a number from 1 to %d; ignored", name, v,
			  CONFIG_MAX_CPUS);
		return 0;
	}
	return (int)n;
}

static enum config_mode config_mode(const char *v)
{
	static const char *const names[] = {"auto", "rseq", "atomic", "local"};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i]))
			return (enum config_mode)i;
	diag_warn("PCPU_MODE=%s is not one of auto, rseq, atomic, local; using auto", v);
	return CONFIG_MODE_AUTO;
}

static bool config_flag(const char *name, const char *v)
{
	if (!strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true"))
		return true;
	if (strcmp(v, "0") && strcmp(v, "no") && strcmp(v, "false") && *v)
		diag_warn("%s=%s is not 0 or 1; using 0", name, v);
	return false;
}

/*
 * secure_getenv(): in a set-user-ID, set-group-ID or capability-raising
 * program (AT_SECURE) the environment belongs to a less privileged caller.
 * PCPU_STATS would make the program create and append to a file of the
 * caller's choosing, and PCPU_STATS=stderr and PCPU_DEBUG=leaks would print
 * its addresses, so every variable is ignored there, as glibc ignores
 * MALLOC_*.
 */
void config_read(void)
{
	const char *v;

	if ((v = secure_getenv("PCPU_MODE")) && *v)
		config.mode = config_mode(v);
	if ((v = secure_getenv("PCPU_NR_CPUS")) && *v)
		config.nr_cpus = config_count("PCPU_NR_CPUS", v);
	if ((v = secure_getenv("PCPU_NR_SLOTS")) && *v)
		config.nr_slots = config_count("PCPU_NR_SLOTS", v);
	if ((v = secure_getenv("PCPU_STATS")) && *v) {
		if (strlen(v) < sizeof(config_stats))
			config.stats = strcpy(config_stats, v);
		else
			diag_warn("PCPU_STATS is longer than %d bytes; ignored",
				  CONFIG_PATH_MAX - 1);
	}
	if ((v = secure_getenv("PCPU_DEBUG")) && *v) {
		if (!strcmp(v, "leaks"))
			config.debug_leaks = true;
		else
			diag_warn("PCPU_DEBUG=%s is not 'leaks'; ignored", v);
	}
	if ((v = secure_getenv("PCPU_VERBOSE")))
		config.verbose = config_flag("PCPU_VERBOSE", v);
}
