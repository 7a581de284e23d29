# Unit tests of the engine: each compiles the runtime sources it tests into
# the program.
# The tree counters' shapes; a TAP program in the four variants.
tap_tests += tests/unit/tree_shape
tests_unit_tree_shape_SOURCES = tests/unit/tree_shape.c runtime/counter/tree_shape.c \
	runtime/counter/tree_shape.h
tests_unit_tree_shape_LDADD = tests/utils/libtap.a libpcpu-api.la

# The arena's bitmap, once.
once_tests += tests/unit/arena_bitmap
tests_unit_arena_bitmap_SOURCES = tests/unit/arena_bitmap.c runtime/arena/bitmap.c \
	runtime/arena/bitmap.h
tests_unit_arena_bitmap_LDADD = tests/utils/libtap.a libpcpu-api.la

# The access modes (issue 4): the runtime's internals in the three modes,
# glibc's rseq tunable and valgrind.
mode_tests += tests/unit/cpu_internal
tests_unit_cpu_internal_SOURCES = tests/unit/cpu_internal.c $(cpu_test_sources) \
	runtime/cpu/cpu.c runtime/cpu/mode_atomic.c runtime/cpu/gate.c \
	runtime/cpu/mode_local.c runtime/cpu/mode_rseq.c runtime/cpu/rseq_area.c \
	runtime/cpu/thread.c runtime/cpu/unit.c \
	runtime/debug/config.c shim/common/cpus.c shim/common/diag.c
tests_unit_cpu_internal_LDADD = tests/utils/libtap.a libpcpu-api.la
# The same, behaving as with a glibc that registers no rseq area (the
# runtime registers its own); run by tests/unit/cpu_tunable.sh.
check_PROGRAMS += tests/unit/cpu_internal_own
tests_unit_cpu_internal_own_SOURCES = $(tests_unit_cpu_internal_SOURCES)
tests_unit_cpu_internal_own_CPPFLAGS = $(AM_CPPFLAGS) -DCPU_RSEQ_IGNORE_GLIBC
tests_unit_cpu_internal_own_LDADD = $(tests_unit_cpu_internal_LDADD)

cpu_scripts = tests/unit/cpu_tunable.sh tests/unit/cpu_valgrind.sh
TESTS += $(cpu_scripts)
EXTRA_DIST += $(cpu_scripts)
