# The library in a process, as users meet it (issues 7, 13, 15): life
# cycle and fork, loading with dlopen() and unloading, the exported ABI,
# process hygiene, configuration, privilege and the pcpu-run wrapper.

# The life cycle: first calls from another library's constructor (libearly),
# fork, exit; fork() while other threads update per-CPU data.
check_LTLIBRARIES = tests/process/libearly.la
tests_process_libearly_la_SOURCES = tests/process/early_lib.c tests/process/early_lib.h
tests_process_libearly_la_LIBADD = libpcpu-api.la
# -rpath makes it a shared library, which a convenience library is not.
tests_process_libearly_la_LDFLAGS = -rpath $(abs_builddir)/tests/process -avoid-version \
	-no-undefined
tap_tests += tests/process/lifecycle tests/process/cpu_fork tests/process/scope \
	tests/process/arena_lazy
tests_process_lifecycle_SOURCES = tests/process/lifecycle.c
tests_process_lifecycle_LDADD = tests/process/libearly.la $(LDADD)
tests_process_cpu_fork_SOURCES = tests/process/cpu_fork.c $(cpu_test_sources)
# What the runtime leaves in the global scope, from C++.
tests_process_scope_SOURCES = tests/process/scope.cc
tests_process_scope_LDADD = $(LDADD) -ldl
# pcpu.h's pcpu_stats() hides struct pcpu_stats's implicit constructor,
# which -Wshadow reports in C++ only.
tests_process_scope_CXXFLAGS = $(AM_CXXFLAGS) -Wno-shadow
# Lazily committed memory: resident set with many possible CPUs.
tests_process_arena_lazy_SOURCES = tests/process/arena_lazy.c

# The built libpcpu.so itself, once: dlopen() with and without static TLS
# to spare, and dlclose() that never unloads it (issue 15).
once_tests += tests/process/arena_dlopen tests/process/dlclose
tests_process_arena_dlopen_SOURCES = tests/process/arena_dlopen.c
tests_process_arena_dlopen_LDADD = tests/utils/libtap.a libpcpu-api.la
tests_process_dlclose_SOURCES = tests/process/dlclose.c
tests_process_dlclose_LDADD = tests/utils/libtap.a libpcpu-api.la -ldl

# The exported symbols of the two libraries, against each other and pcpu.h,
# and what libpcpu.so exports and links.
process_scripts = tests/process/abi.sh tests/process/arena_private.sh

# The shell tests' probe, run under various environments.
check_PROGRAMS += tests/process/probe
tests_process_probe_SOURCES = tests/process/probe.c
# The same, linked with libpcpu.so itself: a set-user-ID program ignores
# LD_PRELOAD (tests/process/privileged.sh).
check_PROGRAMS += tests/process/probe_rt
tests_process_probe_rt_SOURCES = tests/process/probe.c
tests_process_probe_rt_LDADD = libpcpu.la
# Configuration, process hygiene, the life cycle's order, pcpu-run, and
# privilege, the statistics file and start-up without memory (issue 15).
process_scripts += tests/process/config.sh tests/process/hygiene.sh \
	tests/process/lifecycle.sh tests/process/pcpu-run.sh tests/process/privileged.sh
TESTS += $(process_scripts)
EXTRA_DIST += $(process_scripts)

# The inline fast paths (issue 13): tests/process/inline counts the calls
# the program's inline code makes, through its own definitions of the
# exported functions (-export-dynamic), and runs the same code from a
# linked shared library and a dlopen()ed plugin.
tap_tests += tests/process/inline
tests_process_inline_SOURCES = tests/process/inline.c tests/process/inline_calls.c \
	tests/process/inline_calls.h tests/process/inline_lib.h
tests_process_inline_LDADD = tests/process/libinline_linked.la $(LDADD) -ldl
tests_process_inline_LDFLAGS = $(AM_LDFLAGS) -export-dynamic
check_LTLIBRARIES += tests/process/libinline_linked.la tests/process/inline_plugin.la
tests_process_libinline_linked_la_SOURCES = tests/process/inline_lib.c \
	tests/process/inline_lib.h
tests_process_libinline_linked_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DINLINE_LIB_ENTRY=inline_linked_run
tests_process_libinline_linked_la_LIBADD = libpcpu-api.la
tests_process_libinline_linked_la_LDFLAGS = -rpath $(abs_builddir)/tests/process \
	-avoid-version -no-undefined
tests_process_inline_plugin_la_SOURCES = tests/process/inline_lib.c \
	tests/process/inline_lib.h
tests_process_inline_plugin_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DINLINE_LIB_ENTRY=inline_plugin_run
tests_process_inline_plugin_la_LIBADD = libpcpu-api.la
tests_process_inline_plugin_la_LDFLAGS = -module -rpath $(abs_builddir)/tests/process \
	-avoid-version -no-undefined
# The same program built without PIE: the descriptor is then a copy in the
# program (a copy relocation), which the libraries must write through
# their GOT (-Bsymbolic-functions, not -Bsymbolic).
tap_tests += tests/process/inline_nopie
tests_process_inline_nopie_SOURCES = $(tests_process_inline_SOURCES)
tests_process_inline_nopie_CFLAGS = $(AM_CFLAGS) -fno-pie
tests_process_inline_nopie_LDADD = $(tests_process_inline_LDADD)
tests_process_inline_nopie_LDFLAGS = $(tests_process_inline_LDFLAGS) -no-pie
