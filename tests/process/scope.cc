// SPDX-License-Identifier: MIT
/*
 * What the runtime leaves alone, seen from a C++ program: the global scope
 * still gives malloc to libc, operator new to libstdc++ and the unwinder to
 * libgcc_s; libunwind is loaded only by PCPU_DEBUG=leaks and then stays
 * out of the global scope; and exceptions thrown and caught on many
 * threads, and carried between threads, work while the threads use the API.
 *
 * "scope leak" instead leaks one per-CPU object from a C++ function, for
 * tests/process/hygiene.sh to find in a leak report, demangled.
 */
#include <dlfcn.h>
#include <link.h>
#include <pcpu.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#define _Noreturn __attribute__((noreturn))
extern "C" {
#include "../utils/tap.h"
}

static std::string owner(const void *addr)
{
	Dl_info info;

	if (!addr || !dladdr(addr, &info) || !info.dli_fname)
		return "(nothing)";
	return info.dli_fname;
}

/* Under ASan or TSan their runtime interposes these: then what must
 * hold is that libpcpu.so does not. */
static void resolves_to(const char *sym, const char *lib)
{
	std::string o = owner(dlsym(RTLD_DEFAULT, sym));

	if (tap_heap_sanitized())
		ok(o.find("libpcpu") == std::string::npos && o != "(nothing)",
		   "%s resolves to the sanitizer or %s, not libpcpu (%s)", sym, lib,
		   o.c_str());
	else
		ok(o.find(lib) != std::string::npos, "%s resolves to %s (%s)", sym, lib,
		   o.c_str());
}

static int loaded_cb(struct dl_phdr_info *info, size_t, void *name)
{
	return info->dlpi_name && strstr(info->dlpi_name, (const char *)name);
}

static bool loaded(const char *name)
{
	return dl_iterate_phdr(loaded_cb, (void *)name) != 0;
}

/* A per-CPU object freed by unwinding. */
struct percpu_guard {
	int64_t *p;
	percpu_guard() : p(static_cast<int64_t *>(pcpu_alloc(sizeof(int64_t), 0)))
	{
		if (!p)
			throw std::bad_alloc();
	}
	~percpu_guard()
	{
		pcpu_free(p);
	}
};

static struct percpu_counter thrown, caught;

[[noreturn]] static void fail_deep(int depth, int id)
{
	percpu_guard g;

	pcpu_this_add(g.p, 1);
	if (depth == 0) {
		percpu_counter_inc(&thrown);
		throw std::runtime_error("request " + std::to_string(id) + " failed");
	}
	fail_deep(depth - 1, id);
}

static std::mutex carried_lock;
static std::vector<std::exception_ptr> carried;

static void worker(int id, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		try {
			fail_deep(i % 8, id * rounds + i);
		} catch (const std::runtime_error &e) {
			percpu_counter_inc(&caught);
			if (i % 16 == 0) {
				std::lock_guard<std::mutex> l(carried_lock);
				carried.push_back(std::current_exception());
			}
		}
	}
}

namespace shop
{
struct cart {
	__attribute__((noinline)) static int64_t *make_stats(int n)
	{
		auto *p = static_cast<int64_t *>(pcpu_alloc(sizeof(int64_t) * n, 0));

		if (!p)
			throw std::bad_alloc();
		return p;
	}
};
} // namespace shop

static int64_t *leaked;

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "leak")) {
		leaked = shop::cart::make_stats(3);
		puts("done");
		return 0;
	}

	const int nr_threads = 8, rounds = 2000;
	bool leaks = getenv("PCPU_DEBUG") && !strcmp(getenv("PCPU_DEBUG"), "leaks") &&
		     strcmp(tap_variant(), "api");
	struct pcpu_stats before, after;

	tap_start();

	resolves_to("malloc", "libc.so");
	resolves_to("free", "libc.so");
	resolves_to("calloc", "libc.so");
	resolves_to("realloc", "libc.so");
	resolves_to("posix_memalign", "libc.so");
	resolves_to("aligned_alloc", "libc.so");
	resolves_to("malloc_usable_size", "libc.so");
	resolves_to("backtrace", "libc.so");
	resolves_to("_Znwm", "libstdc++.so");
	resolves_to("_ZdlPv", "libstdc++.so");
	resolves_to("_Znam", "libstdc++.so");
	resolves_to("_ZdaPv", "libstdc++.so");
	resolves_to("_Unwind_RaiseException", "libgcc_s.so");
	resolves_to("_Unwind_Resume", "libgcc_s.so");
	resolves_to("_Unwind_Backtrace", "libgcc_s.so");
	/* The addresses the program itself took (the sanitizer's too). */
	void *(*op_new)(std::size_t) = &::operator new;
	std::string own_malloc = owner(reinterpret_cast<void *>(&malloc));
	std::string own_new = owner(reinterpret_cast<void *>(op_new));
	if (tap_heap_sanitized()) {
		ok(own_malloc.find("libpcpu") == std::string::npos,
		   "the program's own malloc is not libpcpu's (%s)", own_malloc.c_str());
		ok(own_new.find("libpcpu") == std::string::npos,
		   "the program's own operator new is not libpcpu's (%s)",
		   own_new.c_str());
	} else {
		ok(own_malloc.find("libc.so") != std::string::npos,
		   "the program's own malloc is libc's");
		ok(own_new.find("libstdc++.so") != std::string::npos,
		   "the program's own operator new is libstdc++'s");
	}
	ok(!dlsym(RTLD_DEFAULT, "unw_backtrace"), "libunwind is not in the global scope");
	if (leaks)
		ok(loaded("libunwind.so"),
		   "PCPU_DEBUG=leaks loaded libunwind (privately)");
	else
		ok(!loaded("libunwind.so"),
		   "libunwind is not loaded without PCPU_DEBUG=leaks");

	if (percpu_counter_init(&thrown, 0) || percpu_counter_init(&caught, 0))
		tap_bail("percpu_counter_init failed");
	pcpu_stats(&before, sizeof(before));
	std::vector<std::thread> threads;
	for (int t = 0; t < nr_threads; t++)
		threads.emplace_back(worker, t, rounds);
	for (auto &t : threads)
		t.join();
	is(percpu_counter_sum(&thrown), nr_threads * rounds,
	   "every thread threw %d exceptions", rounds);
	is(percpu_counter_sum(&caught), nr_threads * rounds, "and caught them all");
	pcpu_stats(&after, sizeof(after));
	is(after.nr_alloc, before.nr_alloc, "unwinding freed every per-CPU object");

	size_t rethrown = 0;
	for (auto &e : carried) {
		try {
			std::rethrow_exception(e);
		} catch (const std::runtime_error &err) {
			rethrown += strstr(err.what(), "failed") != nullptr;
		}
	}
	is(rethrown, nr_threads * ((rounds + 15) / 16),
	   "exceptions carried to another thread rethrow there");
	carried.clear();
	percpu_counter_destroy(&thrown);
	percpu_counter_destroy(&caught);
	return tap_done();
}
