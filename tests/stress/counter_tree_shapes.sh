#!/bin/sh
# The tree counters at every required shape: tests/api/counter_tree with
# libpcpu.so preloaded in atomic mode and PCPU_NR_CPUS leaves.  Leaf
# counts below the machine's possible CPUs cannot be asked for; the
# tree_shape unit test covers them.
prog=$top_builddir/tests/api/counter_tree
lib=$top_builddir/.libs/libpcpu.so
possible=$($PCPU_EXEC PCPU_TEST_EXPECT=api "$top_builddir/tests/api/identity" |
	sed -n 's/.*cpus=\([0-9]*\).*/\1/p' | head -n 1)
n=0
echo "1..10"
for leaves in 1 2 3 7 8 9 64 255 256 4096; do
	n=$((n + 1))
	if [ "$leaves" -lt "${possible:-1}" ]; then
		echo "ok $n - $leaves leaves # SKIP fewer than the $possible possible CPUs"
		continue
	fi
	out=$($PCPU_EXEC LD_PRELOAD=$lib PCPU_MODE=atomic \
		PCPU_NR_CPUS=$leaves PCPU_TEST_EXPECT=atomic \
		PCPU_TEST_SECONDS=${PCPU_TEST_SECONDS:-0.2} "$prog" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && echo "$out" | grep -q "cpus=$leaves)"; then
		echo "ok $n - $leaves leaves"
	else
		echo "not ok $n - $leaves leaves (exit $rc)"
		echo "$out" | sed 's/^/# /'
	fi
done
