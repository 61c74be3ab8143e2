// build: -shared -fPIC -O0
/* A small shared library for heap_dlopen: lib_alloc() allocates 333 bytes. */
#include <stdlib.h>

__attribute__((noinline)) void *lib_alloc(void) { return malloc(333); }

/* posix_memalign(512, n), the allocation heap_stress counts as its own. */
__attribute__((noinline)) void *lib_aligned(size_t n) {
    void *p = NULL;
    return posix_memalign(&p, 512, n) == 0 ? p : NULL;
}
