#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/process/lifecycle's claims about order hold: with libpcpu.so preloaded, the
# loader initialises early_lib (which calls the API from its constructor)
# before libpcpu.so and finalises it after, so its destructor runs after
# the runtime's exit reports; and the whole run survives with those
# reports on.
. "$top_srcdir/tests/utils/shtap.sh"

run() {
	run_prog "$@" PCPU_MODE=atomic PCPU_TEST_EXPECT=atomic LD_PRELOAD="$runtime_so" \
		"$tests/process/lifecycle" >"$shtap_tmp/tap" 2>"$shtap_tmp/err"
}

run LD_DEBUG=libs LD_DEBUG_OUTPUT="$shtap_tmp/libs"
ok $? "tests/process/lifecycle passes preloaded under LD_DEBUG=libs"
# The main process's log: the one that ran the libpcpu.so destructor last.
log=$(grep -l 'calling fini: .*libpcpu\.so' "$shtap_tmp"/libs.* | head -n1)
order=$(sed -n 's/.*calling \(init\|fini\): [^ ]*\/\(libearly\.so\|libpcpu\.so\).*/\1 \2/p' "$log" | tr '\n' ' ')
[ "$order" = "init libearly.so init libpcpu.so fini libpcpu.so fini libearly.so " ]
ok $? "early_lib is initialised before and finalised after libpcpu.so ($order)"

grep -q '^early_lib: destructor ok$' "$shtap_tmp/err"
ok $? "early_lib's destructor, after the runtime's, used counters and memory"

# early_lib preloaded as well, on either side of the runtime.
early_so=$(cd "$tests/process/.libs" && pwd)/libearly.so
for preload in "$early_so:$runtime_so" "$runtime_so:$early_so"; do
	run_prog PCPU_MODE=atomic PCPU_TEST_EXPECT=atomic LD_PRELOAD="$preload" \
		"$tests/process/lifecycle" >"$shtap_tmp/tap" 2>"$shtap_tmp/err" &&
		! grep -q '^not ok' "$shtap_tmp/tap" &&
		grep -q '^early_lib: destructor ok$' "$shtap_tmp/err"
	ok $? "passes with LD_PRELOAD=$(echo "$preload" | sed 's|[^:]*/||g')"
done

run PCPU_STATS=stderr PCPU_DEBUG=leaks
status=$?
[ $status -eq 0 ] && ! grep -q '^not ok' "$shtap_tmp/tap" &&
	grep -q 'libpcpu statistics at exit of lifecycle' "$shtap_tmp/err" &&
	grep -q 'ERROR: libpcpu: detected per-CPU memory leaks' "$shtap_tmp/err" &&
	grep -q '^early_lib: destructor ok$' "$shtap_tmp/err"
ok $? "with PCPU_STATS and PCPU_DEBUG=leaks: reports at exit, then the later destructor still works"
grep -v '^ok' "$shtap_tmp/tap" | diag /dev/stdin
diag "$shtap_tmp/err"

done_testing
