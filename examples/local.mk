# Examples: programs instrumented as applications are, linked with
# libpcpu-api only, run preloaded or not.
#   example_service   a multi-threaded service (--serve: HTTP, for wrk)
#   example_wordfreq  a word-frequency count
#   demo              the demonstration: make demo
# `make check` runs the two examples plain, preloaded in each mode and
# under pcpu-run (examples/examples.sh); speed.sh compares plain and
# preloaded runs for make demo, make wordfreq-speed and wrk-service.sh.
check_PROGRAMS += examples/example_service examples/example_wordfreq
examples_example_service_SOURCES = examples/example_service.c
examples_example_service_LDADD = libpcpu-api.la
examples_example_wordfreq_SOURCES = examples/example_wordfreq.c
examples_example_wordfreq_LDADD = libpcpu-api.la
TESTS += examples/examples.sh
EXTRA_DIST += examples/examples.sh examples/wrk-service.sh examples/speed.sh

# The demonstration: an instrumented program, run plain and preloaded.
noinst_PROGRAMS += examples/demo
examples_demo_SOURCES = examples/demo.c
examples_demo_LDADD = libpcpu-api.la
EXTRA_DIST += examples/demo.sh

.PHONY: demo
demo: examples/demo$(EXEEXT) libpcpu.la
	@$(SHELL) $(srcdir)/examples/demo.sh ./examples/demo$(EXEEXT) \
		$(abs_top_builddir)/.libs/libpcpu.so $(DEMO_ARGS)

# example_wordfreq plain and preloaded, alternating: the speed-up in one line.
.PHONY: wordfreq-speed
wordfreq-speed: examples/example_wordfreq$(EXEEXT) libpcpu.la
	@$(SHELL) $(srcdir)/examples/speed.sh run $(abs_top_builddir)/.libs/libpcpu.so 5 \
		./examples/example_wordfreq$(EXEEXT)
