// build: -O2 -pthread
/* No crash at all: a small program for the start-up and run-time benchmark (bench/segv.sh).
 * With an argument N it does N rounds of a little work, each in a new thread (created and
 * joined), and a malloc/free; with "inline" after N the work runs in the main thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *work(void *arg) {
    volatile unsigned long x = (unsigned long)arg;
    for (int i = 0; i < 1000; i++) x = x * 6364136223846793005UL + 1;
    return (void *)x;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 0;
    int inline_work = argc > 2 && strcmp(argv[2], "inline") == 0;
    unsigned long sum = 0;
    for (long r = 0; r < rounds; r++) {
        void *v;
        if (inline_work) {
            v = work((void *)r);
        } else {
            pthread_t t;
            pthread_create(&t, NULL, work, (void *)r);
            pthread_join(t, &v);
        }
        sum += (unsigned long)v;
        char *p = malloc(64 + r % 512);
        p[0] = (char)r;
        sum += (unsigned char)p[0];
        free(p);
    }
    printf("%lu\n", sum);
    return 0;
}
