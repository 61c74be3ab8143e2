// build: -O1 -pthread
/* A clean threaded program: four threads allocate, fill, check and free blocks of varied
 * sizes, handing half of them to the main thread to free. Prints a checksum. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define PER_THREAD 2000

static void *handed[THREADS][PER_THREAD / 2];

static void *work(void *arg) {
    long id = (long)arg;
    unsigned long sum = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        size_t n = 1 + (size_t)((i * 37 + id * 11) % 300);
        unsigned char *p = malloc(n);
        memset(p, (int)(i & 0xff), n);
        sum += p[n - 1];
        if (i % 2) {
            handed[id][i / 2] = p;
        } else {
            p = realloc(p, n * 2);
            sum += p[0];
            free(p);
        }
    }
    return (void *)sum;
}

int main(void) {
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, work, (void *)i);
    unsigned long total = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        total += (unsigned long)r;
    }
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < PER_THREAD / 2; j++) free(handed[i][j]);
    printf("threads: %d x %d blocks, checksum %lu\n", THREADS, PER_THREAD, total);
    return 0;
}
