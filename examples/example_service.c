/* SPDX-License-Identifier: MIT */
/*
 * example_service - a small multi-threaded HTTP service on 127.0.0.1,
 * instrumented with libpcpu the way an application would be.  It links
 * only libpcpu-api; preloading libpcpu.so (or running it under pcpu-run)
 * swaps in the per-CPU runtime without a rebuild.
 *
 * Routes:
 *   GET /hello     a greeting from the current configuration snapshot
 *   GET /data/N    N bytes of payload, accounted as memory in flight;
 *                  503 if that would pass the memory limit, 400 above 4 MiB
 *   GET /reload    publish a new configuration snapshot
 *   GET /stats     the counters below, as text
 *   anything else  404
 *
 * Instrumentation:
 *   - per route, percpu_counters of requests, body bytes and errors (one
 *     percpu_counter_init_many() for all of them);
 *   - a per-CPU struct of connection, request and byte counts, from
 *     pcpu_alloc() and updated with pcpu_this_add(), summed over the CPUs
 *     by the stats page;
 *   - a percpu_counter_tree of payload bytes in flight, checked against a
 *     limit with an approximate comparison, precise only when undecided;
 *   - configuration snapshots counted by percpu_refs: requests take a
 *     reference, /reload publishes a new snapshot and kills the old one,
 *     whose release retires it.
 *
 * Usage:
 *   example_service [--threads N]      self-test: serve, run a fixed mix of
 *                                      requests from N client threads over
 *                                      loopback, print /stats, stop
 *   example_service --serve SECONDS [--port P] [--port-file FILE]
 *                                      serve for SECONDS (for wrk), then
 *                                      print /stats and stop
 * The self-test's output depends only on the request mix, so it is the
 * same whichever library serves the API; it exits 1 if the server's
 * counters disagree with what the clients saw.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pcpu.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MEMORY_LIMIT (1 << 20)
#define PAYLOAD_MAX  (4 << 20)
#define REQ_MAX	     8192

/* ---- instrumentation */

enum route { R_HELLO, R_DATA, R_RELOAD, R_STATS, R_NOTFOUND, NR_ROUTES };
static const char *const route_names[NR_ROUTES] = {"/hello", "/data", "/reload", "/stats",
						   "(other)"};
enum { C_REQUESTS, C_BYTES, C_ERRORS, NR_ROUTE_COUNTERS };
static struct percpu_counter route_counters[NR_ROUTES * NR_ROUTE_COUNTERS];

static struct percpu_counter *route_counter(enum route r, int which)
{
	return &route_counters[r * NR_ROUTE_COUNTERS + which];
}

/* One copy per CPU; only pcpu_this_add() writes it. */
struct cpu_stats {
	int64_t connections;
	int64_t requests;
	int64_t bytes_in;
	int64_t bytes_out;
};
static struct cpu_stats *cpu_stats;

static int64_t cpu_stats_sum(size_t field)
{
	return pcpu_sum((int64_t *)((char *)cpu_stats + field));
}

static struct percpu_counter_tree memory_in_flight;
static struct percpu_counter memory_rejected;

/* Charge n bytes unless that passes the limit. */
static int memory_charge(long n)
{
	int cmp;

	/* A request that alone passes the limit is refused without charging
	 * it: its transient charge would refuse unrelated requests in
	 * flight, making the outcome depend on timing. */
	if (n > MEMORY_LIMIT)
		goto reject;
	percpu_counter_tree_add(&memory_in_flight, n);
	/* Sign of (limit - in flight): negative when over.  The approximate
	 * answer is one load; the precise sum only near the limit. */
	cmp = percpu_counter_tree_approximate_compare_value(&memory_in_flight,
							    MEMORY_LIMIT);
	if (!cmp)
		cmp = percpu_counter_tree_precise_compare_value(&memory_in_flight,
								MEMORY_LIMIT);
	if (cmp >= 0)
		return 0;
	percpu_counter_tree_add(&memory_in_flight, -n);
reject:
	percpu_counter_inc(&memory_rejected);
	return -1;
}

