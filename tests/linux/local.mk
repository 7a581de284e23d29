# Kernel code as a drop-in (issue 14): kernel-style programs compiled
# against <pcpu/linux.h>, one per family, and a driver written as drivers
# are, in every variant.  libvars.so defines static per-CPU variables that
# tests/linux/percpu declares.
check_LTLIBRARIES += tests/linux/libvars.la
tests_linux_libvars_la_SOURCES = tests/linux/vars.c tests/linux/vars.h tests/linux/sum.h
tests_linux_libvars_la_LIBADD = libpcpu-api.la
tests_linux_libvars_la_LDFLAGS = -rpath $(abs_builddir)/tests/linux -avoid-version \
	-no-undefined
tap_tests += tests/linux/percpu tests/linux/counter tests/linux/ref tests/linux/tree \
	tests/linux/driver
tests_linux_percpu_SOURCES = tests/linux/percpu.c tests/linux/pin.h tests/linux/sum.h
tests_linux_percpu_LDADD = tests/linux/libvars.la $(LDADD)
# Static per-CPU variables: the same program built without PIE, where the
# library's variables it names are copies in the program (copy
# relocations); and a plugin loaded with dlopen() that defines and uses
# some, from its constructor too.
tap_tests += tests/linux/percpu_nopie tests/linux/dlopen
tests_linux_percpu_nopie_SOURCES = $(tests_linux_percpu_SOURCES)
tests_linux_percpu_nopie_CFLAGS = $(AM_CFLAGS) -fno-pie
tests_linux_percpu_nopie_LDFLAGS = $(AM_LDFLAGS) -no-pie
tests_linux_percpu_nopie_LDADD = $(tests_linux_percpu_LDADD)
check_LTLIBRARIES += tests/linux/plugin.la
tests_linux_plugin_la_SOURCES = tests/linux/plugin.c tests/linux/plugin.h tests/linux/sum.h
tests_linux_plugin_la_LIBADD = libpcpu-api.la
tests_linux_plugin_la_LDFLAGS = -module -rpath $(abs_builddir)/tests/linux -avoid-version \
	-no-undefined
tests_linux_dlopen_SOURCES = tests/linux/dlopen.c tests/linux/plugin.h tests/linux/sum.h
tests_linux_dlopen_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPCPU_TEST_PLUGIN='"$(abs_builddir)/tests/linux/.libs/plugin.so"'
tests_linux_dlopen_LDFLAGS = $(AM_LDFLAGS) -export-dynamic
EXTRA_tests_linux_dlopen_DEPENDENCIES = tests/linux/plugin.la
tests_linux_counter_SOURCES = tests/linux/counter.c tests/linux/pin.h
tests_linux_ref_SOURCES = tests/linux/ref.c
tests_linux_tree_SOURCES = tests/linux/tree.c
# Per-CPU network device statistics, a dropped-packet counter and a ref on
# the device, with the kernel's names and signatures.
tests_linux_driver_SOURCES = tests/linux/driver.c
