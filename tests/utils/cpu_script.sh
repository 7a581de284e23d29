# Sourced by the access-mode scripts: run a test program with libpcpu.so
# preloaded in one mode, expecting pcpu_runtime() to name another, and
# report one TAP line per run.
n=0
failed=0

# run_expect DESCRIPTION ASKED EXPECTED [WRAPPER] PROGRAM (its path under tests/)
run_expect()
{
	desc=$1 asked=$2 expect=$3
	shift 3
	wrapper=
	[ $# -gt 1 ] && { wrapper=$1; shift; }
	n=$((n + 1))
	out=$($PCPU_EXEC PCPU_MODE=$asked PCPU_TEST_EXPECT=$expect \
		LD_PRELOAD="$top_builddir/.libs/libpcpu.so" \
		$wrapper "$top_builddir/tests/$1" 2>&1)
	if [ $? -eq 0 ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		echo "$out" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

finish()
{
	echo "1..$n"
	[ $failed -eq 0 ]
}
