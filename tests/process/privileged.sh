#!/bin/sh
# SPDX-License-Identifier: MIT
# The runtime against a hostile environment (issue 15): a set-user-ID
# program ignores PCPU_* from its less privileged caller, PCPU_STATS writes
# regular files only and never blocks, and a program that never calls the
# API runs preloaded even when the runtime could not set itself up.
. "$top_srcdir/tests/utils/shtap.sh"
out=$shtap_tmp/out
err=$shtap_tmp/err

# 1. A set-user-ID-root program linked with libpcpu.so (tests/process/probe_rt),
# run as nobody: no variable may take effect.  The program lies in a
# directory of its own that nobody may enter, and goes with it.
if [ "$(id -u)" -ne 0 ]; then
	skip "setuid: PCPU_* ignored" "needs root to make a set-user-ID program"
elif emulated; then
	skip "setuid: PCPU_* ignored" "an emulator cannot run a set-user-ID program"
elif ! command -v setpriv >/dev/null; then
	skip "setuid: PCPU_* ignored" "no setpriv(1) to drop privileges"
else
	suid=$(mktemp -d "${TMPDIR:-/tmp}/pcpu-suid.XXXXXX")
	cp "$tests/process/probe_rt" "$suid/probe" && chmod 4755 "$suid/probe" &&
		chmod 755 "$suid"
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		env PCPU_STATS="$suid/created" PCPU_VERBOSE=1 PCPU_DEBUG=leaks \
		PCPU_MODE=bogus "$suid/probe" runtime >"$out" 2>"$err"
	status=$?
	if [ $status -eq 0 ] && ! grep -q '^euid=0$' "$out"; then
		skip "setuid: PCPU_* ignored" "the set-user-ID bit is not honoured here"
	else
		[ $status -eq 0 ] && [ ! -e "$suid/created" ] && [ ! -s "$err" ]
		ok $? "setuid: PCPU_STATS, PCPU_VERBOSE, PCPU_DEBUG, PCPU_MODE from the caller ignored"
		diag "$err"
	fi
	rm -rf "$suid"
	[ ! -e "$suid" ]
	ok $? "setuid: the temporary directory is gone"
fi

# 7. PCPU_STATS names something that is not a regular file: a warning and
# no report, at once.
# A runtime that blocks on the FIFO is killed after 20 s.
mkfifo "$shtap_tmp/fifo"
(PCPU_TEST_TIMEOUT=20 && export PCPU_TEST_TIMEOUT &&
	run_prog PCPU_STATS="$shtap_tmp/fifo" LD_PRELOAD="$runtime_so" "$tests/process/probe" runtime) \
	>"$out" 2>"$err"
[ $? -eq 0 ] && grep -q "warning: PCPU_STATS=.*fifo" "$err"
ok $? "PCPU_STATS=<fifo> without a reader: a warning, no hang"
# A reader that holds the FIFO open: the open would succeed.
sleep 30 <>"$shtap_tmp/fifo" &
holder=$!
run_prog PCPU_STATS="$shtap_tmp/fifo" LD_PRELOAD="$runtime_so" "$tests/process/probe" runtime \
	>"$out" 2>"$err"
[ $? -eq 0 ] && grep -q "warning: PCPU_STATS=.*not a regular file" "$err"
ok $? "PCPU_STATS=<fifo> with a reader: refused, not written"
kill "$holder"
wait "$holder" 2>/dev/null
ln -s "$shtap_tmp/target" "$shtap_tmp/link"
run_prog PCPU_STATS="$shtap_tmp/link" LD_PRELOAD="$runtime_so" "$tests/process/probe" runtime \
	>"$out" 2>"$err"
[ $? -eq 0 ] && [ ! -e "$shtap_tmp/target" ] && grep -q "warning: PCPU_STATS=" "$err"
ok $? "PCPU_STATS=<symbolic link>: not followed"
run_prog PCPU_STATS=/dev/null LD_PRELOAD="$runtime_so" "$tests/process/probe" runtime \
	>"$out" 2>"$err"
[ $? -eq 0 ] && grep -q "warning: PCPU_STATS=/dev/null.*not a regular file" "$err"
ok $? "PCPU_STATS=/dev/null: a device is refused"

# 10. Too little address space for the runtime, from too little for the
# program itself (the loader fails, 127) to enough: a program that never
# calls the API runs, one that does gets the documented errors, never an
# abort; and the runtime's set-up must have failed at some limit where the
# first one ran, or nothing was tested.
if emulated; then
	skip "ulimit -v: non-users run" "the emulator needs the address space itself"
elif [ "${PCPU_TEST_SANITIZER:-}" = address ] || [ "${PCPU_TEST_SANITIZER:-}" = thread ]; then
	skip "ulimit -v: non-users run" "the sanitizer reserves terabytes for its shadow"
else
	for mode in rseq atomic local local-without-rseq; do
		tunables=
		[ $mode = local-without-rseq ] && tunables=glibc.pthread.rseq=0
		tested= bad=
		v=6000
		while [ $v -le 20000 ] && [ -z "$bad" ]; do
			(ulimit -v $v && GLIBC_TUNABLES=$tunables PCPU_MODE=${mode%-without-rseq} \
				LD_PRELOAD="$runtime_so" /bin/true) >"$out" 2>&1
			true_status=$?
			(ulimit -v $v && GLIBC_TUNABLES=$tunables PCPU_MODE=${mode%-without-rseq} \
				LD_PRELOAD="$runtime_so" "$tests/process/probe" nomem) >>"$out" 2>&1
			case $true_status:$?:$(tail -n1 "$out") in
			0:0:setup=failed) tested="$tested $v" ;;
			0:0:setup=ok | 0:127:* | 127:127:*) ;;
			*) bad=$v ;;
			esac
			v=$((v + 1000))
		done
		[ -z "$bad" ] && [ -n "$tested" ]
		ok $? "ulimit -v, $mode: /bin/true runs, the API reports ENOMEM (set-up failed at$tested KiB${bad:+; wrong at $bad KiB})"
		[ -z "$bad" ] || diag "$out"
	done
fi

# What the preload costs a program that never calls the API: shown, not
# judged (it depends on the libc and the kernel).
if ! emulated && [ -r /proc/self/status ]; then
	plain=$(grep -E '^(VmSize|VmRSS)' /proc/self/status | tr -s ' \t\n' ' ')
	pre=$(LD_PRELOAD="$runtime_so" cat /proc/self/status |
		grep -E '^(VmSize|VmRSS)' | tr -s ' \t\n' ' ')
	echo "# cat /proc/self/status: plain $plain; preloaded $pre"
fi

done_testing
