// build: -O0
/* A program with its own SIGSEGV handler, installed at start (after the preload's): on a
 * heap overflow its handler must run (chained), and the program dies as it decides: it
 * says so and exits with status 3. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_segv(int sig) {
    (void)sig;
    static const char msg[] = "efence_own_handler: own handler ran\n";
    write(2, msg, sizeof msg - 1);
    _exit(3);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    char *p = malloc(32); /* A:own_handler */
    volatile char *q = p;
    q[32] = 'x'; /* X:own_handler */
    free(p);
    return 0;
}
