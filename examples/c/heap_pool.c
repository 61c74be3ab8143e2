// build: -I../preload-heaptrack/include
// A program with its own pool allocator, which no malloc hook sees: it reports its blocks
// through tracekit_heap.h, and names two "tests" with the region marker, as a GoogleTest-
// style harness would. Prints what it did, for the tests to compare.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tracekit_heap.h"

#define SLOT 256
#define SLOTS 64

static char *arena;
static int next_free[SLOTS];
static int head;

static void pool_init(void) {
    arena = malloc(SLOT * SLOTS); // one malloc, seen by the hooks
    for (int i = 0; i < SLOTS; i++) next_free[i] = i + 1;
    head = 0;
}

static void *pool_get(size_t n) {
    if (n > SLOT || head >= SLOTS) return NULL;
    int i = head;
    head = next_free[i];
    void *p = arena + (size_t)i * SLOT;
    TRACEKIT_HEAP_ALLOC(p, n);
    return p;
}

static void pool_put(void *p) {
    TRACEKIT_HEAP_FREE(p);
    int i = (int)(((char *)p - arena) / SLOT);
    next_free[i] = head;
    head = i;
}

int main(void) {
    pool_init();
    // "test" one: 10 blocks of 100 bytes, all returned.
    TRACEKIT_TEST_BEGIN("Pool.GetPut");
    void *ps[10];
    for (int i = 0; i < 10; i++) { ps[i] = pool_get(100); memset(ps[i], i, 100); }
    for (int i = 0; i < 10; i++) pool_put(ps[i]);
    TRACEKIT_TEST_END();
    // "test" two: 3 blocks of 200 bytes, one kept (leaked), and one malloc of 5000, kept.
    TRACEKIT_TEST_BEGIN("Pool.Leak");
    void *a = pool_get(200), *b = pool_get(200), *c = pool_get(200);
    pool_put(a);
    pool_put(b);
    char *m = malloc(5000);
    m[0] = 1;
    TRACEKIT_TEST_END();
    printf("pool: 13 blocks, 1600 bytes; kept %p (200 bytes) and %p (5000 bytes)\n", c, m);
    return 0;
}
