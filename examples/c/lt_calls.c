// build: -O0
// variants: now=-Wl,-z,now cet=-fcf-protection=full+-Wl,-z,lazy cetnow=-fcf-protection=full+-Wl,-z,now noplt=-fno-plt nopie=-no-pie+-fno-pie
/* ltrace-rs's linkage victim: known numbers of library calls, built once per linkage
 * (default lazy PIE, -z now, .plt.sec lazy and now, -fno-plt, non-PIE). The tests count them:
 * strlen 6 (an IFUNC; strlen("") is folded by the compiler), memcpy 2 (an IFUNC), malloc 4, free 4, puts 3, atoi 1 (no prototype
 * in ltrace.conf), getenv 1. argv[1], when given, is the string measured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *s = argc > 1 ? argv[1] : "a string longer than thirty-two characters";
    size_t total = 0;
    for (int i = 0; i < 5; i++)
        total += strlen(s + i);
    char *blocks[4];
    for (int i = 0; i < 4; i++)
        blocks[i] = malloc(16 * (i + 1));
    size_t n = strlen(s) + 1;
    memcpy(blocks[3], s, n);
    memcpy(blocks[2], "copy", 5);
    puts(blocks[3]);
    puts(blocks[2]);
    int k = atoi("42");
    if (getenv("LT_CALLS_UNSET_VARIABLE") == NULL)
        puts("unset");
    for (int i = 0; i < 4; i++)
        free(blocks[i]);
    return (int)(strlen("") + (size_t)(k - 42) + (total == 0));
}
