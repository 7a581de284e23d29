#!/bin/sh
# The core mode tests under valgrind, which does not implement rseq: the
# runtime must fall back to atomic mode and pass, with no memory error.
. "$top_srcdir/tests/utils/cpu_script.sh"

if [ -n "$PCPU_TEST_EMULATOR" ]; then
	echo "1..0 # SKIP valgrind cannot run emulated programs"
	exit 0
fi
if [ -n "${PCPU_TEST_SANITIZER:-}" ]; then
	echo "1..0 # SKIP valgrind cannot run sanitizer builds"
	exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
	echo "1..0 # SKIP valgrind is not installed"
	exit 0
fi
export PCPU_TEST_SECONDS=0.2
vg="valgrind -q --error-exitcode=97"
for t in api/identity stress/cpu_stress stress/cpu_signal; do
	run_expect "$t under valgrind: rseq falls back to atomic" rseq atomic "$vg" "$t"
done
run_expect "cpu_internal under valgrind: atomic" rseq atomic "$vg" unit/cpu_internal
run_expect "cpu_stress under valgrind: local" local local "$vg" stress/cpu_stress
finish
