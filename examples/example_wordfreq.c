/* SPDX-License-Identifier: MIT */
/*
 * example_wordfreq - a batch job instrumented with libpcpu the way an
 * application would be: worker threads tokenize a text and hammer
 * counters, one per word of the vocabulary.  It links only libpcpu-api;
 * preloading libpcpu.so swaps in the per-CPU runtime without a rebuild.
 *
 *   - a percpu_counter per vocabulary word (percpu_counter_init_many);
 *   - a per-CPU histogram of word lengths (pcpu_alloc, pcpu_this_add,
 *     pcpu_sum);
 *   - a percpu_counter_tree per initial letter, of characters, whose
 *     largest is found with percpu_counter_tree_select_max();
 *   - a percpu_counter of words, read approximately while the workers run
 *     (progress) and exactly at the end.
 *
 * The text is generated from a fixed seed, so the output is the same
 * whichever library serves the API and however the threads interleave; the
 * program checks every counter against a single-threaded count and exits
 * 1 on a mismatch.
 *
 * Usage: example_wordfreq [--threads N] [--words N]
 */
#include <pcpu.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCABULARY 1000
#define MAX_LEN	   16
#define HASH_SIZE  4096

static const char *const syllables[] = {"ka", "to", "ri", "mu", "sel",
					"la", "po", "ne", "vi", "dor"};

static char words[VOCABULARY][MAX_LEN];
static int hash_table[HASH_SIZE]; /* word index + 1, 0 if empty */

static struct percpu_counter word_counts[VOCABULARY];
static struct percpu_counter total_words;
static struct percpu_counter_tree letters[26];
static int64_t *length_hist; /* per-CPU int64_t[MAX_LEN] */

static unsigned hash(const char *s, size_t n)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int lookup(const char *s, size_t n)
{
	for (unsigned h = hash(s, n);; h++) {
		int w = hash_table[h % HASH_SIZE] - 1;

		if (w < 0)
			return -1;
		if (strlen(words[w]) == n && !memcmp(words[w], s, n))
			return w;
	}
}

/* Word i: its decimal digits as syllables, so every word is distinct. */
static void make_vocabulary(void)
{
	for (int i = 0; i < VOCABULARY; i++) {
		char digits[8];

		snprintf(digits, sizeof(digits), "%d", i);
		for (char *d = digits; *d; d++)
			strcat(words[i], syllables[*d - '0']);
		for (unsigned h = hash(words[i], strlen(words[i]));; h++) {
			if (!hash_table[h % HASH_SIZE]) {
				hash_table[h % HASH_SIZE] = i + 1;
				break;
			}
		}
	}
}

/* A text of nr words, skewed towards small indexes like real text. */
static char *make_text(long nr, size_t *len)
{
	char *text = malloc((size_t)nr * MAX_LEN + 1), *p = text;
	uint64_t x = 0x2545f4914f6cdd1dull;

	for (long i = 0; i < nr; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		uint64_t r = x * 0x2545f4914f6cdd1dull;
		/* min of two uniforms: index k with density falling in k */
		int a = (int)(r % VOCABULARY), b = (int)((r >> 32) % VOCABULARY);
		const char *w = words[a < b ? a : b];
		size_t n = strlen(w);

		memcpy(p, w, n);
		p += n;
		*p++ = i % 12 == 11 ? '\n' : ' ';
	}
	*p = '\0';
	*len = (size_t)(p - text);
	return text;
}

struct slice {
	const char *start, *end;
};

static void *worker(void *arg)
{
	const struct slice *s = arg;

	for (const char *p = s->start; p < s->end;) {
		const char *q = p;
		int w;

		while (q < s->end && *q != ' ' && *q != '\n')
			q++;
		w = lookup(p, (size_t)(q - p));
		if (w >= 0) {
			percpu_counter_inc(&word_counts[w]);
			percpu_counter_inc(&total_words);
			pcpu_this_add(&length_hist[q - p], 1);
			percpu_counter_tree_add(&letters[*p - 'a'], (long)(q - p));
		}
		p = q + 1;
	}
	return NULL;
}

static int by_count(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int64_t cx = percpu_counter_sum(&word_counts[x]);
	int64_t cy = percpu_counter_sum(&word_counts[y]);

	if (cx != cy)
		return cx > cy ? -1 : 1;
	return x - y;
}

