/* SPDX-License-Identifier: MIT */
/* identity - which runtime serves the process, and its unit count; both
 * set the runtime up first (they have no error to return: a failed set-up
 * aborts with a message). */
#include <pcpu.h>

#include "cpu/cpu.h"
#include "runtime.h"

const char *pcpu_runtime(void)
{
	return runtime_describe();
}

int pcpu_nr_cpus(void)
{
	runtime_init();
	return cpu_nr_units;
}
