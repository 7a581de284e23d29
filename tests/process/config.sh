#!/bin/sh
# SPDX-License-Identifier: MIT
# Configuration by environment, with libpcpu.so preloaded: every malformed
# value gets exactly one warning and the default; PCPU_VERBOSE, PCPU_STATS
# and PCPU_DEBUG=leaks do what they say.
. "$top_srcdir/tests/utils/shtap.sh"
out=$shtap_tmp/out
err=$shtap_tmp/err

# probe ARGS...: run the probe preloaded; stdout in $out, stderr in $err.
probe() {
	run_prog LD_PRELOAD="$runtime_so" "$tests/process/probe" "$@" >"$out" 2>"$err"
}

probe runtime
default_cpus=$(sed -n 's/^cpus=//p' "$out")
grep -q '^libpcpu 0\.1\.0 (mode=' "$out" && [ ! -s "$err" ]
ok $? "preloaded, silent by default ($(head -n1 "$out"))"

# malformed VAR=VALUE: one warning naming it, the default, exit 0.
malformed() {
	run_prog "$1" LD_PRELOAD="$runtime_so" "$tests/process/probe" runtime >"$out" 2>"$err"
	status=$?
	[ $status -eq 0 ] && [ "$(wc -l <"$err")" -eq 1 ] &&
		grep -q "^libpcpu: warning: ${1%%=*}" "$err" &&
		grep -q "^cpus=$default_cpus\$" "$out" &&
		! grep -q "mode=$2" "$out"
	ok $? "$1: one warning, the default ($(cat "$err"))"
}
malformed PCPU_MODE=bogus bogus
malformed PCPU_NR_CPUS=abc x
malformed PCPU_NR_CPUS=0 x
malformed PCPU_NR_CPUS=-4 x
malformed PCPU_NR_CPUS=99999999999999999999 x
malformed PCPU_NR_CPUS=12x x
malformed PCPU_NR_SLOTS=many x
malformed PCPU_DEBUG=everything x
malformed PCPU_VERBOSE=maybe x

# The copy count is the CPU count, or the slot count in local mode.
run_prog PCPU_MODE=atomic PCPU_NR_CPUS=64 LD_PRELOAD="$runtime_so" "$tests/process/probe" runtime \
	>"$out" 2>"$err"
[ $? -eq 0 ] && grep -q '^cpus=64$' "$out" && [ ! -s "$err" ]
ok $? "PCPU_NR_CPUS=64 raises the copy count"
run_prog PCPU_MODE=local PCPU_NR_SLOTS=16 LD_PRELOAD="$runtime_so" "$tests/process/probe" runtime \
	>"$out" 2>"$err"
[ $? -eq 0 ] && grep -q '^cpus=16$' "$out" && [ ! -s "$err" ]
ok $? "PCPU_NR_SLOTS=16 sets the slots of local mode"

run_prog PCPU_VERBOSE=1 LD_PRELOAD="$runtime_so" "$tests/process/probe" runtime >"$out" 2>"$err"
[ "$(wc -l <"$err")" -eq 1 ] && grep -q "^libpcpu: $(head -n1 "$out" | sed 's/[().]/./g')\$" "$err"
ok $? "PCPU_VERBOSE=1: one line naming runtime and mode ($(cat "$err"))"

run_prog PCPU_STATS=stderr LD_PRELOAD="$runtime_so" "$tests/process/probe" leak >"$out" 2>"$err"
grep -q "^==[0-9]*== libpcpu statistics at exit of probe\$" "$err" &&
	grep -q "allocations: *4 live, .*5 allocated, 1 freed" "$err"
ok $? "PCPU_STATS=stderr prints the statistics at exit"
diag "$err"

run_prog PCPU_STATS=stderr LD_PRELOAD="$runtime_so" "$tests/process/probe" runtime >"$out" 2>"$err"
[ "$(cat "$err")" = "$(sed -n 's/^pid=//p' "$out" | sed 's/.*/==&== libpcpu statistics at exit of probe: no per-CPU allocations/')" ]
ok $? "PCPU_STATS=stderr in a process that never allocated: one line ($(cat "$err"))"

