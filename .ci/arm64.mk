# The arm64 leg: cross-build libpcpu for aarch64-linux-gnu in build-arm64/
# and run the whole test suite under qemu-aarch64 (.ci/arm64-check.sh).
EXTRA_DIST += .ci/arm64.mk .ci/arm64-check.sh .ci/arm64-deps.sh \
	.ci/arm64-sysroot.sh .ci/fastpath-insns.sh .ci/fastpath-insns.c

check-arm64:
	$(SHELL) $(srcdir)/.ci/arm64-check.sh $(abs_top_builddir)/build-arm64
.PHONY: check-arm64
