// build: -g -O2 -pthread
/* One allocating function reached from two callers whose frames are alike, so that the
 * allocation happens at the same stack depth with the same return addresses in the two
 * innermost frames: only the third frame up tells the calls apart. The heap tracker's
 * remembered walks must still tell them apart, in every thread at once.
 * Usage: heap_callers N [THREADS]   (N iterations in each of THREADS threads, default 1:
 * via_b when i % 3 == 0, else via_a) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void *leaf(size_t n) {
    void *p = malloc(n);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

__attribute__((noinline)) void *mid(size_t n) {
    void *p = leaf(n);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

__attribute__((noinline)) void via_a(long i) {
    free(mid(16 + (size_t)(i % 7)));
    __asm__ volatile("" : : : "memory");
}

__attribute__((noinline)) void via_b(long i) {
    free(mid(16 + (size_t)(i % 7)));
    __asm__ volatile("" : : : "memory");
}

static long n = 30000;

static void *loop(void *arg) {
    (void)arg;
    for (long i = 0; i < n; i++) {
        if (i % 3 == 0)
            via_b(i);
        else
            via_a(i);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) n = atol(argv[1]);
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads <= 1) {
        loop(NULL);
    } else {
        pthread_t t[64];
        if (threads > 64) threads = 64;
        for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, loop, NULL);
        for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    }
    printf("%ld calls in %d threads\n", n * threads, threads < 1 ? 1 : threads);
    return 0;
}
