#!/bin/sh
# SPDX-License-Identifier: MIT
# The example programs, linked with libpcpu-api: run plain, then with
# libpcpu.so preloaded in each access mode, with identical output (each also
# checks its counters itself); then under pcpu-run with statistics and the
# leak checker.
. "$top_srcdir/tests/utils/shtap.sh"
PCPU_RUN_LIBRARY=$runtime_so
export PCPU_RUN_LIBRARY
unset LD_PRELOAD PCPU_MODE PCPU_STATS PCPU_DEBUG PCPU_VERBOSE
examples=$top_builddir/examples

# Smaller runs under an emulator, the same in every variant.
for prog in example_service example_wordfreq; do
	args=
	if emulated; then
		case $prog in
		example_service) args="--threads 3" ;;
		example_wordfreq) args="--words 50000" ;;
		esac
	fi
	run_prog "$examples/$prog" $args >"$shtap_tmp/plain" 2>"$shtap_tmp/err"
	status=$?
	[ $status -eq 0 ] && [ -s "$shtap_tmp/plain" ] && [ ! -s "$shtap_tmp/err" ]
	ok $? "$prog runs plain (libpcpu-api)"
	diag "$shtap_tmp/plain"
	diag "$shtap_tmp/err"
	for mode in rseq atomic local; do
		run_prog PCPU_MODE=$mode LD_PRELOAD="$runtime_so" "$examples/$prog" $args \
			>"$shtap_tmp/pre" 2>"$shtap_tmp/err"
		status=$?
		[ $status -eq 0 ] && cmp -s "$shtap_tmp/plain" "$shtap_tmp/pre"
		ok $? "$prog preloaded, PCPU_MODE=$mode: same output"
		diff "$shtap_tmp/plain" "$shtap_tmp/pre" >"$shtap_tmp/diff"
		diag "$shtap_tmp/diff"
		diag "$shtap_tmp/err"
	done
	if emulated; then
		# What pcpu-run --stats --leaks sets; pcpu-run itself would
		# also preload the runtime into the host's emulator.
		run_prog PCPU_STATS=stderr PCPU_DEBUG=leaks LD_PRELOAD="$runtime_so" \
			"$examples/$prog" $args >"$shtap_tmp/pre" 2>"$shtap_tmp/err"
	else
		"$top_builddir/shim/pcpu-run" --stats --leaks "$examples/$prog" $args \
			>"$shtap_tmp/pre" 2>"$shtap_tmp/err"
	fi
	status=$?
	[ $status -eq 0 ] && cmp -s "$shtap_tmp/plain" "$shtap_tmp/pre" &&
		grep -q "libpcpu statistics at exit of $prog" "$shtap_tmp/err" &&
		grep -q '^libpcpu statistics: libpcpu 0\.1\.0 (mode=' "$shtap_tmp/err" &&
		grep -q 'libpcpu: no per-CPU leaks' "$shtap_tmp/err"
	ok $? "pcpu-run --stats --leaks $prog: same output, statistics, no leak"
	diff "$shtap_tmp/plain" "$shtap_tmp/pre" | diag /dev/stdin
	diag "$shtap_tmp/err"
done

done_testing
