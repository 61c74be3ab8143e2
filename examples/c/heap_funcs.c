// build: -O0
/* Every C allocation function once, with sizes the heap tracker tests look for:
 * malloc(11) calloc(3, 7) realloc(->100) reallocarray(10, 20) posix_memalign(64, 200)
 * aligned_alloc(128, 256) memalign(32, 300) valloc(400) pvalloc(500), a failing malloc,
 * a failing posix_memalign (bad alignment), free(NULL), and malloc_usable_size. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    void *p[16];
    int n = 0;
    p[n++] = malloc(11);
    p[n++] = calloc(3, 7);
    void *r = malloc(50);
    r = realloc(r, 100);
    r = reallocarray(r, 10, 20);
    p[n++] = r;
    void *m = NULL;
    if (posix_memalign(&m, 64, 200) != 0) return 1;
    p[n++] = m;
    p[n++] = aligned_alloc(128, 256);
    p[n++] = memalign(32, 300);
    p[n++] = valloc(400);
    p[n++] = pvalloc(500);
    void *volatile fail = malloc(SIZE_MAX / 2);
    void *bad = NULL;
    int rc = posix_memalign(&bad, 3, 10);
    void *volatile null = NULL;
    free(null);
    size_t usable = malloc_usable_size(p[0]);
    for (int i = 0; i < n; i++) free(p[i]);
    printf("fail=%p rc=%d usable>=11:%d\n", fail, rc, usable >= 11);
    return 0;
}
