# The per-CPU engine, linked into libpcpu.so by shim/local.mk.
runtime_sources = \
	runtime/runtime.c runtime/runtime.h \
	runtime/cpu/cpu.c runtime/cpu/cpu.h \
	runtime/cpu/gate.c runtime/cpu/gate.h \
	runtime/cpu/mode_atomic.c runtime/cpu/mode_atomic.h \
	runtime/cpu/mode_local.c runtime/cpu/mode_local.h \
	runtime/cpu/mode_rseq.c runtime/cpu/mode_rseq.h \
	runtime/cpu/rseq_area.c runtime/cpu/rseq_area.h \
	runtime/cpu/thread.c runtime/cpu/thread.h \
	runtime/cpu/unit.c runtime/cpu/unit.h \
	runtime/arena/arena.c runtime/arena/arena.h \
	runtime/arena/bitmap.c runtime/arena/bitmap.h \
	runtime/arena/chunk.c runtime/arena/chunk.h \
	runtime/arena/slab.c runtime/arena/slab.h \
	runtime/counter/counter.c runtime/counter/counter.h \
	runtime/counter/slots.c runtime/counter/slots.h \
	runtime/counter/tree.c runtime/counter/tree.h \
	runtime/counter/tree_items.c runtime/counter/tree_items.h \
	runtime/counter/tree_shape.c runtime/counter/tree_shape.h \
	runtime/ref/ref.c runtime/ref/ref.h \
	runtime/debug/config.c runtime/debug/config.h \
	runtime/debug/exit_stats.c runtime/debug/exit_stats.h \
	runtime/debug/leaks.c runtime/debug/leaks.h \
	runtime/debug/stack.c runtime/debug/stack.h \
	runtime/debug/symbolize.c runtime/debug/symbolize.h
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
