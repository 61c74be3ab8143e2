// build: -O0 -pthread
/* A thread raises SIGUSR1, whose handler calls puts: without -f neither the thread's calls nor
 * its signal are shown (ltrace traces the first thread only); with -f both are. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static void on_usr1(int sig) {
    (void)sig;
    puts("handled");
}

static void *run(void *arg) {
    (void)arg;
    const char *volatile s = "thread";
    (void)strlen(s);
    raise(SIGUSR1);
    return NULL;
}

int main(void) {
    const char *volatile s = "main";
    signal(SIGUSR1, on_usr1);
    pthread_t t;
    pthread_create(&t, NULL, run, NULL);
    pthread_join(t, NULL);
    return strlen(s) != 4;
}
