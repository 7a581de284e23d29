/* SPDX-License-Identifier: MIT */
/*
 * Kernel-style code compiled against <pcpu/linux.h>: per-CPU network
 * device statistics as drivers keep them, a dropped-packet percpu_counter
 * and a percpu_ref on the device, written with the kernel's names and
 * signatures (gfp arguments included).
 */
#include <errno.h>
#include <pcpu/linux.h>
#include <pthread.h>

#include "../utils/tap.h"

/* ---- the "driver", as it would read in the kernel */

struct pcpu_sw_netstats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	unsigned int rx_errors; /* a 32-bit field: the atomic path */
} __attribute__((aligned(8)));

struct net_device {
	struct pcpu_sw_netstats *tstats;
	int64_t *seq;
	struct percpu_counter dropped;
	struct percpu_ref refcnt;
	int released;
};

static void netdev_release(struct percpu_ref *ref)
{
	struct net_device *dev =
	    (struct net_device *)((char *)ref - offsetof(struct net_device, refcnt));

	dev->released = 1;
}

static int netdev_init(struct net_device *dev)
{
	dev->tstats = alloc_percpu_gfp(struct pcpu_sw_netstats, GFP_KERNEL);
	if (!dev->tstats)
		return -ENOMEM;
	dev->seq = alloc_percpu(int64_t);
	if (!dev->seq)
		goto free_stats;
	if (percpu_counter_init(&dev->dropped, 0, GFP_KERNEL_ACCOUNT))
		goto free_seq;
	if (percpu_ref_init(&dev->refcnt, netdev_release, 0, GFP_KERNEL))
		goto free_counter;
	return 0;

free_counter:
	percpu_counter_destroy(&dev->dropped);
free_seq:
	free_percpu(dev->seq);
free_stats:
	free_percpu(dev->tstats);
	return -ENOMEM;
}

static void netdev_rx(struct net_device *dev, unsigned int len, int bad)
{
	if (bad) {
		this_cpu_inc(dev->tstats->rx_errors);
		percpu_counter_inc(&dev->dropped);
		return;
	}
	this_cpu_inc(dev->tstats->rx_packets);
	this_cpu_add(dev->tstats->rx_bytes, len);
}

static void netdev_tx(struct net_device *dev, unsigned int len)
{
	percpu_ref_get(&dev->refcnt);
	this_cpu_inc(dev->tstats->tx_packets);
	this_cpu_add(dev->tstats->tx_bytes, len);
	this_cpu_sub(dev->tstats->tx_bytes, 1);
	this_cpu_dec(dev->tstats->tx_packets);
	this_cpu_add(dev->tstats->tx_bytes, 1);
	this_cpu_inc(dev->tstats->tx_packets);
	percpu_ref_put(&dev->refcnt);
}

static void netdev_get_stats64(struct net_device *dev, struct pcpu_sw_netstats *tot)
{
	int cpu;

	*tot = (struct pcpu_sw_netstats){0};
	for_each_possible_cpu(cpu)
	{
		const struct pcpu_sw_netstats *s = per_cpu_ptr(dev->tstats, cpu);

		tot->rx_packets += __atomic_load_n(&s->rx_packets, __ATOMIC_RELAXED);
		tot->rx_bytes += __atomic_load_n(&s->rx_bytes, __ATOMIC_RELAXED);
		tot->tx_packets += __atomic_load_n(&s->tx_packets, __ATOMIC_RELAXED);
		tot->tx_bytes += __atomic_load_n(&s->tx_bytes, __ATOMIC_RELAXED);
		tot->rx_errors += __atomic_load_n(&s->rx_errors, __ATOMIC_RELAXED);
	}
}

static void netdev_uninit(struct net_device *dev)
{
	percpu_ref_kill(&dev->refcnt);
	percpu_ref_exit(&dev->refcnt);
	percpu_counter_destroy(&dev->dropped);
	free_percpu(dev->seq);
	free_percpu(dev->tstats);
}

/* ---- the test */

#define THREADS 4
#define PACKETS 20000

static struct net_device dev;
static int64_t seq_max[THREADS];

static void *traffic(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (int i = 0; i < PACKETS; i++) {
		int64_t s;

		netdev_rx(&dev, 100 + (unsigned)(i % 7), i % 10 == 0);
		netdev_tx(&dev, 60);
		s = this_cpu_inc_return(*dev.seq);
		if (s > seq_max[id])
			seq_max[id] = s;
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	struct pcpu_sw_netstats tot;
	int64_t rx_bytes = 0;
	int cpu, n = 0;

	tap_start();
	is(num_possible_cpus(), pcpu_nr_cpus(), "num_possible_cpus() is pcpu_nr_cpus()");
	for_each_possible_cpu(cpu) n++;
	is(n, pcpu_nr_cpus(), "for_each_possible_cpu() visits every CPU once");
	ok(percpu_counter_batch >= 32,
	   "percpu_counter_batch reads like the kernel's variable");
	is(netdev_init(&dev), 0, "kernel-style init with gfp arguments");
	ok(((uintptr_t)per_cpu_ptr(dev.tstats, 0) & 7) == 0,
	   "alloc_percpu() honours the type's alignment");

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, traffic, (void *)(intptr_t)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	for (int i = 0; i < PACKETS; i++)
		if (i % 10)
			rx_bytes += 100 + i % 7;
	netdev_get_stats64(&dev, &tot);
	is(tot.rx_packets, THREADS * (PACKETS - PACKETS / 10), "this_cpu_inc() on u64");
	is(tot.rx_bytes, THREADS * rx_bytes, "this_cpu_add() on u64");
	is(tot.tx_packets, THREADS * PACKETS, "this_cpu_dec()/inc() balance");
	is(tot.tx_bytes, THREADS * PACKETS * 60, "this_cpu_sub()/add() balance");
	is(tot.rx_errors, THREADS * PACKETS / 10, "this_cpu_inc() on a 32-bit field");
	is(percpu_counter_sum(&dev.dropped), THREADS * PACKETS / 10,
	   "percpu_counter_init() with gfp counts");
	int64_t sum = 0;
	for_each_possible_cpu(cpu) sum += *per_cpu_ptr(dev.seq, cpu);
	is(sum, THREADS * PACKETS, "this_cpu_inc_return() lands every increment");
	ok(seq_max[0] >= 1 && seq_max[0] <= THREADS * PACKETS,
	   "this_cpu_inc_return() returns the updated copy");
	int64_t *mine = this_cpu_ptr(dev.seq);
	int found = 0;
	for_each_possible_cpu(cpu) found += mine == per_cpu_ptr(dev.seq, cpu);
	is(found, 1, "this_cpu_ptr() is one CPU's copy");
	ok(!dev.released, "the device ref is live while up");
	netdev_uninit(&dev);
	ok(dev.released, "percpu_ref_init() with gfp releases after kill");
	return tap_done();
}
