// build: -O0
/* Two runs of one program for `tracekit diff`: the same work, except that cache_fill keeps
 * EXTRA more 4096-byte blocks (the argument, default 0) live until the end.
 *  - records: 100 x malloc(200), all freed;
 *  - cache_fill: (8 + EXTRA) x malloc(4096), live until main frees them;
 *  - scratch: 50 x malloc(512) each freed at once, while the cache is live.
 * The peak is the cache and one scratch block: 33280 bytes, and 4096 more per EXTRA.
 * Usage: heap_regress [extra] */
#include <stdlib.h>
#include <string.h>

static void *cache[1024];

__attribute__((noinline)) void records(void) {
    void *r[100];
    for (int i = 0; i < 100; i++) {
        r[i] = malloc(200);
        memset(r[i], i, 200);
    }
    for (int i = 0; i < 100; i++) free(r[i]);
}

__attribute__((noinline)) int cache_fill(int extra) {
    int n = 8 + extra;
    for (int i = 0; i < n; i++) {
        cache[i] = malloc(4096);
        memset(cache[i], i, 4096);
    }
    return n;
}

__attribute__((noinline)) void scratch(void) {
    for (int i = 0; i < 50; i++) {
        char *volatile p = malloc(512);
        p[0] = (char)i;
        free(p);
    }
}

int main(int argc, char **argv) {
    int extra = argc > 1 ? atoi(argv[1]) : 0;
    if (extra < 0 || extra > 1000) return 2;
    records();
    int n = cache_fill(extra);
    scratch();
    for (int i = 0; i < n; i++) free(cache[i]);
    return 0;
}
