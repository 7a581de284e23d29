# Tests, one folder per kind, each with its local.mk:
#   tests/utils/    the harness: tap.h/tap.c (TAP for C), shtap.sh (for
#                   shell), run-test (the variant launcher), shared helpers
#   tests/api/      one suite per concept, against pcpu.h's contract
#   tests/unit/     the engine's units, runtime sources compiled in
#   tests/stress/   concurrency and long-running races
#   tests/process/  the library in a process: loading, linking, fork,
#                   exit, privilege, configuration, process hygiene
#   tests/linux/    kernel code as a drop-in (<pcpu/linux.h>)
# (examples/local.mk runs the examples and the demo.)
#
# Every TAP program in tap_tests runs once linked against libpcpu-api
# (NAME.api.tap) and once per access mode with libpcpu.so preloaded
# (NAME.rseq.tap, NAME.atomic.tap, NAME.local.tap): the markers are empty
# files whose names tell tests/utils/run-test what to run.  Programs in
# once_tests run once, as plain TAP programs (no extension, no variant).
check_LIBRARIES += tests/utils/libtap.a
tests_utils_libtap_a_SOURCES = tests/utils/tap.c tests/utils/tap.h
# The access modes' shared test helpers (pinning, CPU sets).
cpu_test_sources = tests/utils/cpu_test.c tests/utils/cpu_test.h

tap_tests =
once_tests =
mode_tests =
check_PROGRAMS += $(tap_tests) $(mode_tests) $(once_tests)
LDADD = libpcpu-api.la tests/utils/libtap.a
# Real binaries, not libtool wrappers, so emulators and preloads see them.
AM_LDFLAGS = -no-install

tap_markers = $(tap_tests:=.api.tap) $(tap_tests:=.rseq.tap) \
	$(tap_tests:=.atomic.tap) $(tap_tests:=.local.tap)
# The internal mode tests run in the three modes only.
mode_markers = $(mode_tests:=.rseq.tap) $(mode_tests:=.atomic.tap) \
	$(mode_tests:=.local.tap)
TESTS += $(tap_markers) $(mode_markers) $(once_tests)
CLEANFILES += $(tap_markers) $(mode_markers)

# One rule per variant: a pattern rule with several targets would be one
# recipe making them all, and the markers it did not touch would be looked
# up in $(srcdir) by VPATH builds.
tests/%.api.tap: tests/%$(EXEEXT)
	@: >$@
tests/%.rseq.tap: tests/%$(EXEEXT)
	@: >$@
tests/%.atomic.tap: tests/%$(EXEEXT)
	@: >$@
tests/%.local.tap: tests/%$(EXEEXT)
	@: >$@

TEST_EXTENSIONS = .tap .sh
TAP_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TAP_LOG_DRIVER = $(TAP_DRIVER)
TAP_LOG_COMPILER = $(SHELL) $(top_builddir)/tests/utils/run-test
SH_LOG_DRIVER = $(TAP_DRIVER)
SH_LOG_COMPILER = $(SHELL)
# Programs in TESTS as they are (no extension), emulated in a cross build.
LOG_DRIVER = $(TAP_DRIVER)
LOG_COMPILER = $(SHELL) $(top_builddir)/tests/utils/run-test --exec
# For shell-driven tests (tests/utils/run-test says more): PCPU_EXEC runs a
# test program, under PCPU_TEST_EMULATOR when that is not empty (a cross
# build); PCPU_HOST_CPU is the CPU the programs were built for.
AM_TESTS_ENVIRONMENT = top_builddir='$(abs_top_builddir)'; \
	PCPU_TEST_PLUGIN='$(abs_top_builddir)/tests/process/.libs/inline_plugin.so'; \
	top_srcdir='$(abs_top_srcdir)'; NM='$(NM)'; \
	PCPU_EXEC='$(abs_top_builddir)/tests/utils/run-test --exec'; \
	PCPU_TEST_EMULATOR=$${PCPU_TEST_EMULATOR-'$(TEST_EMULATOR)'}; \
	PCPU_HOST_CPU='$(host_cpu)'; \
	export top_builddir top_srcdir NM PCPU_TEST_PLUGIN PCPU_EXEC PCPU_TEST_EMULATOR PCPU_HOST_CPU;

EXTRA_DIST += tests/utils/run-test.in tests/utils/shtap.sh tests/utils/cpu_script.sh \
	tests/utils/count-assertions.sh

# The whole suite under a sanitizer, each in a build of its own
# (.ci/sanitize-check.sh says how the preload and the sanitizers mix).
EXTRA_DIST += .ci/sanitize-check.sh
check-ubsan:
	$(SHELL) $(srcdir)/.ci/sanitize-check.sh undefined $(abs_top_builddir)/build-ubsan
check-asan:
	$(SHELL) $(srcdir)/.ci/sanitize-check.sh address $(abs_top_builddir)/build-asan
check-tsan:
	$(SHELL) $(srcdir)/.ci/sanitize-check.sh thread $(abs_top_builddir)/build-tsan
.PHONY: check-ubsan check-asan check-tsan

include $(srcdir)/tests/api/local.mk
include $(srcdir)/tests/unit/local.mk
include $(srcdir)/tests/stress/local.mk
include $(srcdir)/tests/process/local.mk
include $(srcdir)/tests/linux/local.mk

