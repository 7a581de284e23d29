# pcpu-bench and `make bench`.  The program measures and writes CSV only;
# bench/report.sh (POSIX sh and awk, gnuplot for the charts) makes the
# tables, JSON, charts and the performance document from that CSV.  Not
# installed: it is the project's measuring tool, built with the tree.
noinst_PROGRAMS += bench/pcpu-bench
bench_pcpu_bench_SOURCES = \
	bench/alloc.c \
	bench/baseline.c bench/baseline.h \
	bench/calls.c bench/calls.h \
	bench/bench.h \
	bench/firstfit.c bench/firstfit.h \
	bench/main.c \
	bench/memory.c \
	bench/read.c \
	bench/refkill.c \
	bench/report.c bench/report.h \
	bench/scale.c \
	bench/stats.c bench/stats.h \
	bench/threads.c bench/threads.h
# Every loop starts on a 32-byte boundary: where a short timed loop falls
# against the front end's 32-byte fetch windows otherwise moves its time
# by a quarter from one build to the next (the inline limited add's loop
# read 1.09 or 1.56 ns with no change in its code), and the ratios the
# targets name would measure the linker's placement.
bench_pcpu_bench_CFLAGS = $(AM_CFLAGS) -falign-loops=32
# Only the API library: the runtime is measured by preloading libpcpu.so.
bench_pcpu_bench_LDADD = libpcpu-api.la -lm
bench_pcpu_bench_LDFLAGS = -no-install

bench_scripts = bench/run-bench.sh bench/report.sh bench/csv.awk \
	bench/merge.awk bench/json.awk bench/table.awk bench/markdown.awk \
	bench/plots.awk
EXTRA_DIST += $(bench_scripts) doc/performance.md doc/plots

BENCH_RESULTS = bench-results

# Every table, CSV, JSON and (with gnuplot) chart of the standard set in
# $(BENCH_RESULTS)/.
.PHONY: bench
bench: all
	top_builddir='$(abs_top_builddir)' $(SHELL) $(srcdir)/bench/run-bench.sh \
		'$(BENCH_RESULTS)'

# Publish the last `make bench` as doc/performance.md and the charts it
# shows (a maintainer's step: it writes into the source tree).
.PHONY: bench-doc
bench-doc:
	$(SHELL) $(srcdir)/bench/report.sh --publish '$(BENCH_RESULTS)' '$(srcdir)/doc'

# The bench's own tests: the code they guard compiled in.
bench_tests = bench/tests/stats bench/tests/firstfit bench/tests/csv
check_PROGRAMS += $(bench_tests)
TESTS += $(bench_tests) bench/tests/report.sh
EXTRA_DIST += bench/tests/report.sh
bench_test_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/bench -I$(top_srcdir)/tests/utils
bench_tests_stats_SOURCES = bench/tests/stats.c bench/stats.c bench/stats.h
bench_tests_stats_CPPFLAGS = $(bench_test_cppflags)
bench_tests_stats_LDADD = tests/utils/libtap.a libpcpu-api.la -lm
bench_tests_firstfit_SOURCES = bench/tests/firstfit.c bench/firstfit.c \
	bench/firstfit.h
bench_tests_firstfit_CPPFLAGS = $(bench_test_cppflags)
bench_tests_firstfit_LDADD = tests/utils/libtap.a libpcpu-api.la
bench_tests_csv_SOURCES = bench/tests/csv.c bench/report.c bench/report.h \
	bench/stats.h
bench_tests_csv_CPPFLAGS = $(bench_test_cppflags)
bench_tests_csv_LDADD = tests/utils/libtap.a libpcpu-api.la -lm
