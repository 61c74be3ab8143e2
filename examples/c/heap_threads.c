// build: -O1 -pthread
/* Four threads, each doing 1000 malloc(777)/free pairs (naming itself "worker" after the
 * first), plus the main thread's one malloc(555). Prints the total. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *work(void *arg) {
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        char *volatile p = malloc(777);
        p[0] = 1;
        free(p);
        if (i == 0) pthread_setname_np(pthread_self(), "worker");
    }
    return NULL;
}

int main(void) {
    pthread_t t[4];
    char *volatile m = malloc(555);
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    free(m);
    printf("4000 blocks in 4 threads\n");
    return 0;
}
