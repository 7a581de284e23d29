/* SPDX-License-Identifier: MIT */
/* Which implementation serves the API, and the number of copies. */
#include <pcpu.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../utils/tap.h"

int main(void)
{
	tap_start();

	const char *rt = pcpu_runtime();
	int nr = pcpu_nr_cpus();
	struct utsname u;

	/* Shows in the logs which machine ran the suite (qemu's, emulated). */
	tap_diag("machine: %s%s", uname(&u) ? "unknown" : u.machine,
		 tap_emulated() ? " (emulated)" : "");

	ok(rt && strstr(rt, PCPU_VERSION), "pcpu_runtime() names version %s",
	   PCPU_VERSION);
	ok(rt == pcpu_runtime(), "pcpu_runtime() returns one static string");
	ok(nr >= 1, "pcpu_nr_cpus() = %d is at least 1", nr);
	ok(nr >= sysconf(_SC_NPROCESSORS_ONLN), "pcpu_nr_cpus() covers every online CPU");
	is(pcpu_nr_cpus(), nr, "pcpu_nr_cpus() is constant");
	return tap_done();
}
