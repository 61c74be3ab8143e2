// build: -O2
/* The heap tracker's benchmark workload: a million allocation events from three call sites
 * (malloc, calloc, realloc), sizes 16-4096, reached through a few different stack depths,
 * with 256 blocks live at a time (each new block replaces and frees an old one).
 * Usage: heap_bench [iterations]   (default 1000000) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE 256
static void *slots[LIVE];
static uint32_t rng = 2463534242u;

static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static size_t pick_size(void) { return 16 + next() % (4096 - 16 + 1); }

__attribute__((noinline)) void site_malloc(unsigned slot) {
    free(slots[slot]);
    char *p = malloc(pick_size());
    p[0] = 1;
    slots[slot] = p;
}

__attribute__((noinline)) void site_calloc(unsigned slot) {
    free(slots[slot]);
    char *p = calloc(1, pick_size());
    p[0] = 2;
    slots[slot] = p;
}

__attribute__((noinline)) void site_realloc(unsigned slot) {
    char *p = realloc(slots[slot], pick_size());
    p[0] = 3;
    slots[slot] = p;
}

/* Reaches a site through `depth` extra frames. */
__attribute__((noinline)) void descend(unsigned depth, unsigned site, unsigned slot) {
    if (depth > 0) {
        descend(depth - 1, site, slot);
        __asm__ volatile("" ::: "memory"); /* keep the recursion a real call */
        return;
    }
    switch (site) {
    case 0: site_malloc(slot); break;
    case 1: site_calloc(slot); break;
    default: site_realloc(slot); break;
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    for (long i = 0; i < n; i++) {
        unsigned r = next();
        descend(r % 4, (unsigned)(i % 3), (r >> 8) % LIVE);
    }
    for (unsigned i = 0; i < LIVE; i++) free(slots[i]);
    printf("%ld allocation events\n", n);
    return 0;
}
