# Kernel code as a drop-in (issue 14): kernel-style programs compiled
# against <pcpu/linux.h>, one per family, and a driver written as drivers
# are, in every variant.  libvars.so defines static per-CPU variables that
# tests/linux/percpu declares.
check_LTLIBRARIES += tests/linux/libvars.la
tests_linux_libvars_la_SOURCES = tests/linux/vars.c tests/linux/vars.h
tests_linux_libvars_la_LIBADD = libpcpu-api.la
tests_linux_libvars_la_LDFLAGS = -rpath $(abs_builddir)/tests/linux -avoid-version \
	-no-undefined
tap_tests += tests/linux/percpu tests/linux/counter tests/linux/ref tests/linux/tree \
	tests/linux/driver
tests_linux_percpu_SOURCES = tests/linux/percpu.c tests/linux/pin.h
tests_linux_percpu_LDADD = tests/linux/libvars.la $(LDADD)
tests_linux_counter_SOURCES = tests/linux/counter.c tests/linux/pin.h
tests_linux_ref_SOURCES = tests/linux/ref.c
tests_linux_tree_SOURCES = tests/linux/tree.c
# Per-CPU network device statistics, a dropped-packet counter and a ref on
# the device, with the kernel's names and signatures.
tests_linux_driver_SOURCES = tests/linux/driver.c
