/* SPDX-License-Identifier: MIT */
/*
 * pcpu-bench - every speed and memory figure of libpcpu, each beside the
 * baseline a user would otherwise use, measured in the same process.
 *
 * The program links libpcpu-api; run it with LD_PRELOAD=libpcpu.so and
 * PCPU_MODE=<mode> to measure the per-CPU runtime.  It writes data only:
 * one CSV (report.h) that names the machine, the runtime (pcpu_runtime())
 * that answered whatever mode was asked for, the command and the date.
 * Tables, JSON and charts are made from it by bench/report.sh.
 */
#include <getopt.h>
#include <math.h>
#include <pcpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "threads.h"

#define ALL_SECTIONS "scale,read,ref-kill,alloc,memory"

struct result *bench_record(struct bench *b, const char *section, const char *workload,
			    const char *impl, int threads, const char *param,
			    const char *unit, struct sample s,
			    const struct result *baseline)
{
	struct result r = {.threads = threads, .s = s};

	snprintf(r.section, sizeof(r.section), "%s", section);
	snprintf(r.workload, sizeof(r.workload), "%s", workload);
	snprintf(r.impl, sizeof(r.impl), "%s", impl);
	snprintf(r.mode, sizeof(r.mode), "%s", b->mode);
	snprintf(r.param, sizeof(r.param), "%s", param);
	snprintf(r.unit, sizeof(r.unit), "%s", unit);
	r.ratio = NAN;
	r.scaling = NAN;
	if (baseline && baseline->s.reps && s.reps) {
		snprintf(r.baseline, sizeof(r.baseline), "%s/%s", baseline->workload,
			 baseline->impl);
		r.ratio = baseline->s.median / s.median;
	}
	struct result *stored = report_add(&b->rep, &r);
	if (!stored)
		fprintf(stderr, "pcpu-bench: out of memory recording %s\n", workload);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "  %-8s %-32s %-16s %2d %-22s %10.3f %s\n", section,
			workload, impl, threads, param, s.median, unit);
	return stored;
}

struct sample bench_exact(double v)
{
	return (struct sample){.median = v, .min = v, .max = v, .reps = 1, .run = {v}};
}

/* "api" for the portable library, else the mode= the runtime reports. */
static void mode_of(const char *runtime, char *buf, size_t size)
{
	const char *m = strstr(runtime, "mode=");

	if (!strncmp(runtime, "libpcpu-api", 11) || !m) {
		snprintf(buf, size, "api");
		return;
	}
	m += 5;
	snprintf(buf, size, "%.*s", (int)strcspn(m, ",) "), m);
}

static void machine_of(char *buf, size_t size)
{
	char line[256], model[160] = "";
	FILE *f = fopen("/proc/cpuinfo", "r");
	struct utsname u;

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (colon && !strncmp(line, "model name", 10)) {
			snprintf(model, sizeof(model), "%.*s",
				 (int)strcspn(colon + 2, "\n"), colon + 2);
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	snprintf(buf, size, "%s, %ld online CPUs, Linux %s %s",
		 model[0] ? model : "unknown CPU", sysconf(_SC_NPROCESSORS_ONLN),
		 u.release, u.machine);
}

static void command_of(int argc, char **argv, char *buf, size_t size)
{
	static const char *const env[] = {"LD_PRELOAD", "PCPU_MODE", "PCPU_NR_CPUS"};
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < 3 && n < size; i++) {
		const char *v = getenv(env[i]);

		if (!v || !*v)
			continue;
		if (i == 0 && strrchr(v, '/'))
			v = strrchr(v, '/') + 1;
		n += (size_t)snprintf(buf + n, size - n, "%s=%s ", env[i], v);
	}
	for (int i = 0; i < argc && n < size; i++) {
		const char *a = strrchr(argv[i], '/');

		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? " " : "",
				      i == 0 && a ? a + 1 : argv[i]);
	}
}