static void memory_uncharge(long n)
{
	percpu_counter_tree_add(&memory_in_flight, -n);
}

/* ---- configuration snapshots */

struct snapshot {
	struct percpu_ref ref;
	unsigned version;
	char greeting[48];
	struct snapshot *retired_next;
};

static pthread_rwlock_t snapshot_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct snapshot *snapshot_current;
static struct snapshot *snapshots_retired; /* released, freed at the end */
static unsigned nr_retired;

static void snapshot_release(struct percpu_ref *ref)
{
	struct snapshot *s = (struct snapshot *)ref; /* ref is the first member */

	s->retired_next = __atomic_load_n(&snapshots_retired, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&snapshots_retired, &s->retired_next, s, 1,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	__atomic_fetch_add(&nr_retired, 1, __ATOMIC_RELAXED);
}

static struct snapshot *snapshot_new(unsigned version)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s || percpu_ref_init(&s->ref, snapshot_release, 0)) {
		fprintf(stderr, "example_service: out of memory\n");
		exit(1);
	}
	s->version = version;
	snprintf(s->greeting, sizeof(s->greeting), "hello from configuration v%u\n",
		 version);
	return s;
}

static struct snapshot *snapshot_get(void)
{
	struct snapshot *s;

	pthread_rwlock_rdlock(&snapshot_lock);
	s = snapshot_current;
	percpu_ref_get(&s->ref);
	pthread_rwlock_unlock(&snapshot_lock);
	return s;
}

static void snapshot_put(struct snapshot *s)
{
	percpu_ref_put(&s->ref);
}

static unsigned snapshot_publish(void)
{
	struct snapshot *old, *s;

	pthread_rwlock_wrlock(&snapshot_lock);
	old = snapshot_current;
	s = snapshot_new(old->version + 1);
	snapshot_current = s;
	pthread_rwlock_unlock(&snapshot_lock);
	/* Requests still holding old keep it alive; the last put retires it. */
	percpu_ref_kill(&old->ref);
	return s->version;
}

/* At the end, with no request in flight. */
static void snapshots_free(void)
{
	struct snapshot *s = snapshot_current, *next;

	percpu_ref_kill(&s->ref);
	for (s = snapshots_retired; s; s = next) {
		next = s->retired_next;
		percpu_ref_exit(&s->ref);
		free(s);
	}
}

/* ---- HTTP */

static int stopping;
static int nr_active; /* connection threads still running */

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static size_t render_stats(char *buf, size_t size)
{
	size_t n = 0;

#define PUT(...) n += (size_t)snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__)
	PUT("%-9s %10s %12s %8s\n", "route", "requests", "bytes", "errors");
	for (int r = 0; r < NR_ROUTES; r++)
		PUT("%-9s %10lld %12lld %8lld\n", route_names[r],
		    (long long)percpu_counter_sum(route_counter(r, C_REQUESTS)),
		    (long long)percpu_counter_sum(route_counter(r, C_BYTES)),
		    (long long)percpu_counter_sum(route_counter(r, C_ERRORS)));
	PUT("connections %lld, requests %lld, bytes in %lld, bytes out %lld\n",
	    (long long)cpu_stats_sum(offsetof(struct cpu_stats, connections)),
	    (long long)cpu_stats_sum(offsetof(struct cpu_stats, requests)),
	    (long long)cpu_stats_sum(offsetof(struct cpu_stats, bytes_in)),
	    (long long)cpu_stats_sum(offsetof(struct cpu_stats, bytes_out)));
	PUT("memory in flight %ld bytes (limit %d), %lld requests over the limit\n",
	    percpu_counter_tree_precise_sum(&memory_in_flight), MEMORY_LIMIT,
	    (long long)percpu_counter_sum(&memory_rejected));
	pthread_rwlock_rdlock(&snapshot_lock);
	PUT("configuration v%u, %u snapshots retired\n", snapshot_current->version,
	    __atomic_load_n(&nr_retired, __ATOMIC_RELAXED));
	pthread_rwlock_unlock(&snapshot_lock);
#undef PUT
	return n < size ? n : size - 1;
}

