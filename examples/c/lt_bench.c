// build: -O1
/* The ltrace benchmark's workload: `lt_bench strlen N` calls strlen N times, `lt_bench malloc
 * N` calls malloc and free N times each. */
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    long n = argc > 2 ? atol(argv[2]) : 200000;
    const char *volatile s = "benchmark";
    size_t t = 0;
    if (argc > 1 && strcmp(argv[1], "malloc") == 0) {
        for (long i = 0; i < n; i++) {
            void *volatile p = malloc(32);
            free(p);
        }
    } else {
        for (long i = 0; i < n; i++)
            t += strlen(s);
    }
    return t == 1;
}
