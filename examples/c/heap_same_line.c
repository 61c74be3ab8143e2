/* Two allocations on one source line (told apart by their columns), and two made by one
 * macro (the same line and column: told apart by their addresses). Frees them all. */
#include <stdio.h>
#include <stdlib.h>

#define TWO(a, b) do { a = malloc(24); b = malloc(40); } while (0)

int main(void) {
    char *p = malloc(16), *q = malloc(32);
    char *r, *s;
    TWO(r, s);
    printf("%d\n", p != q && r != s);
    free(p);
    free(q);
    free(r);
    free(s);
    return 0;
}