/* Answer one request line; returns 0, or -1 if the connection broke. */
static int handle(int fd, const char *method, const char *path)
{
	static const char filler[] = "0123456789abcdefghijklmnopqrstuvwxyz\n";
	char head[160], small[4096];
	const char *status = "200 OK";
	char *body = small, *big = NULL;
	size_t len = 0;
	long charged = 0;
	enum route r;
	int err;

	if (!strcmp(path, "/hello")) {
		struct snapshot *s = snapshot_get();

		r = R_HELLO;
		len = (size_t)snprintf(small, sizeof(small), "%s", s->greeting);
		snapshot_put(s);
	} else if (!strncmp(path, "/data/", 6)) {
		char *end;
		long n = strtol(path + 6, &end, 10);

		r = R_DATA;
		if (*end || n < 0 || n > PAYLOAD_MAX) {
			status = "400 Bad Request";
			len = (size_t)snprintf(small, sizeof(small), "bad size\n");
		} else if (memory_charge(n)) {
			status = "503 Service Unavailable";
			len = (size_t)snprintf(small, sizeof(small),
					       "over the memory limit\n");
		} else {
			charged = n;
			len = (size_t)n;
			if (len > sizeof(small) && !(body = big = malloc(len))) {
				memory_uncharge(charged);
				return -1;
			}
			for (size_t i = 0; i < len; i++)
				body[i] = filler[i % (sizeof(filler) - 1)];
		}
	} else if (!strcmp(path, "/reload")) {
		r = R_RELOAD;
		len = (size_t)snprintf(small, sizeof(small), "configuration v%u\n",
				       snapshot_publish());
	} else if (!strcmp(path, "/stats")) {
		r = R_STATS;
		percpu_counter_inc(route_counter(r, C_REQUESTS));
		len = render_stats(small, sizeof(small));
		goto send; /* its own request is counted before the page */
	} else {
		r = R_NOTFOUND;
		status = "404 Not Found";
		len = (size_t)snprintf(small, sizeof(small), "no such page\n");
	}
	if (strcmp(method, "GET")) {
		status = "405 Method Not Allowed";
		len = (size_t)snprintf(body = small, sizeof(small), "GET only\n");
	}
	percpu_counter_inc(route_counter(r, C_REQUESTS));
	percpu_counter_add(route_counter(r, C_BYTES), (int64_t)len);
	if (status[0] != '2')
		percpu_counter_inc(route_counter(r, C_ERRORS));
send:;
	int hn = snprintf(
	    head, sizeof(head),
	    "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
	    status, len);
	pcpu_this_add(&cpu_stats->requests, 1);
	pcpu_this_add(&cpu_stats->bytes_out, hn + (int64_t)len);
	err = send_all(fd, head, (size_t)hn) || send_all(fd, body, len);
	free(big);
	if (charged)
		memory_uncharge(charged);
	return err ? -1 : 0;
}

/* Wait until fd is readable or the service stops; 1 if readable. */
static int wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (!__atomic_load_n(&stopping, __ATOMIC_RELAXED)) {
		int n = poll(&p, 1, 100);

		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return 0;
	}
	return 0;
}

