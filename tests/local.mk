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

# ---- The shim as users meet it (issue 7): life cycle, process hygiene,
# configuration, the kernel-style header, the pcpu-run wrapper and two
# example programs.
check_LTLIBRARIES = tests/libearly.la
tests_libearly_la_SOURCES = tests/early_lib.c tests/early_lib.h
tests_libearly_la_LIBADD = libpcpu-api.la
# -rpath makes it a shared library, which a convenience library is not.
tests_libearly_la_LDFLAGS = -rpath $(abs_builddir)/tests -avoid-version \
	-no-undefined

tap_tests += tests/lifecycle tests/linux_compat tests/scope
tests_lifecycle_SOURCES = tests/lifecycle.c
tests_lifecycle_LDADD = tests/libearly.la $(LDADD)
tests_linux_compat_SOURCES = tests/linux_compat.c
tests_scope_SOURCES = tests/scope.cc
tests_scope_LDADD = $(LDADD) -ldl
# pcpu.h's pcpu_stats() hides struct pcpu_stats's implicit constructor,
# which -Wshadow reports in C++ only.
tests_scope_CXXFLAGS = $(AM_CXXFLAGS) -Wno-shadow

check_PROGRAMS += tests/probe
tests_probe_SOURCES = tests/probe.c
shim_tests = tests/config.sh tests/hygiene.sh tests/lifecycle.sh tests/pcpu-run.sh
TESTS += $(shim_tests)
EXTRA_DIST += $(shim_tests) tests/shtap.sh

# Example programs: instrumented like an application, linked with
# libpcpu-api only.
check_PROGRAMS += tests/example_service tests/example_wordfreq
tests_example_service_SOURCES = tests/example_service.c
tests_example_service_LDADD = libpcpu-api.la
tests_example_wordfreq_SOURCES = tests/example_wordfreq.c
tests_example_wordfreq_LDADD = libpcpu-api.la
shim_tests += tests/examples.sh
EXTRA_DIST += tests/wrk-service.sh
