# Tests.  Every TAP program in tap_tests runs once linked against
# libpcpu-api (NAME.api.tap) and once per access mode with libpcpu.so
# preloaded (NAME.rseq.tap, NAME.atomic.tap, NAME.local.tap): the markers are
# empty files whose names tell tests/run-test what to run.
check_LIBRARIES += tests/libtap.a
tests_libtap_a_SOURCES = tests/tap.c tests/tap.h

tap_tests = \
	tests/counter \
	tests/counter_tree \
	tests/counter_limited \
	tests/identity \
	tests/arena_alloc \
	tests/arena_lazy \
	tests/cpu_churn \
	tests/cpu_fork \
	tests/cpu_signal \
	tests/cpu_stress \
	tests/tree_shape

tests_arena_alloc_SOURCES = tests/arena_alloc.c
tests_arena_lazy_SOURCES = tests/arena_lazy.c
tests_counter_SOURCES = tests/counter.c
tests_counter_limited_SOURCES = tests/counter_limited.c
tests_counter_tree_SOURCES = tests/counter_tree.c
tests_identity_SOURCES = tests/identity.c
# Internal unit test: the shape code compiled in.
tests_tree_shape_SOURCES = tests/tree_shape.c runtime/counter/tree_shape.c \
	runtime/counter/tree_shape.h
tests_tree_shape_LDADD = tests/libtap.a libpcpu-api.la

tap_tests += tests/ref_state tests/ref_misuse tests/ref_kill tests/ref_switch
tests_ref_state_SOURCES = tests/ref_state.c
tests_ref_misuse_SOURCES = tests/ref_misuse.c
tests_ref_kill_SOURCES = tests/ref_kill.c
tests_ref_switch_SOURCES = tests/ref_switch.c
# Cancellation during kill and switch, then fork() (issue 15).
tap_tests += tests/ref_cancel
tests_ref_cancel_SOURCES = tests/ref_cancel.c
# Misuse both libraries must judge alike: destroy groups, get/put_many
# counts, NULL objects (issue 15).
tap_tests += tests/misuse_rules
tests_misuse_rules_SOURCES = tests/misuse_rules.c
# Gated adds that cannot map a gate reader (issue 15).
tap_tests += tests/gate_nomem
tests_gate_nomem_SOURCES = tests/gate_nomem.c
# The whole suite under UBSan, in a build of its own (.ci/sanitize-check.sh).
EXTRA_DIST += .ci/sanitize-check.sh
check-ubsan:
	$(SHELL) $(srcdir)/.ci/sanitize-check.sh undefined $(abs_top_builddir)/build-ubsan
.PHONY: check-ubsan
# The issue 15 tests again in local mode without rseq.
TESTS += tests/local_readers.sh
EXTRA_DIST += tests/local_readers.sh

# The access modes (issue 4): public behaviour in every variant, the
# runtime's internals in the three modes, glibc's rseq tunable and valgrind.
cpu_test_sources = tests/cpu_test.c tests/cpu_test.h
tests_cpu_churn_SOURCES = tests/cpu_churn.c $(cpu_test_sources)
tests_cpu_fork_SOURCES = tests/cpu_fork.c $(cpu_test_sources)
tests_cpu_signal_SOURCES = tests/cpu_signal.c $(cpu_test_sources)
tests_cpu_stress_SOURCES = tests/cpu_stress.c $(cpu_test_sources)

mode_tests = tests/cpu_internal
check_PROGRAMS += $(mode_tests)
tests_cpu_internal_SOURCES = tests/cpu_internal.c $(cpu_test_sources) \
	runtime/cpu/cpu.c runtime/cpu/mode_atomic.c runtime/cpu/gate.c runtime/cpu/mode_local.c \
	runtime/cpu/mode_rseq.c runtime/cpu/rseq_area.c runtime/cpu/thread.c runtime/cpu/unit.c \
	runtime/debug/config.c shim/common/cpus.c shim/common/diag.c
