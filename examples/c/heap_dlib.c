// build: -shared -fPIC -O0
/* A small shared library for heap_dlopen: lib_alloc() allocates 333 bytes. */
#include <stdlib.h>

__attribute__((noinline)) void *lib_alloc(void) { return malloc(333); }
