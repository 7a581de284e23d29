#!/bin/sh
# SPDX-License-Identifier: MIT
# The pcpu-run wrapper, as built (PCPU_RUN_LIBRARY points it at the
# uninstalled runtime).
. "$top_srcdir/tests/utils/shtap.sh"
PCPU_RUN_LIBRARY=$(cd "$top_builddir/.libs" && pwd)/libpcpu.so
export PCPU_RUN_LIBRARY
unset LD_PRELOAD PCPU_MODE PCPU_STATS PCPU_DEBUG PCPU_VERBOSE
run=$top_builddir/shim/pcpu-run
out=$shtap_tmp/out
err=$shtap_tmp/err

"$run" --version >"$out" 2>"$err"
[ $? -eq 0 ] && grep -q '^pcpu-run (libpcpu) 0\.1\.0$' "$out" &&
	grep -q "^runtime: $PCPU_RUN_LIBRARY\$" "$out"
ok $? "--version names the version and the runtime"

"$run" --help >"$out" 2>"$err"
[ $? -eq 0 ] && grep -q '^Usage: pcpu-run' "$out" && grep -q -- '--leaks' "$out"
ok $? "--help"

# fails STATUS MESSAGE ARGS...: exits with STATUS, says MESSAGE on stderr.
fails() {
	want=$1 msg=$2
	shift 2
	"$run" "$@" >"$out" 2>"$err"
	status=$?
	[ $status -eq "$want" ] && grep -q "^pcpu-run: .*$msg" "$err" && [ ! -s "$out" ]
	ok $? "pcpu-run $*: status $want, '$(head -n1 "$err")'"
}
fails 125 "no command given"
fails 125 "no command given" --stats
fails 125 "unknown option '--bogus'" --bogus true
fails 125 "unknown mode 'fast'" --mode=fast true
fails 125 "needs a value" --mode
fails 127 "command not found" ./no-such-program
PCPU_RUN_LIBRARY=/nonexistent/libpcpu.so fails 125 "cannot read the runtime" true

if emulated; then
	# The programs cannot run under a host shell's exec.
	skip "running programs under pcpu-run" "cross build: programs run emulated"
	done_testing
fi

"$run" "$tests/process/probe" runtime >"$out" 2>"$err"
[ $? -eq 0 ] && grep -q '^libpcpu 0\.1\.0 (mode=' "$out" && [ ! -s "$err" ]
ok $? "runs the command with libpcpu.so preloaded ($(head -n1 "$out"))"

"$run" --mode atomic "$tests/process/probe" runtime >"$out" 2>"$err" &&
	grep -q 'mode=atomic' "$out"
ok $? "--mode atomic"

other=$(cd "$top_builddir/tests/process/.libs" && pwd)/libearly.so
LD_PRELOAD=$other "$run" sh -c 'echo "$LD_PRELOAD"' >"$out" 2>"$err"
[ "$(cat "$out")" = "$PCPU_RUN_LIBRARY:$other" ]
ok $? "prepends to an existing LD_PRELOAD ($(cat "$out"))"
LD_PRELOAD=$PCPU_RUN_LIBRARY "$run" sh -c 'echo "$LD_PRELOAD"' >"$out" 2>"$err"
[ "$(cat "$out")" = "$PCPU_RUN_LIBRARY" ]
ok $? "does not preload the runtime twice"

"$run" sh -c "\"$tests/process/probe\" runtime" >"$out" 2>"$err" &&
	grep -q '^libpcpu 0\.1\.0 (mode=' "$out"
ok $? "child processes inherit the runtime"

"$run" --stats "$tests/process/probe" leak >"$out" 2>"$err" &&
	grep -q 'libpcpu statistics at exit of probe' "$err" && grep -q '^done$' "$out"
ok $? "--stats prints statistics on stderr"

"$run" --stats="$shtap_tmp/s" "$tests/process/probe" clean >"$out" 2>"$err" &&
	grep -q 'allocations: *0 live' "$shtap_tmp/s" && [ ! -s "$err" ]
ok $? "--stats=FILE writes them to the file"

"$run" --leaks "$tests/process/probe" leak >"$out" 2>"$err" &&
	grep -q '^SUMMARY: libpcpu: 224 byte(s) per CPU leaked in 4 allocation(s)' "$err"
ok $? "--leaks reports the leaks"

"$run" -v -- "$tests/process/probe" runtime >"$out" 2>"$err" &&
	grep -q '^libpcpu: libpcpu 0\.1\.0 (mode=' "$err"
ok $? "--verbose, and -- ends the options"

done_testing
