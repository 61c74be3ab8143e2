// build: -O0 -pthread
/* A crash while another thread is forking: the main thread forks children in a loop (each
 * exits at once, with _exit) while a second thread crashes; one report, no hang, death by
 * SIGSEGV. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *crasher(void *arg) {
    (void)arg;
    usleep(30 * 1000);
    volatile int *p = NULL;
    *p = 42; /* the crash */
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, crasher, NULL);
    for (;;) {
        pid_t c = fork();
        if (c == 0)
            _exit(0);
        if (c > 0)
            waitpid(c, NULL, 0);
    }
}
