// build: -O0
/* A program that installs its own SIGSEGV handler (after the preload installed its own): the
 * program's handler must run, and the program dies as it decides. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void on_segv(int sig) {
    static const char msg[] = "crash_own_handler: own handler ran\n";
    write(2, msg, sizeof msg - 1);
    signal(sig, SIG_DFL);
    raise(sig);
}

__attribute__((noinline)) void poke(int *p) {
    *p = 1;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    poke(NULL);
    return 0;
}
