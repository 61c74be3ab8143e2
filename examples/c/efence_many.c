/* A clean program with many live blocks at once (200000 by default, or argv[1]): more than
 * vm.max_map_count allows guard pages for. Each block is filled and checked, then all are
 * freed. Prints a checksum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    unsigned char **blocks = malloc((size_t)n * sizeof *blocks);
    if (!blocks) return 1;
    for (long i = 0; i < n; i++) {
        size_t size = 16 + (size_t)(i % 48);
        blocks[i] = malloc(size);
        if (!blocks[i]) {
            printf("malloc failed at block %ld\n", i);
            return 1;
        }
        memset(blocks[i], (int)(i & 0xff), size);
    }
    unsigned long sum = 0;
    for (long i = 0; i < n; i++) sum += blocks[i][15] + blocks[i][16 + i % 48 - 1];
    for (long i = 0; i < n; i++) free(blocks[i]);
    free(blocks);
    printf("many: %ld live blocks, checksum %lu\n", n, sum);
    return 0;
}
