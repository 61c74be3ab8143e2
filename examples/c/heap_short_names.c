// build: -O0
/* C functions whose names are one-letter Itanium type codes: `f` (float), `i` (int) and `d`
 * (double). The heap report must print them as they are: a demangler applied to names that are
 * not mangled turned `f` into `float`. f leaks 100 bytes, i leaks 2 x 200, d frees its block. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void *f(void) { return malloc(100); }

__attribute__((noinline)) void *i(void) { return malloc(200); }

__attribute__((noinline)) void d(void) { free(malloc(300)); }

int main(void) {
    void *volatile keep[3];
    keep[0] = f();
    for (int k = 1; k < 3; k++) keep[k] = i(); /* one call site: one site of 2 calls */
    d();
    printf("%p %p %p\n", keep[0], keep[1], keep[2]);
    return 0;
}
