// build: -O0
/* A failed assert: SIGABRT, with glibc's message in __abort_msg. */
#include <assert.h>
#include <stdio.h>

__attribute__((noinline)) void check_positive(int x) {
    assert(x > 0 && "x must be positive");
}

int main(int argc, char **argv) {
    (void)argv;
    check_positive(argc - 1);
    printf("unreachable\n");
    return 0;
}
