# The per-CPU engine, linked into libpcpu.so by shim/local.mk.
runtime_sources = \
	runtime/arena.c runtime/arena.h \
	runtime/bitmap.c runtime/bitmap.h \
	runtime/chunk.c runtime/chunk.h \
	runtime/config.c runtime/config.h \
	runtime/counter.c \
	runtime/counter_slots.c runtime/counter_slots.h \
	runtime/counter_tree.c \
	runtime/cpu.c runtime/cpu.h \
	runtime/cpu_atomic.c runtime/cpu_atomic.h \
	runtime/cpu_gate.c runtime/cpu_gate.h \
	runtime/cpu_local.c runtime/cpu_local.h \
	runtime/cpu_rseq.c runtime/cpu_rseq.h \
	runtime/exit_stats.c runtime/exit_stats.h \
	runtime/leaks.c runtime/leaks.h \
	runtime/memory.c \
	runtime/ref.c \
	runtime/runtime.c runtime/runtime.h \
	runtime/slab.c runtime/slab.h \
	runtime/stack.c runtime/stack.h \
	runtime/symbolize.c runtime/symbolize.h \
	runtime/tree_items.c runtime/tree_items.h \
	runtime/tree_shape.c runtime/tree_shape.h
# jemalloc serves the chunks, linked in from its PIC archive with every
# symbol kept local: the library exports only the API and the process's
# malloc stays the one it had.  Inside libpcpu.so, malloc() and free() are
# this private jemalloc: never free() what libc allocated (strdup, getline,
# backtrace_symbols...), nor hand libc what jemalloc allocated.
# jemalloc's initial-exec TLS makes dlopen() of libpcpu.so need
# GLIBC_TUNABLES=glibc.rtld.optional_static_tls=<bytes> (LD_PRELOAD and
# linking at build time need nothing).
runtime_libadd = $(JEMALLOC_PIC) -lm
runtime_ldflags = -Wc,-static-libgcc -Wl,-z,nodelete \
	-Wl,--exclude-libs,$(notdir $(JEMALLOC_PIC)):libgcc_eh.a:libgcc.a
