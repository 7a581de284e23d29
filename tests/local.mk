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

# Every marker, of any list, by one single-target rule: make runs a rule
# with several target patterns once for all of them, and a marker missing
# when its test runs sends the harness to $(srcdir) for it.  make check
# builds the programs first.
tests/%.tap:
	@: >$@
.PRECIOUS: tests/%.tap

TEST_EXTENSIONS = .tap .sh
TAP_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TAP_LOG_DRIVER = $(TAP_DRIVER)
TAP_LOG_COMPILER = $(SHELL) $(top_builddir)/tests/run-test
SH_LOG_DRIVER = $(TAP_DRIVER)
SH_LOG_COMPILER = $(SHELL)
# Programs in TESTS as they are (no extension), emulated in a cross build.
LOG_COMPILER = $(SHELL) $(top_builddir)/tests/run-test --exec
# For shell-driven tests (tests/run-test says more): PCPU_EXEC runs a test
# program, under PCPU_TEST_EMULATOR when that is not empty (a cross build);
# PCPU_HOST_CPU is the CPU the programs were built for.
AM_TESTS_ENVIRONMENT = top_builddir='$(abs_top_builddir)'; \
	top_srcdir='$(abs_top_srcdir)'; \
	PCPU_EXEC='$(abs_top_builddir)/tests/run-test --exec'; \
	PCPU_TEST_EMULATOR=$${PCPU_TEST_EMULATOR-'$(TEST_EMULATOR)'}; \
	PCPU_HOST_CPU='$(host_cpu)'; \
	export top_builddir top_srcdir PCPU_EXEC PCPU_TEST_EMULATOR PCPU_HOST_CPU;

EXTRA_DIST += tests/run-test.in
