// build: -O0
/* Known heap activity, for checking the heap tracker against valgrind and memusage:
 *  - one site doing 1000 x malloc(100), all live at once, then freed;
 *  - calloc(10, 50) ten times, three of them leaked;
 *  - a realloc growth chain 1, 2, 4, ..., 65536 (17 calls), then freed;
 *  - one leaked malloc(4096).
 * Nothing else allocates: no stdio before exit. */
#include <stdlib.h>
#include <string.h>

static void *keep[1000];
void *volatile leaked[4];

__attribute__((noinline)) void many_small(void) {
    for (int i = 0; i < 1000; i++) {
        keep[i] = malloc(100);
        memset(keep[i], i & 0xff, 100);
    }
    for (int i = 0; i < 1000; i++) free(keep[i]);
}

__attribute__((noinline)) void some_callocs(void) {
    void *c[10];
    for (int i = 0; i < 10; i++) c[i] = calloc(10, 50);
    for (int i = 0; i < 7; i++) free(c[i]);
    for (int i = 7; i < 10; i++) leaked[i - 7] = c[i];
}

__attribute__((noinline)) void growth_chain(void) {
    char *p = NULL;
    for (size_t n = 1; n <= 65536; n *= 2) {
        p = realloc(p, n);
        p[n - 1] = 1;
    }
    free(p);
}

__attribute__((noinline)) void one_leak(void) {
    leaked[3] = malloc(4096);
}

int main(void) {
    many_small();
    some_callocs();
    growth_chain();
    one_leak();
    return 0;
}
