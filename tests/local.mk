# Tests.  Every TAP program in tap_tests runs once linked against
# libpcpu-api (NAME.api.tap) and once per access mode with libpcpu.so
# preloaded (NAME.rseq.tap, NAME.atomic.tap, NAME.local.tap): the markers are
# empty files whose names tell tests/run-test what to run.
check_LIBRARIES += tests/libtap.a
tests_libtap_a_SOURCES = tests/tap.c tests/tap.h

tap_tests = \
	tests/identity

tests_identity_SOURCES = tests/identity.c

check_PROGRAMS += $(tap_tests)
LDADD = libpcpu-api.la tests/libtap.a
# Real binaries, not libtool wrappers, so emulators and preloads see them.
AM_LDFLAGS = -no-install

# PROVISIONAL: rseq and local join when the access modes land.
tap_markers = $(tap_tests:=.api.tap) $(tap_tests:=.atomic.tap)
TESTS += $(tap_markers)
CLEANFILES += $(tap_markers)

tests/%.api.tap tests/%.rseq.tap tests/%.atomic.tap tests/%.local.tap: tests/%$(EXEEXT)
	@: >$@

TEST_EXTENSIONS = .tap .sh
TAP_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TAP_LOG_DRIVER = $(TAP_DRIVER)
TAP_LOG_COMPILER = $(SHELL) $(top_builddir)/tests/run-test
SH_LOG_DRIVER = $(TAP_DRIVER)
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = top_builddir='$(abs_top_builddir)'; \
	top_srcdir='$(abs_top_srcdir)'; export top_builddir top_srcdir;

EXTRA_DIST += tests/run-test.in

# Internal unit tests that do not depend on the runtime: they run once, as
# the api variant only.  pcpu-bench's statistics, report writer and
# first-fit baseline allocator.
once_tests = \
	tests/bench-stats \
	tests/bench-report \
	tests/bench-firstfit

tests_bench_stats_SOURCES = tests/bench-stats.c bench/stats.c bench/stats.h
tests_bench_stats_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bench -I$(top_srcdir)/tests
tests_bench_report_SOURCES = tests/bench-report.c bench/report.c bench/report.h \
	bench/stats.h
tests_bench_report_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bench -I$(top_srcdir)/tests
tests_bench_firstfit_SOURCES = tests/bench-firstfit.c bench/firstfit.c bench/firstfit.h
tests_bench_firstfit_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bench -I$(top_srcdir)/tests
tests_bench_firstfit_LDADD = tests/libtap.a libpcpu-api.la
# libtap calls the API, so it comes first under --as-needed.
tests_bench_stats_LDADD = tests/libtap.a libpcpu-api.la -lm
tests_bench_report_LDADD = tests/libtap.a libpcpu-api.la -lm

check_PROGRAMS += $(once_tests)
once_markers = $(once_tests:=.api.tap)
TESTS += $(once_markers)
CLEANFILES += $(once_markers)
