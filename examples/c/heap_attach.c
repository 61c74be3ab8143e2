// build: -pthread -O1
// variants: noplt=-fno-plt
/* A running program to attach the heap tracker to (`tracekit heap -p`): worker threads
 * allocate in a loop from five sites (malloc, calloc, realloc, aligned_alloc, posix_memalign),
 * each freeing the block it made the round before, and count their calls per site.
 *
 * Driven by lines on stdin, so a test can line its counts up with the attached interval:
 *   pause   the workers stop between two rounds (in no allocator); prints
 *           "paused MALLOC CALLOC REALLOC ALIGNED POSIX" (calls per site since the start)
 *   resume  they go on
 *   quit    they stop; the program frees what is left, prints "done ROUNDS" and exits 0
 * It prints "ready N" once the N workers run.  Usage: heap_attach [threads]   (default 4) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MALLOC, CALLOC, REALLOC, ALIGNED, POSIX, SITES };
static atomic_ulong calls[SITES];
static atomic_ulong rounds;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int paused, quitting, parked, nthreads;

struct slots { void *m, *c, *r, *a, *p; };

__attribute__((noinline)) void site_malloc(struct slots *s, size_t n) {
    free(s->m);
    s->m = malloc(n);
    atomic_fetch_add(&calls[MALLOC], 1);
}
__attribute__((noinline)) void site_calloc(struct slots *s, size_t n) {
    free(s->c);
    s->c = calloc(1, n);
    atomic_fetch_add(&calls[CALLOC], 1);
}
__attribute__((noinline)) void site_realloc(struct slots *s, size_t n) {
    s->r = realloc(s->r, n);
    atomic_fetch_add(&calls[REALLOC], 1);
}
__attribute__((noinline)) void site_aligned(struct slots *s, size_t n) {
    free(s->a);
    s->a = aligned_alloc(64, (n + 63) & ~(size_t)63);
    atomic_fetch_add(&calls[ALIGNED], 1);
}
__attribute__((noinline)) void site_posix(struct slots *s, size_t n) {
    free(s->p);
    if (posix_memalign(&s->p, 32, n) != 0)
        s->p = NULL;
    atomic_fetch_add(&calls[POSIX], 1);
}

/* Waits while paused; false once quitting. */
static int go_on(void) {
    pthread_mutex_lock(&lock);
    while (paused && !quitting) {
        parked++;
        pthread_cond_broadcast(&changed);
        pthread_cond_wait(&changed, &lock);
        parked--;
    }
    int q = quitting;
    pthread_mutex_unlock(&lock);
    return !q;
}

static void *worker(void *arg) {
    unsigned x = (unsigned)(size_t)arg * 2654435761u + 1;
    struct slots s = {0};
    while (go_on()) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        size_t n = 16 + x % 2000;
        site_malloc(&s, n);
        site_calloc(&s, n / 2 + 1);
        site_realloc(&s, n + 8);
        site_aligned(&s, n);
        site_posix(&s, n);
        atomic_fetch_add(&rounds, 1);
    }
    free(s.m), free(s.c), free(s.r), free(s.a), free(s.p);
    return NULL;
}

int main(int argc, char **argv) {
    nthreads = argc > 1 ? atoi(argv[1]) : 4;
    pthread_t *t = calloc(nthreads, sizeof *t);
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, worker, (void *)(size_t)(i + 1));
    printf("ready %d\n", nthreads);
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        pthread_mutex_lock(&lock);
        if (!strncmp(line, "pause", 5)) {
            paused = 1;
            while (parked < nthreads)
                pthread_cond_wait(&changed, &lock);
            printf("paused %lu %lu %lu %lu %lu\n", calls[MALLOC], calls[CALLOC], calls[REALLOC],
                   calls[ALIGNED], calls[POSIX]);
            fflush(stdout);
        } else if (!strncmp(line, "resume", 6)) {
            paused = 0;
            pthread_cond_broadcast(&changed);
        } else if (!strncmp(line, "quit", 4)) {
            quitting = 1;
            pthread_cond_broadcast(&changed);
            pthread_mutex_unlock(&lock);
            break;
        }
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    quitting = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    free(t);
    printf("done %lu\n", rounds);
    return 0;
}
