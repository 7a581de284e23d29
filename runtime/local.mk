# The per-CPU engine, linked into libpcpu.so by shim/local.mk.
runtime_sources = \
	runtime/arena.c runtime/arena.h \
	runtime/config.c runtime/config.h \
	runtime/counter.c \
	runtime/counter_slots.c runtime/counter_slots.h \
	runtime/counter_tree.c \
	runtime/cpu.c runtime/cpu.h \
	runtime/memory.c \
	runtime/runtime.c runtime/runtime.h \
	runtime/tree_items.c runtime/tree_items.h \
	runtime/tree_shape.c runtime/tree_shape.h \
	shim/portable/ref.c
runtime_libadd =
runtime_ldflags =
