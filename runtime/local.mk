# The per-CPU engine, linked into libpcpu.so by shim/local.mk.
runtime_sources = \
	runtime/arena.c runtime/arena.h \
	runtime/config.c runtime/config.h \
	runtime/cpu.c runtime/cpu.h \
	runtime/exit_stats.c runtime/exit_stats.h \
	runtime/leaks.c runtime/leaks.h \
	runtime/memory.c \
	runtime/runtime.c runtime/runtime.h \
	runtime/stack.c runtime/stack.h \
	runtime/symbolize.c runtime/symbolize.h \
	shim/portable/counter.c \
	shim/portable/counter_tree.c \
	shim/portable/ref.c
runtime_libadd =
runtime_ldflags =
