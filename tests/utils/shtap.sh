# SPDX-License-Identifier: MIT
# shtap.sh - TAP for the shell tests, sourced by them.  Runs in the build
# directory; $top_builddir and $top_srcdir come from the test harness.
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
runtime_so=$top_builddir/.libs/libpcpu.so
tests=$top_builddir/tests
shtap_n=0
shtap_failed=0
shtap_tmp=$(mktemp -d "${TMPDIR:-/tmp}/pcpu-test.XXXXXX") || exit 99
trap 'rm -rf "$shtap_tmp"' EXIT

# ok COND-STATUS DESCRIPTION: pass if the previous command's status was 0.
ok() {
	shtap_n=$((shtap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $shtap_n - $2"
	else
		echo "not ok $shtap_n - $2"
		shtap_failed=$((shtap_failed + 1))
	fi
}

# skip DESCRIPTION REASON
skip() {
	shtap_n=$((shtap_n + 1))
	echo "ok $shtap_n - $1 # SKIP $2"
}

# run_prog [VAR=value...] PROGRAM [ARG...]: run a test program with those
# variables in its environment only; in a cross build, under the emulator
# (PCPU_EXEC is tests/utils/run-test's launcher, when the harness provides one).
run_prog() {
	if [ -n "${PCPU_EXEC:-}" ]; then
		$PCPU_EXEC "$@"
	else
		env "$@"
	fi
}

# Whether test programs run under an emulator: host tools (ldd) cannot look
# at them, and a host shell cannot start them directly.
emulated() {
	[ -n "${PCPU_TEST_EMULATOR:-}" ]
}

# diag FILE: show a file's content as TAP comments.
diag() {
	sed 's/^/# /' "$1"
}

done_testing() {
	echo "1..$shtap_n"
	[ "$shtap_failed" -eq 0 ]
	exit $?
}
