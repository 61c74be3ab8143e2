// build: -O1 -pthread
/* Threads: create, each writes and exits; join. */
#include <pthread.h>
#include <unistd.h>

static void *work(void *arg) {
    write(1, arg, 6);
    return NULL;
}

int main(void) {
    pthread_t t1, t2;
    pthread_create(&t1, NULL, work, "one..\n");
    pthread_join(t1, NULL);
    pthread_create(&t2, NULL, work, "two..\n");
    pthread_join(t2, NULL);
    return 0;
}
