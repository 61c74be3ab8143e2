// build: -O0 -pthread
/* Unbounded recursion in a thread created after the crash handler loaded, with a small stack:
 * the report needs the alternate signal stack our pthread_create gave that thread. */
#include <pthread.h>
#include <stdio.h>

__attribute__((noinline)) int descend(int depth) {
    volatile char pad[128];
    pad[0] = (char)depth;
    return descend(depth + 1) + pad[0];
}

static void *deep(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "deep");
    printf("%d\n", descend(0));
    return NULL;
}

int main(void) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t t;
    pthread_create(&t, &attr, deep, NULL);
    pthread_join(t, NULL);
    return 0;
}
