// build: -O0
/* Calls strlen three times, then replaces itself (execl of its own file with "again"), where
 * the new image calls strlen twice and puts once: `ltrace -c` of it counts strlen 5 times. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    size_t n = 0;
    const char *volatile one = "one", *volatile two = "two";
    if (argc > 1 && strcmp(argv[1], "again") == 0) {
        n = strlen(argv[0]) + strlen(argv[1]);
        puts("again");
        return n == 0;
    }
    n = strlen(argv[0]) + strlen(one) + strlen(two);
    execl(argv[0], argv[0], "again", (char *)NULL);
    return (int)n;
}
