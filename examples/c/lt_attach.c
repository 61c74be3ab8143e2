// build: -O0
/* A long-running program to attach to: 3000 strlen calls 2 ms apart (about 6 s), then exits
 * with status 0 (a breakpoint left in it after a detach would kill it with SIGTRAP). */
#include <string.h>
#include <unistd.h>

int main(void) {
    const char *volatile s = "attach me";
    size_t t = 0;
    for (int i = 0; i < 3000; i++) {
        t += strlen(s);
        usleep(2000);
    }
    return t != 3000 * 9;
}
