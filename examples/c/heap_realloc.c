// build: -O1
/* Realloc-heavy work, for temporary allocations as heaptrack counts them (a block released by
 * the very next recorded event after its allocation; a realloc releases its block, moved or
 * not, then allocates). Each round:
 *  - a string grown by realloc 40 times in steps of 24 bytes: every realloc but the first
 *    releases the block the one before made (39 temporary);
 *  - a 64-byte scratch buffer freed at once (1 temporary); then the string is freed (not
 *    temporary: the scratch buffer's free came between);
 *  - an array of 16 pointers grown by realloc after each element's malloc (no realloc releases
 *    the last block), then freed right after its last realloc (1 temporary), then the elements.
 * So 41 temporary allocations per round. With a second argument `collide`, each round also
 * allocates two 48-byte blocks at one line and frees the first: not temporary (another block
 * was allocated between), but heaptrack, which tells blocks apart by size and stack, counts it.
 * Nothing else allocates (no stdio).
 * Usage: heap_realloc [rounds (default 1000)] [collide] */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) char *grow_string(void) {
    char *s = NULL;
    for (size_t len = 24; len <= 40 * 24; len += 24) {
        s = realloc(s, len);
        memset(s + len - 24, 'a', 24);
    }
    return s;
}

__attribute__((noinline)) void scratch(void) {
    char *volatile p = malloc(64);
    p[0] = 1;
    free(p);
}

__attribute__((noinline)) void grow_array(void) {
    void **arr = NULL;
    for (int i = 0; i < 16; i++) {
        void *e = malloc(32);
        arr = realloc(arr, (size_t)(i + 1) * sizeof *arr);
        arr[i] = e;
    }
    void *keep[16];
    memcpy(keep, arr, sizeof keep);
    free(arr);
    for (int i = 0; i < 16; i++) free(keep[i]);
}

__attribute__((noinline)) void collide(void) {
    void *volatile p[2];
    volatile int two = 2; /* not unrolled: both blocks come from one call site */
    for (int i = 0; i < two; i++) p[i] = malloc(48);
    free(p[0]);
    free(p[1]);
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 1000;
    int collisions = argc > 2 && strcmp(argv[2], "collide") == 0;
    for (long r = 0; r < rounds; r++) {
        char *s = grow_string();
        scratch();
        free(s);
        grow_array();
        if (collisions) collide();
    }
    return 0;
}
