// build: -O0
/* Signals under ltrace-rs: a handled SIGUSR1 (raise, delivered unchanged: the handler calls
 * puts), then a NULL write that kills the program with SIGSEGV. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

static void on_usr1(int sig) {
    puts(sig == SIGUSR1 ? "usr1 handled" : "wrong signal");
}

int main(void) {
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    fflush(stdout);
    volatile int *volatile p = NULL;
    *p = (int)strlen("boom");
    return 0;
}