tests_cpu_internal_LDADD = tests/libtap.a libpcpu-api.la
# The same, behaving as with a glibc that registers no rseq area (the
# runtime registers its own); run by tests/cpu_tunable.sh.
check_PROGRAMS += tests/cpu_internal_own
tests_cpu_internal_own_SOURCES = $(tests_cpu_internal_SOURCES)
tests_cpu_internal_own_CPPFLAGS = $(AM_CPPFLAGS) -DCPU_RSEQ_IGNORE_GLIBC
tests_cpu_internal_own_LDADD = $(tests_cpu_internal_LDADD)
mode_markers = $(mode_tests:=.rseq.tap) $(mode_tests:=.atomic.tap) \
	$(mode_tests:=.local.tap)
TESTS += $(mode_markers)
CLEANFILES += $(mode_markers)

cpu_scripts = tests/cpu_tunable.sh tests/cpu_valgrind.sh
TESTS += $(cpu_scripts)
EXTRA_DIST += $(cpu_scripts) tests/cpu_script.sh

check_PROGRAMS += $(tap_tests)
LDADD = libpcpu-api.la tests/libtap.a
# Real binaries, not libtool wrappers, so emulators and preloads see them.
AM_LDFLAGS = -no-install

tap_markers = $(tap_tests:=.api.tap) $(tap_tests:=.rseq.tap) \
	$(tap_tests:=.atomic.tap) $(tap_tests:=.local.tap)
TESTS += $(tap_markers)
TESTS += tests/counter_tree_shapes.sh
EXTRA_DIST += tests/counter_tree_shapes.sh
CLEANFILES += $(tap_markers)

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
TAP_LOG_COMPILER = $(SHELL) $(top_builddir)/tests/run-test
SH_LOG_DRIVER = $(TAP_DRIVER)
SH_LOG_COMPILER = $(SHELL)
# Programs in TESTS as they are (no extension), emulated in a cross build.
LOG_COMPILER = $(SHELL) $(top_builddir)/tests/run-test --exec
# For shell-driven tests (tests/run-test says more): PCPU_EXEC runs a test
# program, under PCPU_TEST_EMULATOR when that is not empty (a cross build);
# PCPU_HOST_CPU is the CPU the programs were built for.
AM_TESTS_ENVIRONMENT = top_builddir='$(abs_top_builddir)'; \
	PCPU_TEST_PLUGIN='$(abs_top_builddir)/tests/.libs/inline_plugin.so'; \
	top_srcdir='$(abs_top_srcdir)'; NM='$(NM)'; \
	PCPU_EXEC='$(abs_top_builddir)/tests/run-test --exec'; \
	PCPU_TEST_EMULATOR=$${PCPU_TEST_EMULATOR-'$(TEST_EMULATOR)'}; \
	PCPU_HOST_CPU='$(host_cpu)'; \
	export top_builddir top_srcdir NM PCPU_TEST_PLUGIN PCPU_EXEC PCPU_TEST_EMULATOR PCPU_HOST_CPU;

EXTRA_DIST += tests/run-test.in

# The API's tests, one program per concept, written against the contract of
# include/pcpu.h so that they hold for every implementation.
tap_tests += \
	tests/api/counter \
	tests/api/counter_tree \
	tests/api/ref \
	tests/api/c11 \
	tests/api/cxx \
	tests/api/memory \
	tests/api/stats
tests_api_counter_SOURCES = tests/api/counter.c
tests_api_counter_tree_SOURCES = tests/api/counter_tree.c
tests_api_ref_SOURCES = tests/api/ref.c
# The header in strict ISO C11 and in C++.
tests_api_c11_SOURCES = tests/api/c11.c
tests_api_c11_CFLAGS = -std=c11 -pedantic-errors -pthread $(WARN_CFLAGS)
tests_api_cxx_SOURCES = tests/api/cxx.cc
tests_api_cxx_CXXFLAGS = -std=c++11 -pedantic-errors $(AM_CXXFLAGS)

tests_api_memory_SOURCES = tests/api/memory.c
tests_api_stats_SOURCES = tests/api/stats.c