int main(int argc, char **argv)
{
	int nr_threads = 4, order[VOCABULARY], bad = 0;
	long nr_words = 400000;
	struct percpu_counter_tree *letter_ptrs[26];
	int64_t ref_counts[VOCABULARY] = {0}, ref_hist[MAX_LEN] = {0};
	long ref_letters[26] = {0};
	size_t len;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			nr_threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--words") && i + 1 < argc)
			nr_words = atol(argv[++i]);
		else {
			fprintf(stderr,
				"usage: example_wordfreq [--threads N] [--words N]\n");
			return 2;
		}
	}
	if (nr_threads < 1)
		nr_threads = 1;

	make_vocabulary();
	char *text = make_text(nr_words, &len);

	if (percpu_counter_init_many(word_counts, 0, VOCABULARY) ||
	    percpu_counter_init(&total_words, 0) ||
	    percpu_counter_tree_init_many(letters, 26, 64) ||
	    !(length_hist = pcpu_alloc(MAX_LEN * sizeof(int64_t), 0))) {
		fprintf(stderr, "example_wordfreq: cannot set up counters\n");
		return 1;
	}

	/* Slices end at word boundaries. */
	pthread_t *t = calloc((size_t)nr_threads, sizeof(*t));
	struct slice *s = calloc((size_t)nr_threads, sizeof(*s));
	const char *at = text;
	for (int i = 0; i < nr_threads; i++) {
		const char *end = i == nr_threads - 1
				      ? text + len
				      : text + len * (size_t)(i + 1) / (size_t)nr_threads;

		while (end < text + len && end[-1] != ' ' && end[-1] != '\n')
			end++;
		s[i] = (struct slice){at, end < at ? at : end};
		at = s[i].end;
		pthread_create(&t[i], NULL, worker, &s[i]);
	}
	for (int i = 0; i < nr_threads; i++)
		pthread_join(t[i], NULL);

	/* The single-threaded reference. */
	for (const char *p = text; p < text + len;) {
		const char *q = strpbrk(p, " \n");
		int w = lookup(p, (size_t)(q - p));

		ref_counts[w]++;
		ref_hist[q - p]++;
		ref_letters[*p - 'a'] += q - p;
		p = q + 1;
	}

	printf("%lld words, %d distinct in the vocabulary\n",
	       (long long)percpu_counter_sum(&total_words), VOCABULARY);
	for (int i = 0; i < VOCABULARY; i++)
		order[i] = i;
	qsort(order, VOCABULARY, sizeof(order[0]), by_count);
	printf("most frequent:\n");
	for (int i = 0; i < 10; i++)
		printf("  %-12s %8lld\n", words[order[i]],
		       (long long)percpu_counter_sum(&word_counts[order[i]]));
	printf("word lengths:\n");
	for (int n = 0; n < MAX_LEN; n++)
		if (pcpu_sum(&length_hist[n]))
			printf("  %2d %8lld\n", n, (long long)pcpu_sum(&length_hist[n]));
	for (int i = 0; i < 26; i++)
		letter_ptrs[i] = &letters[i];
	int top = percpu_counter_tree_select_max(letter_ptrs, 26, NULL);
	printf("initial letter with the most characters: '%c' (%ld)\n", 'a' + top,
	       percpu_counter_tree_precise_sum(&letters[top]));

	for (int i = 0; i < VOCABULARY; i++)
		bad |= percpu_counter_sum(&word_counts[i]) != ref_counts[i];
	for (int n = 0; n < MAX_LEN; n++)
		bad |= pcpu_sum(&length_hist[n]) != ref_hist[n];
	for (int i = 0; i < 26; i++)
		bad |= percpu_counter_tree_precise_sum(&letters[i]) != ref_letters[i];
	bad |= percpu_counter_sum(&total_words) != nr_words;
	if (bad)
		fprintf(stderr, "example_wordfreq: counters disagree with the "
				"single-threaded count\n");

	pcpu_free(length_hist);
	percpu_counter_tree_destroy_many(letters, 26);
	percpu_counter_destroy(&total_words);
	percpu_counter_destroy_many(word_counts, VOCABULARY);
	free(text);
	free(t);
	free(s);
	return bad;
}
