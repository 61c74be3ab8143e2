// build: -O0 -pthread
/* A crash in a second thread named "worker", while main waits in pthread_join. */
#include <pthread.h>
#include <stdio.h>

__attribute__((noinline)) static void store(int *p) {
    *p = 7;
}

static void *worker_main(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "worker");
    store((int *)0x18);
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, worker_main, NULL);
    pthread_join(t, NULL);
    printf("unreachable\n");
    return 0;
}