# The exported symbols of the two libraries, against each other and pcpu.h.
TESTS += tests/abi.sh
EXTRA_DIST += tests/abi.sh

# The demonstration: an instrumented program, run plain and preloaded.
noinst_PROGRAMS += tests/demo
tests_demo_SOURCES = tests/demo.c
tests_demo_LDADD = libpcpu-api.la
EXTRA_DIST += tests/demo.sh

.PHONY: demo
demo: tests/demo$(EXEEXT) libpcpu.la
	@$(SHELL) $(srcdir)/tests/demo.sh ./tests/demo$(EXEEXT) \
		$(abs_top_builddir)/.libs/libpcpu.so $(DEMO_ARGS)

# Tests that run once, as plain TAP programs (no extension, no variant):
# internal ones compile the runtime sources they test into the program;
# the others probe the built libpcpu.so itself.
once_tests = tests/arena_bitmap tests/arena_dlopen
tests_arena_bitmap_SOURCES = tests/arena_bitmap.c runtime/arena/bitmap.c runtime/arena/bitmap.h
tests_arena_bitmap_LDADD = tests/libtap.a libpcpu-api.la
tests_arena_dlopen_SOURCES = tests/arena_dlopen.c
tests_arena_dlopen_LDADD = tests/libtap.a libpcpu-api.la
# dlclose() never unloads libpcpu.so (issue 15).
once_tests += tests/dlclose
tests_dlclose_SOURCES = tests/dlclose.c
tests_dlclose_LDADD = tests/libtap.a libpcpu-api.la -ldl
# pcpu-bench's statistics, report writer and first-fit baseline allocator:
# internal tests that compile the bench sources they test.
once_tests += tests/bench-stats tests/bench-report tests/bench-firstfit
bench_test_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/bench -I$(top_srcdir)/tests
tests_bench_stats_SOURCES = tests/bench-stats.c bench/stats.c bench/stats.h
tests_bench_stats_CPPFLAGS = $(bench_test_cppflags)
tests_bench_stats_LDADD = tests/libtap.a libpcpu-api.la -lm
tests_bench_report_SOURCES = tests/bench-report.c bench/report.c bench/report.h \
	bench/stats.h
tests_bench_report_CPPFLAGS = $(bench_test_cppflags)
tests_bench_report_LDADD = tests/libtap.a libpcpu-api.la -lm
tests_bench_firstfit_SOURCES = tests/bench-firstfit.c bench/firstfit.c bench/firstfit.h
tests_bench_firstfit_CPPFLAGS = $(bench_test_cppflags)
tests_bench_firstfit_LDADD = tests/libtap.a libpcpu-api.la
check_PROGRAMS += $(once_tests)
TESTS += $(once_tests) tests/arena_private.sh
EXTRA_DIST += tests/arena_private.sh
LOG_DRIVER = $(TAP_DRIVER)

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
# The same, linked with libpcpu.so itself: a set-user-ID program ignores
# LD_PRELOAD (tests/privileged.sh).
check_PROGRAMS += tests/probe_rt
tests_probe_rt_SOURCES = tests/probe.c
tests_probe_rt_LDADD = libpcpu.la
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
# Privilege, the statistics file and start-up without memory (issue 15).
shim_tests += tests/privileged.sh
EXTRA_DIST += tests/wrk-service.sh tests/speed.sh

# example_wordfreq plain and preloaded, alternating: the speed-up in one line.
.PHONY: wordfreq-speed
wordfreq-speed: tests/example_wordfreq$(EXEEXT) libpcpu.la
	@$(SHELL) $(srcdir)/tests/speed.sh run $(abs_top_builddir)/.libs/libpcpu.so 5 \
		./tests/example_wordfreq$(EXEEXT)

# The inline fast paths (issue 13): tests/inline counts the calls the
# program's inline code makes, through its own definitions of the exported
# functions (-export-dynamic), and runs the same code from a linked shared
# library and a dlopen()ed plugin.
tap_tests += tests/inline
tests_inline_SOURCES = tests/inline.c tests/inline_calls.c tests/inline_calls.h \
	tests/inline_lib.h
