// build: -O0
/* A SIGSEGV handler installed BEFORE the crash handler loads: the program installs it, then
 * loads the library named by $CRASH_CHAIN_LIB with dlopen (as a plugin host would). The crash
 * handler must report, then chain to this handler, which decides how the program ends
 * (exit status 42). */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_segv(int sig, siginfo_t *info, void *ctx) {
    (void)sig; (void)info; (void)ctx;
    static const char msg[] = "crash_chain: earlier handler ran\n";
    write(2, msg, sizeof msg - 1);
    _exit(42);
}

__attribute__((noinline)) void poke(int *p) {
    *p = 1;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    const char *lib = getenv("CRASH_CHAIN_LIB");
    if (lib && !dlopen(lib, RTLD_NOW)) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    poke(NULL);
    return 0;
}
