// build: -O0
/* Integer division by zero (SIGFPE, FPE_INTDIV). */
#include <stdio.h>

__attribute__((noinline)) int average(int total, int count) {
    return total / count;
}

int main(int argc, char **argv) {
    (void)argv;
    printf("%d\n", average(10, argc - 1));
    return 0;
}
