// build: -O0 -pthread
/* Leak-check victim: checks asked while the program runs, and a check cut short, one per mode
 * (argv[1]), for tests/tests/leak.rs:
 *
 *   request  loses 16 bytes, asks for a check (TRACEKIT_DO_LEAK_CHECK, from
 *            preload-heaptrack/include/tracekit_leak.h), loses 32 more, exits: two checks
 *   signal   the same, the check asked by raise(SIGUSR2) (TRACEKIT_LEAK_CHECK_SIGNAL=USR2)
 *   killed   holds 200,000 blocks, then a thread that blocks every signal (so the check waits
 *            for it to stop, which it never does) kills the process with SIGKILL 50 ms into
 *            the check at exit
 * Each mode also leaks one 8-byte block on purpose, so no run is leak-free. Without the
 * tracker, `request` runs as well (the weak reference is null).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../preload-heaptrack/include/tracekit_leak.h"

static volatile int exiting;
static void **held;

__attribute__((noinline)) static void lose(size_t n) {
    void *p = malloc(n);
    memset(p, 0, n);
}

static void *killer(void *arg) {
    (void)arg;
    while (!exiting)
        usleep(1000);
    usleep(50000);
    kill(getpid(), SIGKILL);
    return NULL;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "request";
    lose(8);
    if (!strcmp(mode, "killed")) {
        held = malloc(200000 * sizeof *held);
        for (int i = 0; i < 200000; i++)
            held[i] = malloc(32);
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
        pthread_t t;
        if (pthread_create(&t, NULL, killer, NULL) != 0)
            return 1;
        sigemptyset(&all);
        pthread_sigmask(SIG_SETMASK, &all, NULL);
        exiting = 1;
        exit(0);
    }
    lose(16);
    if (!strcmp(mode, "signal"))
        raise(SIGUSR2);
    else
        TRACEKIT_DO_LEAK_CHECK();
    lose(32);
    return 0;
}
