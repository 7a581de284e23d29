# The per-CPU engine, linked into libpcpu.so by shim/local.mk.
runtime_sources = \
	runtime/arena.c runtime/arena.h \
	runtime/config.c runtime/config.h \
	runtime/cpu.c runtime/cpu.h \
	runtime/cpu_atomic.c runtime/cpu_atomic.h \
	runtime/cpu_gate.c runtime/cpu_gate.h \
	runtime/cpu_local.c runtime/cpu_local.h \
	runtime/cpu_rseq.c runtime/cpu_rseq.h \
	runtime/memory.c \
	runtime/runtime.c runtime/runtime.h \
	shim/portable/counter.c \
	shim/portable/counter_tree.c \
	shim/portable/ref.c
runtime_libadd =
runtime_ldflags =
