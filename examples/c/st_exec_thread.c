// build: -O1 -pthread
/* execve from a non-leader thread: the thread takes over the leader's pid. */
#include <pthread.h>
#include <unistd.h>

static void *run(void *arg) {
    (void)arg;
    execl("/bin/true", "true", (char *)NULL);
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, run, NULL);
    for (;;) pause();
}