run_prog PCPU_STATS="$shtap_tmp/stats.%p" LD_PRELOAD="$runtime_so" "$tests/process/probe" clean >"$out" 2>"$err"
set -- "$shtap_tmp"/stats.*
[ $# -eq 1 ] && [ -f "$1" ] && [ ! -s "$err" ] &&
	grep -q "allocations: *0 live" "$1" && grep -q "^==${1##*.}== " "$1"
ok $? "PCPU_STATS=<path>: %p becomes the pid"

f=$shtap_tmp/stats
run_prog PCPU_STATS="$f" LD_PRELOAD="$runtime_so" "$tests/process/probe" clean >/dev/null 2>&1
run_prog PCPU_STATS="$f" LD_PRELOAD="$runtime_so" "$tests/process/probe" leak >/dev/null 2>&1
[ "$(grep -c 'libpcpu statistics at exit' "$f")" -eq 2 ]
ok $? "PCPU_STATS=<path>: processes append their reports"

run_prog PCPU_STATS=/nonexistent/dir/stats LD_PRELOAD="$runtime_so" "$tests/process/probe" clean >"$out" 2>"$err"
[ $? -eq 0 ] && [ "$(wc -l <"$err")" -eq 1 ] && grep -q "warning: PCPU_STATS=.*cannot open" "$err"
ok $? "PCPU_STATS to an unwritable path: one warning, exit 0"

# A leak report like LeakSanitizer's, largest first, with symbolized stacks
# starting at the API call.
run_prog PCPU_DEBUG=leaks LD_PRELOAD="$runtime_so" "$tests/process/probe" leak >"$out" 2>"$err"
status=$?
diag "$err"
[ $status -eq 0 ] && grep -q "ERROR: libpcpu: detected per-CPU memory leaks" "$err"
ok $? "PCPU_DEBUG=leaks reports leaks"
awk '/^Leak of/ { n++; if (n == 1) first = $0; else second = $0 }
     END { exit !(n == 2 && first ~ /^Leak of 128 byte\(s\) per CPU in 1 object\(s\)/ &&
                   second ~ /^Leak of 96 byte\(s\) per CPU in 3 object\(s\)/) }' "$err"
ok $? "two call sites, grouped and largest first"
awk '/^Leak of 96/ { on = 1; next } on && /^$/ { exit } on { print }' "$err" >"$shtap_tmp/stack"
grep -q '#0 0x[0-9a-f]* in pcpu_alloc+0x[0-9a-f]* (.*libpcpu.so+0x' "$shtap_tmp/stack" &&
	grep -q '#1 0x[0-9a-f]* in make_route_stats+0x[0-9a-f]* (.*/probe+0x' "$shtap_tmp/stack" &&
	grep -q '#2 0x[0-9a-f]* in main+' "$shtap_tmp/stack"
ok $? "the stack names the API call, the static function and main"
grep -q "in make_cache_slot+" "$err"
ok $? "the other site names its function"
grep -q "^SUMMARY: libpcpu: 224 byte(s) per CPU leaked in 4 allocation(s)" "$err"
ok $? "the summary totals bytes and allocations"

run_prog PCPU_DEBUG=leaks LD_PRELOAD="$runtime_so" "$tests/process/probe" clean >"$out" 2>"$err"
[ $? -eq 0 ] && [ "$(wc -l <"$err")" -eq 1 ] &&
	grep -q "no per-CPU leaks (5 allocations recorded, all freed)" "$err"
ok $? "PCPU_DEBUG=leaks with nothing leaked says so in one line"

# A counter or a ref never destroyed is a leak too, when its per-CPU memory
# comes from the arena (the portable ones have none).
run_prog PCPU_DEBUG=leaks LD_PRELOAD="$runtime_so" "$tests/process/probe" objects >"$out" 2>"$err"
total=0
for kind in counter ref; do
	n=$(sed -n "s/^${kind}_allocs=//p" "$out")
	if [ "${n:-0}" -eq 0 ]; then
		skip "a leaked percpu_$kind is reported" "this runtime's percpu_$kind has no per-CPU memory"
		continue
	fi
	total=$((total + n))
	grep -q "#0 0x[0-9a-f]* in percpu_${kind}_init" "$err"
	ok $? "a leaked percpu_$kind is reported, from its init"
done
[ $total -eq 0 ] || grep -q "^SUMMARY: libpcpu: .* leaked in $total allocation(s)" "$err"
ok $? "the summary counts them ($total)"
diag "$err"

done_testing
