// build: -g -O2
/* One allocating function reached from two callers whose frames are alike, so that the
 * allocation happens at the same stack depth with the same return addresses in the two
 * innermost frames: only the third frame up tells the calls apart. The heap tracker's
 * remembered walks must still tell them apart.
 * Usage: heap_callers N   (N iterations: via_b when i % 3 == 0, else via_a) */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void *leaf(size_t n) {
    void *p = malloc(n);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

__attribute__((noinline)) void *mid(size_t n) {
    void *p = leaf(n);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

__attribute__((noinline)) void via_a(long i) {
    free(mid(16 + (size_t)(i % 7)));
    __asm__ volatile("" : : : "memory");
}

__attribute__((noinline)) void via_b(long i) {
    free(mid(16 + (size_t)(i % 7)));
    __asm__ volatile("" : : : "memory");
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 30000;
    for (long i = 0; i < n; i++) {
        if (i % 3 == 0)
            via_b(i);
        else
            via_a(i);
    }
    printf("%ld calls\n", n);
    return 0;
}
