// build: -O0 -pthread
/* Threads calling library functions concurrently: each of 3 threads calls strlen 20 times and
 * puts once; main calls pthread_create 3 times and pthread_join 3 times. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void *worker(void *arg) {
    const char *s = arg;
    size_t t = 0;
    for (int i = 0; i < 20; i++)
        t += strlen(s);
    puts(t > 0 ? s : "");
    return NULL;
}

int main(void) {
    static const char *names[3] = {"one", "two", "three"};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, worker, (void *)names[i]);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    return 0;
}
