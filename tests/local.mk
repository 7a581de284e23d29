# Tests.  Every TAP program in tap_tests runs once linked against
# libpcpu-api (NAME.api.tap) and once per access mode with libpcpu.so
# preloaded (NAME.rseq.tap, NAME.atomic.tap, NAME.local.tap): the markers are
# empty files whose names tell tests/run-test what to run.
check_LIBRARIES += tests/libtap.a
tests_libtap_a_SOURCES = tests/tap.c tests/tap.h

tap_tests = \
	tests/arena_alloc \
	tests/arena_lazy \
	tests/identity

tests_arena_alloc_SOURCES = tests/arena_alloc.c
tests_arena_lazy_SOURCES = tests/arena_lazy.c
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

# Tests that run once, as plain TAP programs (no extension, no variant):
# internal ones compile the runtime sources they test into the program;
# the others probe the built libpcpu.so itself.
once_tests = tests/arena_bitmap tests/arena_dlopen
tests_arena_bitmap_SOURCES = tests/arena_bitmap.c runtime/bitmap.c runtime/bitmap.h
tests_arena_bitmap_LDADD = tests/libtap.a libpcpu-api.la
tests_arena_dlopen_SOURCES = tests/arena_dlopen.c
tests_arena_dlopen_LDADD = tests/libtap.a libpcpu-api.la
check_PROGRAMS += $(once_tests)
TESTS += $(once_tests) tests/arena_private.sh
EXTRA_DIST += tests/arena_private.sh
LOG_DRIVER = $(TAP_DRIVER)
