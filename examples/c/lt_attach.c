// build: -O0
/* A long-running program to attach to: 3000 strlen calls 2 ms apart (about 6 s), then exits
 * with status 0; it prints "ready" first (a breakpoint left in it after a detach would kill it with SIGTRAP). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    const char *volatile s = "attach me";
    size_t t = 0;
    /* Tell whoever attaches that the program is past its start-up. */
    puts("ready");
    fflush(stdout);
    for (int i = 0; i < 3000; i++) {
        t += strlen(s);
        usleep(2000);
    }
    return t != 3000 * 9;
}