tests_inline_LDADD = tests/libinline_linked.la $(LDADD) -ldl
tests_inline_LDFLAGS = $(AM_LDFLAGS) -export-dynamic
check_LTLIBRARIES += tests/libinline_linked.la tests/inline_plugin.la
tests_libinline_linked_la_SOURCES = tests/inline_lib.c tests/inline_lib.h
tests_libinline_linked_la_CPPFLAGS = $(AM_CPPFLAGS) -DINLINE_LIB_ENTRY=inline_linked_run
tests_libinline_linked_la_LIBADD = libpcpu-api.la
tests_libinline_linked_la_LDFLAGS = -rpath $(abs_builddir)/tests -avoid-version \
	-no-undefined
tests_inline_plugin_la_SOURCES = tests/inline_lib.c tests/inline_lib.h
tests_inline_plugin_la_CPPFLAGS = $(AM_CPPFLAGS) -DINLINE_LIB_ENTRY=inline_plugin_run
tests_inline_plugin_la_LIBADD = libpcpu-api.la
tests_inline_plugin_la_LDFLAGS = -module -rpath $(abs_builddir)/tests -avoid-version \
	-no-undefined

# The API suites again, compiled with -DPCPU_NO_INLINE: every operation a
# call, as such callers make them.
tap_tests += tests/api/counter_noinline tests/api/counter_tree_noinline \
	tests/api/ref_noinline tests/api/memory_noinline
noinline_cppflags = $(AM_CPPFLAGS) -DPCPU_NO_INLINE
tests_api_counter_noinline_SOURCES = tests/api/counter.c
tests_api_counter_noinline_CPPFLAGS = $(noinline_cppflags)
tests_api_counter_tree_noinline_SOURCES = tests/api/counter_tree.c
tests_api_counter_tree_noinline_CPPFLAGS = $(noinline_cppflags)
tests_api_ref_noinline_SOURCES = tests/api/ref.c
tests_api_ref_noinline_CPPFLAGS = $(noinline_cppflags)
tests_api_memory_noinline_SOURCES = tests/api/memory.c
tests_api_memory_noinline_CPPFLAGS = $(noinline_cppflags)
# The same program built without PIE: the descriptor is then a copy in the
# program (a copy relocation), which the libraries must write through
# their GOT (-Bsymbolic-functions, not -Bsymbolic).
tap_tests += tests/inline_nopie
tests_inline_nopie_SOURCES = $(tests_inline_SOURCES)
tests_inline_nopie_CFLAGS = $(AM_CFLAGS) -fno-pie
tests_inline_nopie_LDADD = $(tests_inline_LDADD)
tests_inline_nopie_LDFLAGS = $(tests_inline_LDFLAGS) -no-pie

# Kernel code as a drop-in (issue 14): kernel-style programs compiled
# against <pcpu/linux.h>, one per family, in every variant.  libvars.so
# defines static per-CPU variables that tests/linux/percpu declares.
check_LTLIBRARIES += tests/linux/libvars.la
tests_linux_libvars_la_SOURCES = tests/linux/vars.c tests/linux/vars.h
tests_linux_libvars_la_LIBADD = libpcpu-api.la
tests_linux_libvars_la_LDFLAGS = -rpath $(abs_builddir)/tests/linux -avoid-version \
	-no-undefined
tap_tests += tests/linux/percpu
tests_linux_percpu_SOURCES = tests/linux/percpu.c tests/linux/pin.h
tests_linux_percpu_LDADD = tests/linux/libvars.la $(LDADD)
tap_tests += tests/linux/counter
tests_linux_counter_SOURCES = tests/linux/counter.c tests/linux/pin.h
tap_tests += tests/linux/ref
tests_linux_ref_SOURCES = tests/linux/ref.c
tap_tests += tests/linux/tree
tests_linux_tree_SOURCES = tests/linux/tree.c
