// build: -static
/* A statically linked program (no dynamic loader, no libc.so) that waits for a line on stdin:
 * `tracekit heap -p` must refuse it with a clear message and leave it running. It prints
 * "ready" first, and "bye" when it reads its line. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    puts("ready");
    fflush(stdout);
    char line[16];
    char *p = malloc(16);
    if (fgets(line, sizeof line, stdin))
        puts("bye");
    free(p);
    return 0;
}
