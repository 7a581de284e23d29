# The per-CPU engine, linked into libpcpu.so by shim/local.mk.
runtime_sources = \
	runtime/arena.c runtime/arena.h \
	runtime/config.c runtime/config.h \
	runtime/cpu.c runtime/cpu.h \
	runtime/memory.c \
	runtime/ref.c \
	runtime/runtime.c runtime/runtime.h \
	shim/portable/counter.c \
	shim/portable/counter_tree.c
runtime_libadd =
runtime_ldflags =
