#!/bin/sh
# The mode actually in force when rseq is asked for but refused: with
# GLIBC_TUNABLES=glibc.pthread.rseq=0 glibc registers no rseq area, so
# PCPU_MODE=rseq and PCPU_MODE=auto must land in atomic mode (local on
# aarch64 for auto), and the mode tests must pass there (tap_start checks
# pcpu_runtime() names the expected mode).  Without the tunable, auto picks
# local on x86-64 (every thread has glibc's rseq area, see runtime/cpu.c).
. "$top_srcdir/tests/utils/cpu_script.sh"

auto_fallback=atomic
[ "$PCPU_HOST_CPU" = aarch64 ] && auto_fallback=local

export GLIBC_TUNABLES=glibc.pthread.rseq=0 PCPU_TEST_SECONDS=0.3
# The refs and tree counters too: their atomic-mode paths without an rseq
# area (sched_getcpu()) run nowhere else natively.
for t in api/identity stress/cpu_stress stress/cpu_signal process/cpu_fork stress/cpu_churn \
	stress/ref_switch stress/ref_kill api/counter_tree; do
	run_expect "$t: PCPU_MODE=rseq under the tunable runs atomic" rseq atomic "$t"
done
run_expect "cpu_internal: PCPU_MODE=rseq under the tunable runs atomic" rseq atomic unit/cpu_internal
run_expect "identity: PCPU_MODE=auto under the tunable runs $auto_fallback" auto \
	"$auto_fallback" api/identity
# A glibc without rseq support (simulated by tests/unit/cpu_internal_own, with
# glibc's registration off so the kernel takes ours): the runtime registers
# each thread's own area and runs rseq.
n=$((n + 1))
if [ "$PCPU_HOST_CPU" != x86_64 ] || [ -n "$PCPU_TEST_EMULATOR" ]; then
	echo "ok $n - own rseq areas # SKIP x86-64 with rseq only"
elif out=$($PCPU_EXEC PCPU_MODE=rseq CPU_TEST_MODE=rseq PCPU_TEST_EXPECT=api \
	"$top_builddir/tests/unit/cpu_internal_own" 2>&1); then
	echo "ok $n - cpu_internal_own: rseq on the runtime's own rseq areas"
else
	echo "not ok $n - cpu_internal_own: rseq on the runtime's own rseq areas"
	echo "$out" | sed 's/^/# /'
	failed=$((failed + 1))
fi
unset GLIBC_TUNABLES
if [ -n "$PCPU_TEST_EMULATOR" ]; then
	run_expect "identity: PCPU_MODE=auto, emulated (no rseq), runs $auto_fallback" \
		auto "$auto_fallback" api/identity
elif [ "$PCPU_HOST_CPU" = x86_64 ]; then
	run_expect "identity: PCPU_MODE=auto runs local" auto local api/identity
fi
finish
