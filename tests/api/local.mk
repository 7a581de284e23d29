# The API's tests, one program per concept, written against the contract of
# include/pcpu.h so that they hold for every implementation; each runs in
# the four variants (tests/local.mk).
tap_tests += \
	tests/api/counter \
	tests/api/counter_tree \
	tests/api/ref \
	tests/api/memory \
	tests/api/stats \
	tests/api/c11 \
	tests/api/cxx \
	tests/api/identity \
	tests/api/misuse_rules
tests_api_counter_SOURCES = tests/api/counter.c
tests_api_counter_tree_SOURCES = tests/api/counter_tree.c
tests_api_ref_SOURCES = tests/api/ref.c
tests_api_memory_SOURCES = tests/api/memory.c
tests_api_stats_SOURCES = tests/api/stats.c
# The header in strict ISO C11 and in C++.
tests_api_c11_SOURCES = tests/api/c11.c
tests_api_c11_CFLAGS = -std=c11 -pedantic-errors -pthread $(WARN_CFLAGS)
tests_api_cxx_SOURCES = tests/api/cxx.cc
tests_api_cxx_CXXFLAGS = -std=c++11 -pedantic-errors $(AM_CXXFLAGS)
# Which implementation serves the API, and the number of copies.
tests_api_identity_SOURCES = tests/api/identity.c
# Misuse both libraries must judge alike: destroy groups, get/put_many
# counts, NULL objects (issue 15).
tests_api_misuse_rules_SOURCES = tests/api/misuse_rules.c

# The suites again, compiled with -DPCPU_NO_INLINE: every operation a
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