static bool has_section(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

static void usage(FILE *f)
{
	fputs(
	    "usage: pcpu-bench [options]\n"
	    "  --threads N     1..N threads (default: CPUs in the affinity mask)\n"
	    "  --reps N        timed repetitions after the warm-up (default 5, and 15\n"
	    "                  for scale, whose scaling is a median of per-round\n"
	    "                  ratios; min 5)\n"
	    "  --time MS       length of one timed run of a loop (default 20)\n"
	    "  --section LIST  of " ALL_SECTIONS " (default: all)\n"
	    "  --objects N     allocator objects per size (default 1000000)\n"
	    "  --counters N    tree counters for select_max and memory (default 10000)\n"
	    "  --batch N       tree counters' batch size (default 512, as "
	    "percpu_counter's)\n"
	    "  --ff-limit S    stop a quadratic first-fit pass after S s (default 5)\n"
	    "  --beside LIB    alloc: also measure LIB's pcpu_alloc/pcpu_free (another\n"
	    "                  libpcpu.so build, dlopen()ed) in the same process\n"
	    "  --output FILE   write the CSV there instead of stdout\n"
	    "  --identify      print the runtime mode in force and exit\n",
	    f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"threads", required_argument, NULL, 't'},
	    {"reps", required_argument, NULL, 'r'},
	    {"time", required_argument, NULL, 'T'},
	    {"section", required_argument, NULL, 's'},
	    {"objects", required_argument, NULL, 'o'},
	    {"counters", required_argument, NULL, 'c'},
	    {"batch", required_argument, NULL, 'b'},
	    {"ff-limit", required_argument, NULL, 'L'},
	    {"beside", required_argument, NULL, 'B'},
	    {"output", required_argument, NULL, 'O'},
	    {"identify", no_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct bench b = {
	    .max_threads = threads_cpus(),
	    .reps = 5,
	    .scale_reps = 15,
	    .target_ms = 20,
	    .objects = 1000000,
	    .counters = 10000,
	    .batch = 512,
	    .ff_limit_s = 5,
	};
	const char *sections = ALL_SECTIONS, *output = NULL;
	bool identify = false;
	FILE *out = stdout;
	int c;

	command_of(argc, argv, b.rep.command, sizeof(b.rep.command));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			b.max_threads = atoi(optarg);
			break;
		case 'r':
			b.reps = b.scale_reps = (unsigned)atoi(optarg);
			break;
		case 'T':
			b.target_ms = atof(optarg);
			break;
		case 's':
			sections = optarg;
			break;
		case 'o':
			b.objects = (unsigned)atoi(optarg);
			break;
		case 'c':
			b.counters = (unsigned)atoi(optarg);
			break;
		case 'b':
			b.batch = strtoul(optarg, NULL, 0);
			break;
		case 'L':
			b.ff_limit_s = atof(optarg);
			break;
		case 'B':
			b.beside = optarg;
			break;
		case 'O':
			output = optarg;
			break;
		case 'i':
			identify = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (b.max_threads < 1 || !b.objects || !b.counters || b.target_ms <= 0 ||
	    optind != argc) {
		usage(stderr);
		return 2;
	}
	mode_of(pcpu_runtime(), b.mode, sizeof(b.mode));
	if (identify) {
		printf("%s\n", b.mode);
		return 0;
	}
	/* before measuring: a bad path should not cost a run */
	if (output && !(out = fopen(output, "w"))) {
		perror(output);
		return 1;
	}
	const char *asked = getenv("PCPU_MODE");
	time_t now = time(NULL);

	strftime(b.rep.date, sizeof(b.rep.date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	machine_of(b.rep.machine, sizeof(b.rep.machine));
	snprintf(b.rep.runtime, sizeof(b.rep.runtime), "%s", pcpu_runtime());
	if (asked && *asked && strcmp(asked, b.mode) && strcmp(b.mode, "api"))
		snprintf(b.rep.runtime + strlen(b.rep.runtime),
			 sizeof(b.rep.runtime) - strlen(b.rep.runtime),
			 " [PCPU_MODE=%s asked, %s in force]", asked, b.mode);
	if (has_section(sections, "scale"))
		bench_scale(&b);
	if (has_section(sections, "read"))
		bench_read(&b);
	if (has_section(sections, "ref-kill"))
		bench_ref_kill(&b);
	if (has_section(sections, "alloc"))
		bench_alloc(&b);
	if (has_section(sections, "memory"))
		bench_memory(&b);
	if (report_write_csv(&b.rep, out) || (out != stdout && fclose(out))) {
		perror(output ? output : "stdout");
		return 1;
	}
	report_free(&b.rep);
	return 0;
}
