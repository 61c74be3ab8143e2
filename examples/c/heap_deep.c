// build: -g -O2
/* Deep stacks: each iteration descends 50 to 81 frames through two recursive functions (rec_a,
 * rec_b, picked per level by one of 8 fixed paths, which share their outer or inner levels)
 * and allocates on the way down at every 8th level and at the bottom, always through
 * leaf_alloc. Consecutive allocations share most of their frames, and calls from different
 * paths meet the same return addresses at the same depths. It counts its own allocations
 * per call path and prints them, one line per path: the letters of the rec_* frames from
 * the outermost (main's callee) to the innermost, then the count. rec_a's frames are found
 * from rsp, rec_b's from rbp.
 * Usage: heap_deep [iterations]   (default 20000) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PATHS 8
#define MAX_DEPTH 82
static uint64_t masks[PATHS];
static unsigned long counts[PATHS][MAX_DEPTH];
static uint32_t rng = 2463534242u;
static void *ring[64];
static unsigned ring_at;

static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

__attribute__((noinline)) void leaf_alloc(size_t n) {
    free(ring[ring_at % 64]);
    char *p = malloc(n);
    p[0] = 1;
    ring[ring_at++ % 64] = p;
}

static void step(unsigned path, unsigned level, unsigned depth);

__attribute__((noinline)) void rec_a(unsigned path, unsigned level, unsigned depth) {
    step(path, level, depth);
    __asm__ volatile("" ::: "memory"); /* keep the recursion a real call */
}

/* rec_b's frame has a variable-length array, so its frame is found from rbp (the CFA rule
 * is rbp + 16): walks through it depend on the saved rbp cells as well as on the return
 * addresses. */
__attribute__((noinline)) void rec_b(unsigned path, unsigned level, unsigned depth) {
    volatile char scratch[1 + level % 4];
    scratch[0] = (char)level;
    step(path, level, depth);
    __asm__ volatile("" ::: "memory");
}

/* Called by the rec_* frame of `level` (0 the outermost). */
static inline void step(unsigned path, unsigned level, unsigned depth) {
    if (level % 8 == 7 || level + 1 == depth) {
        counts[path][level]++;
        leaf_alloc(16 + next() % 512);
    }
    if (level + 1 == depth)
        return;
    if (masks[path] >> ((level + 1) % 64) & 1)
        rec_b(path, level + 1, depth);
    else
        rec_a(path, level + 1, depth);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 20000;
    /* Paths alike at the top and different below, and the other way round. */
    for (unsigned p = 0; p < PATHS; p++)
        masks[p] = p < 4 ? 0x5555555555555555ull ^ ((uint64_t)p << 60)
                         : 0x0f0f0f0f0f0f0f0full ^ ((uint64_t)(p - 3) << 1);
    for (long i = 0; i < n; i++) {
        uint32_t r = next();
        unsigned path = r % PATHS, depth = 50 + (r >> 8) % 32;
        if (masks[path] & 1)
            rec_b(path, 0, depth);
        else
            rec_a(path, 0, depth);
    }
    for (unsigned i = 0; i < 64; i++)
        free(ring[i]);
    /* One line per call path that allocated: its rec_* letters from the outermost, count. */
    for (unsigned p = 0; p < PATHS; p++)
        for (unsigned level = 0; level < MAX_DEPTH; level++) {
            if (!counts[p][level])
                continue;
            char letters[MAX_DEPTH + 1];
            for (unsigned l = 0; l <= level; l++)
                letters[l] = (masks[p] >> (l % 64) & 1) ? 'b' : 'a';
            letters[level + 1] = 0;
            printf("%s %lu\n", letters, counts[p][level]);
        }
    return 0;
}
