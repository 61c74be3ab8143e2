// build: -O0 -pthread
/* Several threads crash at the same moment: one report, no deadlock, death by SIGSEGV. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 6
static pthread_barrier_t start;

__attribute__((noinline)) static void crash_now(long i) {
    *(volatile long *)(0x100 + i * 8) = i;
}

static void *run(void *arg) {
    pthread_barrier_wait(&start);
    crash_now((long)arg);
    return NULL;
}

int main(void) {
    pthread_t t[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, run, (void *)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    printf("unreachable\n");
    return 0;
}
