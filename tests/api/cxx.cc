// SPDX-License-Identifier: MIT
// The header from C++: RAII wrappers, std::thread, lambdas as callbacks.
// Compiled with -std=c++11 -pedantic-errors, run against both libraries.
#include <pcpu.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "../utils/tap.h"

namespace
{

class Counter
{
      public:
	explicit Counter(int64_t v)
	{
		ok_ = percpu_counter_init(&c_, v) == 0;
	}
	~Counter()
	{
		percpu_counter_destroy(&c_);
	}
	Counter(const Counter &) = delete;
	Counter &operator=(const Counter &) = delete;
	Counter &operator+=(int64_t v)
	{
		percpu_counter_add(&c_, v);
		return *this;
	}
	int64_t sum()
	{
		return percpu_counter_sum(&c_);
	}
	bool good() const
	{
		return ok_;
	}

      private:
	struct percpu_counter c_;
	bool ok_;
};

template <typename T> class PerCpu
{
      public:
	PerCpu() : p_(static_cast<T *>(pcpu_alloc(sizeof(T), alignof(T))))
	{
	}
	~PerCpu()
	{
		pcpu_free(p_);
	}
	PerCpu(const PerCpu &) = delete;
	PerCpu &operator=(const PerCpu &) = delete;
	T &at(int cpu)
	{
		return *static_cast<T *>(pcpu_ptr(p_, cpu));
	}
	T *get()
	{
		return p_;
	}

      private:
	T *p_;
};

struct Pair {
	int64_t hits;
	int64_t misses;
};

std::atomic<int> released(0);

} // namespace

int main()
{
	tap_start();

	Counter c(10);
	ok(c.good(), "a percpu_counter in a C++ object");
	std::vector<std::thread> threads;
	for (int t = 0; t < 8; t++)
		threads.emplace_back([&c] {
			for (int i = 0; i < 10000; i++)
				c += 1;
		});
	for (auto &t : threads)
		t.join();
	is(c.sum(), 80010, "8 std::threads adding 10000 each");

	PerCpu<Pair> pair;
	ok(pair.get() != nullptr, "pcpu_alloc of a struct with alignof");
	pcpu_this_add(&pair.get()->misses, 3);
	int64_t hits = 0, misses = 0;
	for (int cpu = 0; cpu < pcpu_nr_cpus(); cpu++) {
		hits += pair.at(cpu).hits;
		misses += pair.at(cpu).misses;
	}
	ok(hits == 0 && misses == 3, "this-CPU add on a member of a per-CPU struct");
	is(pcpu_sum(&pair.get()->misses), 3, "pcpu_sum of the member");

	errno = 0;
	ok(pcpu_alloc(0, 0) == nullptr && errno == EINVAL, "EINVAL from C++");

	struct percpu_ref ref;
	percpu_ref_func_t *release = [](struct percpu_ref *) { released++; };
	is(percpu_ref_init(&ref, release, PERCPU_REF_ALLOW_REINIT), 0, "percpu_ref_init");
	percpu_ref_get(&ref);
	percpu_ref_kill(&ref);
	percpu_ref_put(&ref);
	is(released.load(), 1, "a lambda as the release callback");
	percpu_ref_exit(&ref);

	struct percpu_counter_tree trees[2];
	struct percpu_counter_tree *const list[2] = {&trees[0], &trees[1]};
	is(percpu_counter_tree_init_many(trees, 2, 64), 0,
	   "percpu_counter_tree_init_many");
	percpu_counter_tree_add(&trees[1], 5);
	is(percpu_counter_tree_select_max(list, 2, nullptr), 1, "select_max from C++");
	percpu_counter_tree_destroy_many(trees, 2);

	struct pcpu_stats st;
	std::memset(&st, 0, sizeof(st));
	is(pcpu_stats(&st, sizeof(st)), 0, "pcpu_stats from C++");
	is(st.nr_cpus, pcpu_nr_cpus(), "nr_cpus");
	return tap_done();
}
