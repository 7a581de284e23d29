# The two shared libraries.  Both export exactly the API of include/pcpu.h
# under the version node of shim/pcpu.map; -Bsymbolic binds each library's
# calls between API functions to itself.
include_HEADERS = include/pcpu.h

noinst_LTLIBRARIES += libcommon.la
libcommon_la_SOURCES = \
	shim/common/counter_ops.c \
	shim/common/counter_tree_ops.c \
	shim/common/cpus.c shim/common/cpus.h \
	shim/common/diag.c shim/common/diag.h \
	shim/common/memory_ops.c shim/common/memory_ops.h \
	shim/common/ref_state.c shim/common/ref_state.h
libcommon_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden

SHIM_LDFLAGS = -Wl,--version-script=$(srcdir)/shim/pcpu.map -Wl,-Bsymbolic \
	-Wl,--no-undefined
EXTRA_DIST += shim/pcpu.map

lib_LTLIBRARIES += libpcpu-api.la
libpcpu_api_la_SOURCES = \
	shim/portable/portable.h \
	shim/portable/identity.c \
	shim/portable/memory.c \
	shim/portable/counter.c \
	shim/portable/counter_tree.c \
	shim/portable/ref.c
libpcpu_api_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libpcpu_api_la_LIBADD = libcommon.la
libpcpu_api_la_LDFLAGS = $(SHIM_LDFLAGS) -version-info 0:0:0
EXTRA_libpcpu_api_la_DEPENDENCIES = shim/pcpu.map

lib_LTLIBRARIES += libpcpu.la
libpcpu_la_SOURCES = $(runtime_sources)
libpcpu_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libpcpu_la_LIBADD = libcommon.la $(runtime_libadd)
libpcpu_la_LDFLAGS = $(SHIM_LDFLAGS) -avoid-version $(runtime_ldflags)
EXTRA_libpcpu_la_DEPENDENCIES = shim/pcpu.map
