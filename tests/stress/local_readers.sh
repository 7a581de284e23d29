#!/bin/sh
# The issue 15 tests, and the inline fast paths' (issue 13: they take the
# call wherever a sequence would be needed), in local mode without rseq (GLIBC_TUNABLES=
# glibc.pthread.rseq=0), the configuration arm64 runs by default: gated
# adds use reader records, and a switch waits for the readers in flight,
# sleeping.  The suite's local variant runs on glibc's rseq areas on x86-64
# (grace=rseq), so these paths run here only (api/counter: the limited
# adds on an owned slot, a gate reader section and an unlocked add).
. "$top_srcdir/tests/utils/cpu_script.sh"

export GLIBC_TUNABLES=glibc.pthread.rseq=0 PCPU_TEST_SECONDS=0.5
for t in stress/ref_cancel stress/ref_switch api/misuse_rules stress/gate_nomem \
	process/inline stress/counter_limited api/counter; do
	run_expect "$t: local mode, grace=readers" local local "$t"
done
finish