static void *connection(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[REQ_MAX + 1];
	size_t have = 0;

	pcpu_this_add(&cpu_stats->connections, 1);
	for (;;) {
		char *end = have ? strstr(buf, "\r\n\r\n") : NULL;

		if (!end) {
			ssize_t n;

			if (have == REQ_MAX || !wait_readable(fd))
				break;
			n = recv(fd, buf + have, REQ_MAX - have, 0);
			if (n <= 0)
				break;
			have += (size_t)n;
			buf[have] = '\0';
			continue;
		}
		/* One request: "METHOD PATH VERSION\r\n...\r\n\r\n". */
		size_t used = (size_t)(end + 4 - buf);
		char method[16], path[256];
		int close_after = strstr(buf, "\r\nConnection: close\r\n") &&
				  strstr(buf, "\r\nConnection: close\r\n") < end;

		pcpu_this_add(&cpu_stats->bytes_in, (int64_t)used);
		if (sscanf(buf, "%15s %255s", method, path) != 2 ||
		    handle(fd, method, path) || close_after)
			break;
		memmove(buf, buf + used, have - used + 1);
		have -= used;
	}
	close(fd);
	__atomic_fetch_sub(&nr_active, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *acceptor(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (wait_readable(lfd)) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;

		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
		__atomic_fetch_add(&nr_active, 1, __ATOMIC_RELAXED);
		if (pthread_create(&t, &attr, connection, (void *)(intptr_t)fd)) {
			close(fd);
			__atomic_fetch_sub(&nr_active, 1, __ATOMIC_RELAXED);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* Listen on 127.0.0.1:port (0: any free port); returns the socket. */
static int listen_loopback(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				.sin_port = htons((uint16_t)*port)};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 512) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen)) {
		perror("example_service: listen on 127.0.0.1");
		exit(1);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* ---- the self-test's clients */

static int port;

struct client {
	int id;
	int nr_requests;
	/* What the client saw, per route: requests, body bytes, errors. */
	long long seen[NR_ROUTES][NR_ROUTE_COUNTERS];
	int failed;
};

static int connect_loopback(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				.sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("example_service: connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	return fd;
}

/* GET path on fd; the status code, with the body in *body (malloc'd). */
static int get(int fd, const char *path, char **body, size_t *len)
{
	char req[300], head[1024];
	size_t have = 0, clen;
	char *end;
	int status;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (send_all(fd, req, strlen(req)))
		return -1;
	/* Read the head byte by byte: the body must stay in the socket. */
	while (have < sizeof(head) - 1) {
		if (recv(fd, head + have, 1, 0) != 1)
			return -1;
		head[++have] = '\0';
		if ((end = strstr(head, "\r\n\r\n")))
			break;
	}
	if (sscanf(head, "HTTP/1.1 %d", &status) != 1 ||
	    !strstr(head, "Content-Length: ") ||
	    sscanf(strstr(head, "Content-Length: "), "Content-Length: %zu", &clen) != 1)
		return -1;
	*body = malloc(clen + 1);
	for (size_t got = 0; got < clen;) {
		ssize_t n = recv(fd, *body + got, clen - got, 0);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	(*body)[clen] = '\0';
	*len = clen;
	return status;
}

static void *client(void *arg)
{
	struct client *c = arg;
	int fd = connect_loopback();

	for (int i = 0; i < c->nr_requests && !c->failed; i++) {
		char path[64], *body = NULL;
		enum route r;
		size_t len;
		int status;

		/* A fixed mix; client 0 also reloads five times, client 1
		 * asks for too much memory once and for a bad size once. */
		if (c->id == 0 && i % 20 == 10 && i < 110) {
			r = R_RELOAD;
			snprintf(path, sizeof(path), "/reload");
		} else if (c->id == 1 && i == 7) {
			r = R_DATA;
			snprintf(path, sizeof(path), "/data/%d", 2 * MEMORY_LIMIT);
		} else if (c->id == 1 && i == 8) {
			r = R_DATA;
			snprintf(path, sizeof(path), "/data/-5");
		} else if (i % 10 < 5) {
			r = R_HELLO;
			snprintf(path, sizeof(path), "/hello");
		} else if (i % 10 < 9) {
			r = R_DATA;
			snprintf(path, sizeof(path), "/data/%d", 100 * (c->id + 1) + i);
		} else {
			r = R_NOTFOUND;
			snprintf(path, sizeof(path), "/missing/%d", i);
		}
		status = get(fd, path, &body, &len);
		if (status < 0) {
			c->failed = 1;
		} else {
			c->seen[r][C_REQUESTS]++;
			c->seen[r][C_BYTES] += (long long)len;
			c->seen[r][C_ERRORS] += status != 200;
		}
		free(body);
	}
	close(fd);
	return NULL;
}

static int self_test(int nr_clients)
{
	struct client *c = calloc((size_t)nr_clients, sizeof(*c));
	pthread_t *t = calloc((size_t)nr_clients, sizeof(*t));
	long long want[NR_ROUTES][NR_ROUTE_COUNTERS] = {{0}};
	char *page;
	size_t len;
	int fd, bad = 0;

	for (int i = 0; i < nr_clients; i++) {
		c[i] = (struct client){.id = i, .nr_requests = 200};
		pthread_create(&t[i], NULL, client, &c[i]);
	}
	for (int i = 0; i < nr_clients; i++) {
		pthread_join(t[i], NULL);
		bad |= c[i].failed;
		for (int r = 0; r < NR_ROUTES; r++)
			for (int k = 0; k < NR_ROUTE_COUNTERS; k++)
				want[r][k] += c[i].seen[r][k];
	}
	fd = connect_loopback();
	if (bad || get(fd, "/stats", &page, &len) != 200) {
		fprintf(stderr, "example_service: a request failed\n");
		return 1;
	}
	close(fd);
	fputs(page, stdout);
	free(page);
	for (int r = 0; r < NR_ROUTES; r++) {
		if (r == R_STATS)
			continue;
		for (int k = 0; k < NR_ROUTE_COUNTERS; k++) {
			if (percpu_counter_sum(route_counter(r, k)) != want[r][k]) {
				fprintf(
				    stderr,
				    "example_service: %s counter %d is %lld, clients saw "
				    "%lld\n",
				    route_names[r], k,
				    (long long)percpu_counter_sum(route_counter(r, k)),
				    want[r][k]);
				bad = 1;
			}
		}
	}
	free(c);
	free(t);
	return bad;
}

int main(int argc, char **argv)
{
	int nr_clients = 8, serve = 0, lfd, status = 0;
	const char *port_file = NULL;
	pthread_t acc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			nr_clients = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--serve") && i + 1 < argc)
			serve = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--port-file") && i + 1 < argc)
			port_file = argv[++i];
		else {
			fprintf(stderr, "usage: example_service [--threads N] | --serve "
					"SECONDS [--port P] [--port-file FILE]\n");
			return 2;
		}
	}
	if (nr_clients < 2)
		nr_clients = 2;

	if (percpu_counter_init_many(route_counters, 0, NR_ROUTES * NR_ROUTE_COUNTERS) ||
	    percpu_counter_init(&memory_rejected, 0) ||
	    percpu_counter_tree_init(&memory_in_flight, 32) ||
	    !(cpu_stats = pcpu_alloc(sizeof(*cpu_stats), 0))) {
		fprintf(stderr, "example_service: cannot set up counters\n");
		return 1;
	}
	snapshot_current = snapshot_new(1);

	lfd = listen_loopback(&port);
	if (port_file) {
		FILE *f = fopen(port_file, "w");

		if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f)) {
			perror("example_service: port file");
			return 1;
		}
	}
	pthread_create(&acc, NULL, acceptor, (void *)(intptr_t)lfd);

	if (serve) {
		fprintf(stderr,
			"example_service: serving http://127.0.0.1:%d/ for %d s\n", port,
			serve);
		sleep((unsigned)serve);
	} else {
		status = self_test(nr_clients);
	}

	__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
	pthread_join(acc, NULL);
	while (__atomic_load_n(&nr_active, __ATOMIC_ACQUIRE))
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	close(lfd);
	if (serve) {
		char page[4096];

		render_stats(page, sizeof(page));
		fputs(page, stdout);
	}

	snapshots_free();
	pcpu_free(cpu_stats);
	percpu_counter_tree_destroy(&memory_in_flight);
	percpu_counter_destroy(&memory_rejected);
	percpu_counter_destroy_many(route_counters, NR_ROUTES * NR_ROUTE_COUNTERS);
	return status;
}
