# Concurrency: threads racing the API's operations against models, under
# migration, signals, cancellation, thread churn and memory limits; each
# a TAP program in the four variants.
tap_tests += \
	tests/stress/cpu_churn \
	tests/stress/cpu_signal \
	tests/stress/cpu_stress \
	tests/stress/counter_limited \
	tests/stress/ref_kill \
	tests/stress/ref_switch \
	tests/stress/ref_cancel \
	tests/stress/gate_nomem
tests_stress_cpu_churn_SOURCES = tests/stress/cpu_churn.c $(cpu_test_sources)
tests_stress_cpu_signal_SOURCES = tests/stress/cpu_signal.c $(cpu_test_sources)
tests_stress_cpu_stress_SOURCES = tests/stress/cpu_stress.c $(cpu_test_sources)
tests_stress_counter_limited_SOURCES = tests/stress/counter_limited.c
tests_stress_ref_kill_SOURCES = tests/stress/ref_kill.c
tests_stress_ref_switch_SOURCES = tests/stress/ref_switch.c
# Cancellation during kill and switch, then fork() (issue 15).
tests_stress_ref_cancel_SOURCES = tests/stress/ref_cancel.c
# Gated adds that cannot map a gate reader (issue 15).
tests_stress_gate_nomem_SOURCES = tests/stress/gate_nomem.c

# The tree counters at every shape the runtime can be asked for.
TESTS += tests/stress/counter_tree_shapes.sh
EXTRA_DIST += tests/stress/counter_tree_shapes.sh
# The issue 15 tests again in local mode without rseq.
TESTS += tests/stress/local_readers.sh
EXTRA_DIST += tests/stress/local_readers.sh
