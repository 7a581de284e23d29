# pcpu-bench: the benchmark program (installed) and `make bench`, which runs
# the standard set and writes tables, CSV/JSON and charts to bench-results/.
bin_PROGRAMS = bench/pcpu-bench
bench_pcpu_bench_SOURCES = \
	bench/alloc.c \
	bench/baseline.c bench/baseline.h \
	bench/calls.c bench/calls.h \
	bench/bench.h \
	bench/firstfit.c bench/firstfit.h \
	bench/main.c \
	bench/memory.c \
	bench/plot.c bench/plot.h \
	bench/read.c \
	bench/refkill.c \
	bench/report.c bench/report.h \
	bench/scale.c \
	bench/stats.c bench/stats.h \
	bench/threads.c bench/threads.h
# Only the API library: the runtime is measured by preloading libpcpu.so.
bench_pcpu_bench_LDADD = libpcpu-api.la -lm
# An installed program, not a test: no -no-install.
bench_pcpu_bench_LDFLAGS =

BENCH_RESULTS = bench-results
EXTRA_DIST += bench/run-bench.sh bench/readme-section.sh

.PHONY: bench
bench: all
	top_builddir='$(abs_top_builddir)' $(SHELL) $(srcdir)/bench/run-bench.sh \
		'$(BENCH_RESULTS)'
